"""Figures the dashboard draws: tickets per day by channel, backlog, response and resolution times.

Each figure counts the tickets the viewer (`actor`) may see: with team visibility on, an
agent's dashboard covers their team's and their own tickets only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from peewee import fn

from gongdan import clock, hooks, permissions
from gongdan.actors import Actor
from gongdan.admin import urgency
from gongdan.admin.urgency import sla_outcome
from gongdan.models import OPEN_STATUSES, Team, Tenant, Ticket


def _zone(tenant: Tenant) -> ZoneInfo:
    try:
        return ZoneInfo(tenant.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _tickets(tenant: Tenant, actor: Actor | None) -> Any:
    """The tenant's tickets `actor` may see (all of them for no actor)."""
    query = Ticket.of(tenant)
    return query if actor is None else permissions.visible_tickets(actor, query, tenant)


def tickets_per_day(tenant: Tenant, days: int = 14, actor: Actor | None = None) -> dict[str, Any]:
    """`{"labels": [dates], "series": {channel: [counts]}}` for the last `days` local days."""
    zone = _zone(tenant)
    today = clock.now().astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), zone)
    counts: dict[str, Counter] = defaultdict(Counter)
    rows = _tickets(tenant, actor).select(Ticket.created_at, Ticket.channel).where(Ticket.created_at >= since)
    for row in rows:
        counts[row.channel][row.created_at.astimezone(zone).date()] += 1
    dates = [first + timedelta(days=n) for n in range(days)]
    return {
        "labels": [d.isoformat() for d in dates],
        "series": {channel: [per_day[d] for d in dates] for channel, per_day in sorted(counts.items())},
    }


def backlog(tenant: Tenant, actor: Actor | None = None) -> dict[str, Any]:
    """Open tickets by status and by team (`None` team: unrouted)."""
    by_status = dict.fromkeys(OPEN_STATUSES, 0)
    open_tickets = _tickets(tenant, actor).where(Ticket.status.in_(OPEN_STATUSES))
    for row in open_tickets.select(Ticket.status, fn.COUNT(Ticket.id).alias("n")).group_by(Ticket.status):
        by_status[row.status] = row.n
    names = {team.id: team.name for team in Team.of(tenant)}
    by_team: dict[str | None, int] = {}
    for row in open_tickets.select(Ticket.team, fn.COUNT(Ticket.id).alias("n")).group_by(Ticket.team):
        by_team[names.get(row.team_id)] = row.n
    return {"by_status": by_status, "by_team": by_team}


def _hours(deltas: list[timedelta]) -> dict[str, float | int | None]:
    values = sorted(d.total_seconds() / 3600 for d in deltas)
    if not values:
        return {"count": 0, "median": None, "p90": None, "mean": None}
    return {
        "count": len(values),
        "median": round(median(values), 2),
        "p90": round(values[min(len(values) - 1, int(len(values) * 0.9))], 2),
        "mean": round(sum(values) / len(values), 2),
    }


def response_times(tenant: Tenant, days: int = 30, actor: Actor | None = None) -> dict[str, Any]:
    """First-response and resolution times (hours) of tickets created in the last `days`.

    Resolution counts only answered tickets: a case that arrived already finished (or was closed
    without a reply) has no resolution time to speak of, and would pull the median to 0.
    """
    since = clock.now() - timedelta(days=days)
    rows = list(
        _tickets(tenant, actor)
        .select(Ticket.created_at, Ticket.first_response_at, Ticket.resolved_at)
        .where(Ticket.created_at >= since)
    )
    first = [r.first_response_at - r.created_at for r in rows if r.first_response_at]
    resolved = [r.resolved_at - r.created_at for r in rows if r.resolved_at and r.first_response_at]
    return {"first_response": _hours(first), "resolution": _hours(resolved)}


def sla_attainment(tenant: Tenant, days: int = 30, actor: Actor | None = None) -> dict[str, int] | None:
    """Met versus breached among finished SLA clocks of tickets of the last `days` (SLA plugin's block)."""
    since = clock.now() - timedelta(days=days)
    tickets = list(_tickets(tenant, actor).where(Ticket.created_at >= since))
    blocks = hooks.ticket_blocks(tenant, tickets)
    met = breached = 0
    for ticket in tickets:
        outcome = sla_outcome(blocks.get(ticket.id, {}).get(urgency.SLA_PLUGIN))
        if outcome == "breached":
            breached += 1
        elif outcome == "met":
            met += 1
    if met + breached == 0:
        return None
    return {"met": met, "breached": breached}
