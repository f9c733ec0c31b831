"""Deciding who takes a ticket, applying it safely, and the queue of tickets that wait.

`decide` is pure reading (the decision hook answers with it); `route` applies a decision
through the ticket service with a guard that, inside the assignment transaction, checks the
ticket is still where the decision saw it and raises the agent's load only while it is below
capacity. A lost race makes `route` decide again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from peewee import Case

from gongdan import clock, tickets
from gongdan.actors import Actor
from gongdan.contributions import AssignmentDecision
from gongdan.db import write_transaction
from gongdan.dispatcher import batch_memo
from gongdan.errors import Conflict
from gongdan.hooks import assignment_strategies
from gongdan.models import OPEN_STATUSES, Team, Tenant, Ticket, User
from gongdan.plugins import get_host
from gongdan_assignment import load
from gongdan_assignment.candidates import Candidate, available
from gongdan_assignment.models import AgentState, Routing
from gongdan_assignment.rules import Target, target_for
from gongdan_assignment.sql import run

PLUGIN = "assignment"
ACTOR = Actor.system("plugin:assignment")
ATTEMPTS = 8
URGENCY = Case(Ticket.priority, (("urgent", 0), ("high", 1), ("normal", 2), ("low", 3)), 4)


class AlreadyHandled(Conflict):
    """The ticket changed hands since the decision: someone else assigned it."""


def decide(
    tenant: Tenant,
    ticket: Ticket,
    exclude: Collection[int] = (),
    only: Collection[int] | None = None,
) -> AssignmentDecision:
    """Who should take `ticket` now by the tenant's rules; `assignee_id` None: it waits (reason says why)."""
    target = target_for(tenant, ticket)
    team_id = target.team_id or ticket.team_id
    strategy = assignment_strategies().get(target.strategy)
    if strategy is None:
        return AssignmentDecision(None, target.strategy, f"strategy {target.strategy!r} is not installed", team_id)
    if _nobody_online(tenant):  # (in a worker's batch; the same answer `_why_nobody` gives)
        return AssignmentDecision(None, strategy.name, f"waiting: nobody online in {_team_label(team_id)}", team_id)
    pool = available(
        tenant, ticket, strategy.name, team_id=team_id, min_level=target.min_level, exclude=exclude, only=only
    )
    if not pool:
        return AssignmentDecision(None, strategy.name, _why_nobody(tenant, target, team_id), team_id)
    answer = strategy.choose(ticket, pool, {**target.options, "min_level": target.min_level})
    chosen, reason = answer if isinstance(answer, tuple) else (answer, f"{strategy.name}: load {answer.load_text}")
    if target.rule is not None:
        reason += f" (rule {target.rule + 1})"
    guard = _guard(tenant.id, ticket.id, ticket.assignee_id, chosen, reason, team_id)
    return AssignmentDecision(chosen.user_id, strategy.name, reason, team_id, guard)


def _team_label(team_id: int | None) -> str:
    if team_id is None:
        return "the tenant"
    memo = batch_memo()
    key = ("assignment.team_label", team_id)
    if memo is not None and key in memo:
        return memo[key]
    team = Team.get_or_none(Team.id == team_id)
    label = team.name if team else f"team {team_id}"
    if memo is not None:
        memo[key] = label
    return label


_ONLINE = (
    "SELECT COUNT(*) FROM {state} s JOIN {user} u ON u.id = s.user_id AND u.tenant_id = s.tenant_id"
    " WHERE s.tenant_id = ? AND s.status = 'online' AND u.is_active"
)


def _nobody_online(tenant: Tenant) -> bool:
    """Within the worker's batch of ingested tickets: whether no active agent of the tenant is
    online, read once per batch (`gongdan.dispatcher.batch_memo`) — then every ticket of the batch
    waits without asking for candidates. Outside a batch False: `available` answers."""
    memo = batch_memo()
    if memo is None:
        return False
    key = ("assignment.nobody_online", tenant.id)
    if key not in memo:
        memo[key] = not run(_ONLINE, [tenant.id], state=AgentState, user=User).fetchone()[0]
    return memo[key]


def _why_nobody(tenant: Tenant, target: Target, team_id: int | None) -> str:
    where = _team_label(team_id)
    online, free = run(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN s.open_count < s.capacity THEN 1 ELSE 0 END), 0)"
        " FROM {state} s JOIN {user} u ON u.id = s.user_id AND u.tenant_id = s.tenant_id"
        " WHERE s.tenant_id = ? AND s.status = 'online'"
        " AND u.is_active AND (? IS NULL OR u.team_id = ?)",
        [tenant.id, team_id, team_id],
        state=AgentState,
        user=User,
    ).fetchone()
    if not online:
        return f"waiting: nobody online in {where}"
    if not free:
        return f"waiting: everyone online in {where} is at capacity"
    if target.min_level:
        return f"waiting: nobody available in {where} has skill level {target.min_level} or more"
    return f"waiting: nobody in {where} is on shift and free to take it"


def _guard(
    tenant_id: int, ticket_id: int, expected: int | None, chosen: Candidate, reason: str, team_id: int | None
) -> Callable[[], None]:
    def guard() -> None:
        current = run("SELECT assignee_id FROM {ticket} WHERE id = ?", [ticket_id], ticket=Ticket).fetchone()[0]
        if current != expected:
            raise AlreadyHandled("the ticket was assigned meanwhile")
        if current == chosen.user_id:
            return
        now = clock.now()
        if not load.take(chosen.user_id, chosen.open_count, now):
            raise Conflict(f"{chosen.name}'s load changed meanwhile")
        set_routing(ticket_id, tenant_id, chosen.user_id, reason, team_id, now)
        load.remember(ticket_id, chosen.user_id)

    return guard


def set_routing(
    ticket_id: int, tenant_id: int, assignee_id: int | None, reason: str, team_id: int | None, now: Any
) -> None:
    """Record that the ticket waits (`assignee_id` None) or is assigned, since `now`."""
    run(
        "INSERT INTO {routing} (tenant_id, ticket_id, waiting, assignee_id, reason, team_id, since, lapsed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, '[]')"
        " ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET waiting = excluded.waiting,"
        " assignee_id = excluded.assignee_id, reason = excluded.reason, team_id = excluded.team_id,"
        " since = excluded.since",
        [tenant_id, ticket_id, assignee_id is None, assignee_id, reason, team_id, Routing.since.db_value(now)],
        routing=Routing,
    )


# one statement: the ticket starts waiting (kept `since` when it already waited), or nothing
# changes when it already waits for the same reason and team (then no row is counted)
_WAIT = (
    "INSERT INTO {routing} (tenant_id, ticket_id, waiting, assignee_id, reason, team_id, since, lapsed)"
    " VALUES (?, ?, TRUE, NULL, ?, ?, ?, '[]')"
    " ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET waiting = TRUE, assignee_id = NULL,"
    " reason = excluded.reason, team_id = excluded.team_id,"
    " since = CASE WHEN {routing}.waiting THEN {routing}.since ELSE excluded.since END"
    " WHERE NOT ({routing}.waiting AND {routing}.reason = excluded.reason"
    " AND {routing}.team_id IS NOT DISTINCT FROM excluded.team_id)"
)


def route(
    tenant: Tenant,
    ticket: Ticket,
    actor: Actor = ACTOR,
    *,
    exclude: Collection[int] = (),
    only: Collection[int] | None = None,
    why: str = "",
) -> Ticket | None:
    """Assign an open ticket by the tenant's rules; None when it waits or someone else took it.

    `why` prefixes the event's reason (e.g. a reassignment's cause); `exclude`/`only` narrow
    the agents considered. Waiting is recorded (`assignment.waiting`) when it starts or its
    reason changes.
    """
    for _ in range(ATTEMPTS):
        if ticket.status not in OPEN_STATUSES:
            return None
        decision = decide(tenant, ticket, exclude, only)
        if decision.assignee_id is None:
            if only is None:
                mark_waiting(tenant, ticket, decision)
            return None
        try:
            return tickets.assign(
                tenant,
                ticket,
                decision.assignee_id,
                actor,
                reason=why + decision.reason,
                strategy=decision.strategy,
                team_id=decision.team_id,
                guard=decision.guard,
            )
        except AlreadyHandled:
            return None
        except Conflict:
            ticket = tickets.get(tenant, ticket.id)
        finally:
            load.forget(ticket.id, decision.assignee_id)  # a rolled-back guard's note must not linger
    return None


def mark_waiting(tenant: Tenant, ticket: Ticket, decision: AssignmentDecision) -> None:
    """Put `ticket` in its team's queue with the decision's reason; an event when that is news."""
    if ticket.assignee_id is not None:
        return
    if decision.team_id is not None and decision.team_id != ticket.team_id:
        ticket = tickets.update(tenant, ticket, {"team": str(decision.team_id)}, ACTOR)
    with write_transaction():
        params = [tenant.id, ticket.id, decision.reason, decision.team_id, Routing.since.db_value(clock.now())]
        if not run(_WAIT, params, routing=Routing).rowcount:  # already waiting, for this reason and team
            return
        tickets.record_event(
            tenant,
            ticket,
            "assignment.waiting",
            {"strategy": decision.strategy, "reason": decision.reason, "team": decision.team_id},
            ACTOR,
        )


def waiting_tickets(tenant: Tenant, team_id: int | None = None) -> Any:
    """The tenant's open, unassigned tickets, most urgent first, then oldest."""
    query = Ticket.of(tenant).where(Ticket.assignee.is_null() & Ticket.status.in_(OPEN_STATUSES))
    if team_id is not None:
        query = query.where(Ticket.team == team_id)
    return query.order_by(URGENCY, Ticket.created_at, Ticket.id)


def anyone_available(tenant: Tenant) -> bool:
    """Whether any agent is online with spare capacity (a cheap test before draining)."""
    return (
        AgentState.select()
        .where(
            (AgentState.tenant == tenant.id)
            & (AgentState.status == "online")
            & (AgentState.open_count < AgentState.capacity)
        )
        .exists()
    )


def drain(tenant: Tenant, limit: int = 50) -> int:
    """Hand out waiting tickets, most urgent first, then oldest; returns how many were assigned."""
    if not get_host().settings(tenant, PLUGIN)["auto_assign"]:
        return 0
    assigned = 0
    for ticket in list(waiting_tickets(tenant).limit(limit)):
        if not anyone_available(tenant):
            break
        if route(tenant, ticket) is not None:
            assigned += 1
    return assigned
