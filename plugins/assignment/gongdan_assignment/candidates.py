"""The agents who may take a ticket now, as the strategies see them (`Candidate`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from peewee import fn

from gongdan import clock
from gongdan.models import Tenant, Ticket, User
from gongdan_assignment.availability import local_now, on_shift
from gongdan_assignment.models import AgentState
from gongdan_assignment.skills import levels_for, ticket_terms, top_levels


@dataclass
class Candidate:
    """An available agent with spare capacity.

    `skills` holds the agent's levels in the skills the ticket names (category segments, tags,
    channel, language); `level` is the best of them, or, when no agent has any skill the ticket
    names, the agent's highest level in any skill.
    """

    user_id: int
    name: str
    team_id: int | None
    open_count: int
    capacity: int
    weight: int
    assigned_total: int
    last_assigned_at: datetime | None
    skills: dict[str, int] = field(default_factory=dict)
    level: int = 0

    @property
    def load(self) -> float:
        """Open tickets relative to capacity (0 = idle, 1 = full)."""
        return self.open_count / self.capacity if self.capacity else 1.0

    @property
    def load_text(self) -> str:
        """`"2/8"`: open tickets / capacity."""
        return f"{self.open_count}/{self.capacity}"


def available(
    tenant: Tenant,
    team_id: int | None = None,
    exclude: Collection[int] = (),
    only: Collection[int] | None = None,
) -> list[Candidate]:
    """Online, on shift, not on leave, active, below capacity; in `team_id` when given."""
    now = clock.now()
    query = (
        AgentState.select(
            AgentState.user,
            User.name,
            User.email,
            User.team,
            AgentState.open_count,
            AgentState.capacity,
            AgentState.weight,
            AgentState.assigned_total,
            AgentState.last_assigned_at,
            fn.COALESCE(AgentState.shifts, "[]").coerce(False),
        )
        .join(User, on=(AgentState.user == User.id))
        .where(
            (AgentState.tenant == tenant.id)
            & (AgentState.status == "online")
            & (AgentState.open_count < AgentState.capacity)
            & (User.is_active == True)  # noqa: E712
            & (AgentState.leave_start.is_null() | (AgentState.leave_start > now) | (AgentState.leave_end <= now))
        )
    )
    if team_id is not None:
        query = query.where(User.team == team_id)
    if only is not None:
        query = query.where(AgentState.user.in_(list(only)))
    local = local_now(tenant)
    skip = set(exclude)
    found = []
    for user_id, name, email, team, open_count, capacity, weight, total, last, shifts in query.tuples():
        if user_id in skip or not on_shift(shifts, local):
            continue
        found.append(Candidate(user_id, name or email, team, open_count, capacity, weight, total, last))
    return found


def with_skills(tenant: Tenant, ticket: Ticket, candidates: list[Candidate], need_level: bool) -> None:
    """Fill each candidate's `skills` (and `level`, when `need_level`) for `ticket`."""
    matched = levels_for(tenant, ticket_terms(ticket))
    fallback = top_levels(tenant) if need_level and not matched else {}
    for candidate in candidates:
        candidate.skills = matched.get(candidate.user_id, {})
        candidate.level = max(candidate.skills.values(), default=0) if matched else fallback.get(candidate.user_id, 0)
