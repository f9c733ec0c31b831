"""Attainment: how many targets were met in time, per policy, team and agent."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from peewee import JOIN

from gongdan import clock
from gongdan.models import Team, Tenant, Ticket, User

from . import clocks as ck
from .models import SlaTicket
from .policies import TARGETS


def outcome(state: dict[str, Any], now: datetime) -> str:
    """`met` (in time), `breached` (late, overdue or missed), `open` (still running, not yet due),
    or `none` (not applicable: closed before a reply was owed, or arrived already finished)."""
    if state["status"] in ("met", "missed"):
        return "breached" if state["breached"] else "met"
    if ck.is_active(state):
        due = ck.parse(state["due"])
        return "breached" if due is not None and due <= now else "open"
    return "none"


def _empty() -> dict[str, Any]:
    return {"tickets": 0, **{name: {"met": 0, "breached": 0, "open": 0} for name in TARGETS}}


def _finish(group: dict[str, Any]) -> dict[str, Any]:
    met = sum(group[name]["met"] for name in TARGETS)
    breached = sum(group[name]["breached"] for name in TARGETS)
    for name in TARGETS:
        counts = group[name]
        done = counts["met"] + counts["breached"]
        counts["attainment"] = round(counts["met"] / done, 4) if done else None
    group["attainment"] = round(met / (met + breached), 4) if met + breached else None
    return group


def attainment(tenant: Tenant, start: datetime, end: datetime) -> dict[str, Any]:
    """Targets met / breached / open for tickets created in `[start, end)`, grouped three ways."""
    now = clock.now()
    rows = (
        SlaTicket.select(SlaTicket.policy_name, SlaTicket.clocks, Team.name.alias("team_name"), User.email)
        .join(Ticket, on=(SlaTicket.ticket == Ticket.id))
        .join(Team, JOIN.LEFT_OUTER, on=(Ticket.team == Team.id))
        .join_from(Ticket, User, JOIN.LEFT_OUTER, on=(Ticket.assignee == User.id))
        .where((SlaTicket.tenant == tenant) & (Ticket.created_at >= start) & (Ticket.created_at < end))
        .dicts()
    )
    groups: dict[str, dict[str, dict[str, Any]]] = {
        "total": defaultdict(_empty),
        "by_policy": defaultdict(_empty),
        "by_team": defaultdict(_empty),
        "by_agent": defaultdict(_empty),
    }
    for row in rows:
        keys = {
            "total": "all",
            "by_policy": row["policy_name"] or "(none)",
            "by_team": row["team_name"] or "(none)",
            "by_agent": row["email"] or "(unassigned)",
        }
        for group, key in keys.items():
            bucket = groups[group][key]
            bucket["tickets"] += 1
            for name, state in (row["clocks"] or {}).items():
                result = outcome(state, now)
                if result != "none":
                    bucket[name][result] += 1
    total = _finish(groups["total"]["all"]) if "all" in groups["total"] else _finish(_empty())
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "total": total,
        **{
            group: [{"name": key, **_finish(value)} for key, value in sorted(groups[group].items())]
            for group in ("by_policy", "by_team", "by_agent")
        },
    }
