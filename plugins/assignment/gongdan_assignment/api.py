"""REST routes: agents' availability and skills, the tenant's rules, the waiting queue, live load."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from peewee import JOIN

from gongdan.api.common import api_route, current_actor, current_tenant, current_user, has_role
from gongdan.errors import Forbidden, ValidationError
from gongdan.hooks import assignment_strategies
from gongdan.models import Team, Ticket, User
from gongdan.representation import iso, user_brief
from gongdan_assignment import availability, rules, skills
from gongdan_assignment.jobs import availability_changed
from gongdan_assignment.load import open_counts
from gongdan_assignment.models import AgentState, Routing
from gongdan_assignment.routing import PLUGIN, waiting_tickets
from gongdan_assignment.schemas import AvailabilitySchema, QueueQuerySchema, RulesSchema, SkillsSchema

agents_bp = Blueprint("assignment_agents", __name__, url_prefix="/api/v1/agents")
assignment_bp = Blueprint("assignment", __name__, url_prefix="/api/v1/assignment")
TAGS = ("assignment",)


def blueprints() -> list[Blueprint]:
    """The plugin's blueprints."""
    return [agents_bp, assignment_bp]


def _agent(agent_id: int, writing: bool = False) -> User:
    """The agent `agent_id` of the caller's tenant, if the caller may see (or change) them."""
    user = availability.agent_of(current_tenant(), agent_id)
    if user.id != current_user().id and not has_role(current_user(), "supervisor"):
        raise Forbidden(f"agents may {'change' if writing else 'see'} only their own availability and skills")
    return user


@api_route(agents_bp, "/<int:agent_id>/availability", plugin=PLUGIN, role="agent", tags=TAGS)
def get_availability(agent_id: int) -> dict[str, Any]:
    """An agent's status, capacity, weight, shifts, leave and whether they can take tickets now."""
    tenant = current_tenant()
    return availability.availability_dict(availability.state_of(tenant, _agent(agent_id)), tenant)


@api_route(
    agents_bp,
    "/<int:agent_id>/availability",
    ("PUT",),
    plugin=PLUGIN,
    role="agent",
    body=AvailabilitySchema,
    tags=TAGS,
)
def put_availability(agent_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Change any subset of an agent's availability; coming online hands out waiting tickets."""
    tenant = current_tenant()
    user = _agent(agent_id, writing=True)
    state, changes = availability.update(tenant, user, body, current_actor())
    if changes:
        availability_changed(tenant, state)
    return availability.availability_dict(availability.state_of(tenant, user), tenant)


@api_route(agents_bp, "/<int:agent_id>/skills", plugin=PLUGIN, role="agent", tags=TAGS)
def get_skills(agent_id: int) -> dict[str, Any]:
    """An agent's skills and levels (1–5)."""
    return skills.skills_dict(_agent(agent_id))


@api_route(
    agents_bp, "/<int:agent_id>/skills", ("PUT",), plugin=PLUGIN, role="supervisor", body=SkillsSchema, tags=TAGS
)
def put_skills(agent_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Replace an agent's skills: `{"skills": {"退货退款": 3}}`; a name matches a category segment or tag."""
    user = _agent(agent_id, writing=True)
    skills.replace(current_tenant(), user, body["skills"], current_actor())
    return skills.skills_dict(user)


@api_route(assignment_bp, "/rules", plugin=PLUGIN, role="supervisor", tags=TAGS)
def get_rules() -> dict[str, Any]:
    """The tenant's ordered rules (first match wins) and the default."""
    return rules.rules_dict(current_tenant())


@api_route(assignment_bp, "/rules", ("PUT",), plugin=PLUGIN, role="supervisor", body=RulesSchema, tags=TAGS)
def put_rules(body: dict[str, Any]) -> dict[str, Any]:
    """Replace the tenant's rules; they apply to the next decision."""
    return rules.save(current_tenant(), body, current_actor(), set(assignment_strategies()))


@api_route(assignment_bp, "/strategies", plugin=PLUGIN, role="agent", tags=TAGS)
def list_strategies() -> dict[str, Any]:
    """Every installed strategy a rule may name."""
    items = [
        {"name": s.name, "label": s.label or s.name, "description": s.description}
        for s in assignment_strategies().values()
    ]
    return {"items": sorted(items, key=lambda item: item["name"])}


@api_route(assignment_bp, "/queue", plugin=PLUGIN, role="agent", query=QueueQuerySchema, tags=TAGS)
def queue(args: dict[str, Any]) -> dict[str, Any]:
    """Waiting tickets (open, unassigned), most urgent first, then oldest, and why each waits."""
    tenant = current_tenant()
    team_id = None
    if "team" in args:
        team = Team.of(tenant).where(Team.name == args["team"]).first()
        if team is None:
            raise ValidationError("unknown team", {"team": [f"no team {args['team']!r}"]})
        team_id = team.id
    query = waiting_tickets(tenant, team_id)
    total = query.count()
    page = list(
        query.select_extend(Routing.reason, Routing.since, Routing.team)
        .join(Routing, JOIN.LEFT_OUTER, on=(Routing.ticket == Ticket.id))
        .paginate(args["page"], args["per_page"])
        .objects()
    )
    teams = {t.id: t.name for t in Team.of(tenant)}
    return {
        "items": [_queued(ticket, teams) for ticket in page],
        "total": total,
        "page": args["page"],
        "per_page": args["per_page"],
    }


def _queued(ticket: Any, teams: dict[int, str]) -> dict[str, Any]:
    team_id = ticket.team_id
    return {
        "ticket": {
            "id": ticket.id,
            "number": ticket.number,
            "subject": ticket.subject,
            "priority": ticket.priority,
            "status": ticket.status,
            "created_at": iso(ticket.created_at),
        },
        "team": {"id": team_id, "name": teams.get(team_id)} if team_id else None,
        "reason": ticket.reason or "not routed yet",
        "waiting_since": iso(ticket.since or ticket.created_at),
    }


@api_route(assignment_bp, "/agents", plugin=PLUGIN, role="supervisor", tags=TAGS)
def live_load() -> dict[str, Any]:
    """Every agent's status and live load (open tickets / capacity), fullest first."""
    tenant = current_tenant()
    states = {s.user_id: s for s in AgentState.of(tenant)}
    agents = User.of(tenant).where(User.role.in_(("agent", "supervisor")) & (User.is_active == True))  # noqa: E712
    counts = open_counts(tenant)
    items = []
    for user in agents:
        state = states.get(user.id)
        open_now = counts.get(user.id, 0)
        items.append(
            {
                "agent": user_brief(user),
                "team": user.team.name if user.team_id else None,
                "status": state.status if state else "offline",
                "capacity": state.capacity if state else None,
                "open_tickets": open_now,
                "available": availability.is_available(state, tenant) if state else False,
            }
        )
    items.sort(key=lambda item: (-(item["open_tickets"] / (item["capacity"] or 1)), item["agent"]["id"]))
    return {"items": items, "total": len(items)}
