"""The plugin's hook implementations: what it registers and how it reacts to tickets changing."""

from __future__ import annotations

from typing import Any

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.contributions import AssignmentDecision, AssignmentStrategy, EventKind, ScheduledJob, Schema
from gongdan.hooks import assignment_strategies
from gongdan.hookspecs import hookimpl
from gongdan.models import OPEN_STATUSES, Team, Tenant, Ticket, User
from gongdan.plugins import get_host
from gongdan_assignment import availability, load, reasons, rules
from gongdan_assignment.jobs import JOBS, hand_over_leave
from gongdan_assignment.models import MODELS, AgentState, Routing
from gongdan_assignment.routing import ACTOR, PLUGIN, decide, drain, mark_waiting, route, set_routing
from gongdan_assignment.schemas import SettingsSchema
from gongdan_assignment.sql import marks, run
from gongdan_assignment.strategies import BUILTIN

ROUTING_FIELDS = {"team", "category", "tags", "priority", "language"}


def _auto(tenant: Tenant) -> bool:
    return bool(get_host().setting(tenant, PLUGIN, "auto_assign"))


@hookimpl
def gongdan_schema() -> Schema:
    """The plugin's tables."""
    return Schema(owner=PLUGIN, models=MODELS, version=2, migrations={2: _drop_status_index})


def _drop_status_index(migrator: Any) -> None:
    """Version 2 reads the least loaded agents off an index by load; the old one goes."""
    migrator.database.execute_sql('DROP INDEX IF EXISTS "assignment_agent_tenant_id_status_open_count"')


@hookimpl
def gongdan_settings_schema() -> type[SettingsSchema]:
    """Per-tenant settings: auto-assign new tickets, the first-response timeout, default capacity."""
    return SettingsSchema


@hookimpl
def gongdan_assignment_strategies() -> list[AssignmentStrategy]:
    """least_loaded, round_robin, weighted, skills, tier."""
    return BUILTIN


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """The sweep: lapsed first responses and leave hand-over, every minute."""
    return JOBS


@hookimpl
def gongdan_api_blueprints() -> list[Any]:
    """`/api/v1/agents/ID/availability`, `/skills`, `/api/v1/assignment/rules`, `/queue`."""
    from gongdan_assignment.api import blueprints

    return blueprints()


@hookimpl
def gongdan_console_views() -> list[Any]:
    """Live load, availability and rules pages under the console's "Assignment" menu."""
    from gongdan_assignment.console import console_views

    return console_views()


@hookimpl
def gongdan_assign_ticket(tenant: Tenant, ticket: Ticket, actor: Any) -> AssignmentDecision | None:
    """The tenant's rules decide; when nobody can take it, the ticket joins its team's queue."""
    if ticket.status not in OPEN_STATUSES:
        return None
    decision = decide(tenant, ticket)
    if decision.assignee_id is None:
        mark_waiting(tenant, ticket, decision)
    return decision


@hookimpl
def gongdan_ticket_created(tenant: Tenant, ticket: Ticket) -> None:
    """Assign the new ticket at once (unless the tenant turned automatic assignment off)."""
    if _auto(tenant):
        route(tenant, ticket)


def _warn_over_capacity(tenant: Tenant, ticket: Ticket, assignee: User, actor: Actor) -> None:
    """A person's assignment past the agent's capacity is allowed, and recorded as a warning."""
    state = AgentState.get_or_none((AgentState.tenant == tenant.id) & (AgentState.user == assignee.id))
    held = tickets.open_count(tenant, assignee.id)
    if state is not None and state.capacity and held > state.capacity:
        data = {"agent_id": assignee.id, "open": held, "capacity": state.capacity}
        tickets.record_event(tenant, ticket, "assignment.over_capacity", data, actor)


@hookimpl
def gongdan_event_kinds() -> list[EventKind]:
    """How `assignment.*` ticket events read on the timeline."""
    agent = {"agent_id": ("客服", "agent", "user")}
    return [
        EventKind(
            "assignment.waiting",
            "等待分配",
            "is waiting for an agent",
            {"team": ("团队", "team", "team"), "reason": ("原因", "why", "text")},
            words=reasons.words,  # also words the reasons it writes into the core's `assigned`
        ),
        EventKind(
            "assignment.reassign_skipped",
            "未重新分配",
            "was not reassigned",
            {**agent, "reason": ("原因", "why", "text")},
        ),
        EventKind(
            "assignment.over_capacity",
            "分配超出客服容量",
            "assigned past the agent's capacity",
            {**agent, "open": ("处理中", "open", "text"), "capacity": ("容量", "capacity", "text")},
            warning=True,
        ),
    ]


@hookimpl
def gongdan_ticket_assigned(
    tenant: Tenant, ticket: Ticket, previous_id: int | None, assignee: User | None, reason: str, actor: Actor
) -> None:
    """Keep loads exact, note manual assignments (warning when one takes an agent past capacity),
    and refill the capacity a reassignment freed."""
    if assignee is not None and not load.forget(ticket.id, assignee.id):
        load.recount(tenant, [assignee.id])
        set_routing(ticket.id, tenant.id, assignee.id, reason, ticket.team_id, ticket.updated_at)
        _warn_over_capacity(tenant, ticket, assignee, actor)
    if previous_id is not None:
        load.recount(tenant, [previous_id])
    if assignee is None and _auto(tenant):
        route(tenant, ticket)
    elif previous_id is not None:
        drain(tenant)


@hookimpl
def gongdan_ticket_status_changed(tenant: Tenant, ticket: Ticket, old: str, new: str) -> None:
    """A resolved ticket frees its agent's capacity; a reopened unassigned one is routed again."""
    if new not in OPEN_STATUSES:
        Routing.update(waiting=False).where(Routing.ticket == ticket.id).execute()
    if ticket.assignee_id is not None:
        load.recount(tenant, [ticket.assignee_id])
        if new not in OPEN_STATUSES and old in OPEN_STATUSES:
            drain(tenant)
    elif new in OPEN_STATUSES and old not in OPEN_STATUSES and _auto(tenant):
        route(tenant, ticket)


@hookimpl
def gongdan_ticket_updated(tenant: Tenant, ticket: Ticket, changes: dict, actor: Any) -> None:
    """An unassigned ticket whose routing fields changed (team, category, ...) is routed again."""
    if actor.label == ACTOR.label or ticket.assignee_id is not None or not ROUTING_FIELDS & changes.keys():
        return
    if _auto(tenant):
        route(tenant, ticket)


@hookimpl
def gongdan_reconcile(tenant: Tenant) -> None:
    """Recount every agent's load, hand over leave, and assign whatever was left unassigned."""
    load.recount(tenant)
    hand_over_leave(tenant)
    drain(tenant, limit=200)


@hookimpl
def gongdan_ticket_blocks(tenant: Tenant, tickets: list[Ticket]) -> dict[int, dict[str, Any]]:
    """`assignment: {"waiting", "reason", "since"}` on each ticket the plugin routed."""
    if not tickets:
        return {}
    ids = sorted({t.id for t in tickets})
    query = (
        "SELECT ticket_id, waiting, reason, since FROM {routing}"
        f" WHERE tenant_id = ? AND ticket_id IN ({marks(len(ids))})"
    )
    rows = run(query, [tenant.id, *ids], routing=Routing).fetchall()
    return {
        ticket_id: {
            "waiting": bool(waiting),
            "reason": reason or None,
            "since": Routing.since.python_value(since).isoformat(),
        }
        for ticket_id, waiting, reason, since in rows
    }


DEMO_RULES = {
    "rules": [
        {"when": {"customer_tier": "vip"}, "strategy": "tier", "team": "资深组", "min_level": 3, "options": {}},
        {"when": {"category": "物流"}, "strategy": "skills", "team": "物流组", "min_level": None, "options": {}},
    ],
    "default": {"strategy": "skills", "team": None, "min_level": None, "options": {}},
}


@hookimpl
def gongdan_demo_prepared(tenant: Tenant, admin: User) -> None:
    """Demo: every agent online, VIP buyers to the senior team, logistics to 物流组; then route."""
    for user in list(User.of(tenant).where(User.role == "agent")):
        availability.state_of(tenant, user)
    AgentState.update(status="online").where(AgentState.tenant == tenant.id).execute()
    teams = {team.name for team in Team.of(tenant)}
    if {"资深组", "物流组"} <= teams:
        rules.save(tenant, DEMO_RULES, Actor.of(admin), set(assignment_strategies()))
    drain(tenant)
