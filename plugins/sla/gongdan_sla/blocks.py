"""The `sla` block of the ticket representation, read for a whole page in one query (its SQL
compiled once per page size through `gongdan.queries`: every API answer with a ticket reads it)."""

from __future__ import annotations

from typing import Any

from peewee import JOIN

from gongdan import clock
from gongdan.models import Tenant, Ticket
from gongdan.queries import Placeholders, ShapedQuery

from . import china_days
from . import clocks as ck
from .calendars import CN_YEARS, BusinessCalendar
from .engine import state_of
from .models import SlaPolicy, SlaTicket
from .policies import TARGETS, calendar_for


def _target(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "target_minutes": state["target"],
        "status": state["status"],
        "due": state["due"] if ck.is_active(state) else None,
        "deadline": state["deadline"],
        "met_at": state["met_at"],
        "breached": state["breached"],
        "cycle": state["cycle"],
    }


def _provisional_years(cal: BusinessCalendar, row: SlaTicket) -> list[int]:
    """Years of the row's due times whose holiday schedule a region-CN calendar only estimates."""
    if cal.region != "CN":
        return []
    dues = (row.first_response_due, row.next_response_due, row.resolution_due)
    return sorted({d.year for d in dues if d is not None and not china_days.is_official(d.year)})


def _rows_of(p: Placeholders, count: int) -> Any:
    """The rows of `count` tickets with their policy's calendar (`row.policy`, None without one)."""
    wanted = [p(f"id{n}") for n in range(count)]
    return (
        SlaTicket.select(SlaTicket, SlaPolicy.id, SlaPolicy.calendar)
        .join(SlaPolicy, JOIN.LEFT_OUTER, on=(SlaTicket.policy == SlaPolicy.id))
        .where((SlaTicket.tenant == p("tenant")) & SlaTicket.ticket.in_(wanted))
    )


ROWS = ShapedQuery(_rows_of)


def ticket_blocks(tenant: Tenant, tickets: list[Ticket]) -> dict[int, dict[str, Any]]:
    """`{ticket_id: block}`: policy, due times, state, business minutes remaining, per target."""
    if not tickets:
        return {}
    ids = sorted({t.id for t in tickets})
    rows = ROWS.rows((len(ids),), {"tenant": tenant.id} | {f"id{n}": i for n, i in enumerate(ids)})
    now = clock.now()
    blocks = {}
    calendars: dict[str | None, Any] = {}
    for row in rows:
        policy = row.__rel__.get("policy")
        name = policy.calendar if policy is not None else None
        cal = calendars.get(name) or calendars.setdefault(name, calendar_for(tenant, name))
        left = [ck.remaining(row.clocks[name], cal, now) for name in TARGETS if ck.is_active(row.clocks.get(name))]
        left = [value for value in left if value is not None]
        blocks[row.ticket_id] = {
            "policy": row.policy_name,
            "state": state_of(row.clocks, now),
            "first_response_due": ck.iso(row.first_response_due),
            "next_response_due": ck.iso(row.next_response_due),
            "resolution_due": ck.iso(row.resolution_due),
            "remaining_minutes": round(min(left)) if left else None,
            "paused": row.paused,
            "targets": {name: _target(state) for name, state in row.clocks.items()},
        }
        provisional = _provisional_years(cal, row)
        if provisional:
            blocks[row.ticket_id]["warnings"] = [
                f"{year}: China's holiday schedule not yet announced (known to {CN_YEARS[1]}); "
                f"closed: {china_days.PROVISIONAL_RULE}"
                for year in provisional
            ]
    return blocks
