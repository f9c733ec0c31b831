"""Periodic work: reassign tickets nobody answered in time, hand over the tickets of agents on leave."""

from __future__ import annotations

from datetime import timedelta

from gongdan import clock, tickets
from gongdan.contributions import ScheduledJob
from gongdan.db import write_transaction
from gongdan.models import Tenant, Ticket, User
from gongdan.plugins import get_host
from gongdan_assignment.availability import on_leave
from gongdan_assignment.models import AgentState, Routing
from gongdan_assignment.routing import ACTOR, PLUGIN, drain, route

UNANSWERED = ("new", "open")
HELD = (*UNANSWERED, "pending")
BATCH = 200


def reassign_unanswered(tenant: Tenant) -> int:
    """Reassign tickets with no first response N minutes after assignment; returns how many moved.

    The agent who let it lapse is not chosen for that ticket again; when nobody else can take
    it, it stays and an `assignment.reassign_skipped` event says so (once).
    """
    minutes = get_host().settings(tenant, PLUGIN)["first_response_minutes"]
    if not minutes:
        return 0
    cutoff = clock.now() - timedelta(minutes=minutes)
    rows = (
        Routing.select(Routing, Ticket)
        .join(Ticket)
        .where(
            (Routing.tenant == tenant.id)
            & (Routing.waiting == False)  # noqa: E712
            & (Routing.since < cutoff)
            & (Routing.assignee == Ticket.assignee)
            & Ticket.first_response_at.is_null()
            & Ticket.status.in_(UNANSWERED)
        )
        .order_by(Routing.since)
        .limit(BATCH)
    )
    moved = 0
    for row in list(rows):
        ticket, holder = row.ticket, row.assignee_id
        name = User.get_by_id(holder).display_name
        why = f"no first response from {name} within {minutes} min; "
        lapsed = sorted({*row.lapsed, holder})
        if route(tenant, ticket, exclude=lapsed, why=why) is not None:
            Routing.update(lapsed=lapsed).where(Routing.id == row.id).execute()
            moved += 1
        elif holder not in row.lapsed:
            with write_transaction():
                Routing.update(lapsed=lapsed).where(Routing.id == row.id).execute()
                tickets.record_event(
                    tenant,
                    ticket,
                    "assignment.reassign_skipped",
                    {"reason": why + "nobody else can take it now; it stays", "agent_id": holder},
                    ACTOR,
                )
    return moved


def hand_over_leave(tenant: Tenant) -> int:
    """Move open tickets of agents on leave to their stand-in (if free), else by the rules."""
    now = clock.now()
    away = AgentState.select().where(
        (AgentState.tenant == tenant.id) & (AgentState.leave_start <= now) & (AgentState.leave_end > now)
    )
    moved = 0
    for state in list(away):  # read in full before writing (SQLite: no write from a half-read snapshot)
        held = Ticket.of(tenant).where((Ticket.assignee == state.user_id) & Ticket.status.in_(HELD))
        for ticket in list(held.limit(BATCH)):
            why = f"{state.user.display_name} is on leave until {state.leave['until']}; "
            stand_in = state.leave_replacement_id
            done = stand_in is not None and route(tenant, ticket, only=[stand_in], why=why + "stand-in; ") is not None
            if done or route(tenant, ticket, exclude=[state.user_id], why=why) is not None:
                moved += 1
    return moved


def sweep() -> None:
    """The scheduled job: for each tenant with the plugin, leave hand-over then lapsed tickets."""
    for tenant in get_host().tenants_with(PLUGIN):
        hand_over_leave(tenant)
        reassign_unanswered(tenant)


JOBS = [
    ScheduledJob(
        id="assignment.sweep",
        func=sweep,
        seconds=60,
        description="reassign tickets with no first response in time; hand over tickets of agents on leave",
    )
]


def availability_changed(tenant: Tenant, state: AgentState) -> None:
    """After an agent's availability changed: hand over their tickets if on leave, else refill them."""
    if on_leave(state):
        hand_over_leave(tenant)
    else:
        drain(tenant)
