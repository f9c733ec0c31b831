"""The agents who may take a ticket now, as the strategies see them (`Candidate`).

With many agents, loading them all for every decision is what costs. The built-in strategies
therefore name an ordering (`ORDERS`) that the database applies, and only a short list of the
best-placed agents is loaded; the strategy then chooses among those exactly as it would among
all. A strategy without an ordering (a third party's) receives every eligible agent.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import peewee
from peewee import JOIN, fn

from gongdan import clock
from gongdan.models import AgentSkill, Skill, Tenant, Ticket, User
from gongdan_assignment.availability import local_now, on_shift
from gongdan_assignment.models import AgentState
from gongdan_assignment.skills import levels_for, ticket_terms

SHORTLIST = 40


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


LOAD = AgentState.open_count * 1.0 / AgentState.capacity
ORDERS: dict[str, Any] = {
    "least_loaded": lambda level: [LOAD, fn.random()],
    "round_robin": lambda level: [AgentState.last_assigned_at.asc(nulls="FIRST"), AgentState.user],
    "weighted": lambda level: [(AgentState.assigned_total + 1) * 1.0 / AgentState.weight, LOAD, AgentState.user],
    "skills": lambda level: [fn.COALESCE(fn.SUM(level), 0).desc(), LOAD, fn.random()],
    "tier": lambda level: [fn.COALESCE(fn.MAX(level), 0).desc(), LOAD, fn.random()],
}
NEEDS_LEVELS = {"skills", "tier"}


def available(
    tenant: Tenant,
    ticket: Ticket,
    strategy: str,
    *,
    team_id: int | None = None,
    min_level: int | None = None,
    exclude: Collection[int] = (),
    only: Collection[int] | None = None,
) -> list[Candidate]:
    """Online, on shift, not on leave, active, below capacity, in `team_id`, at `min_level` or above.

    For a built-in `strategy` the best-placed few by its ordering; otherwise all of them.
    """
    terms = ticket_terms(ticket)
    matched = [s for (s,) in Skill.select(Skill.id).where((Skill.tenant == tenant.id) & Skill.name.in_(terms)).tuples()]
    by_level = strategy in NEEDS_LEVELS or bool(min_level)
    query, level = _query(tenant, team_id, exclude, only, matched if by_level else None, by_level)
    if min_level:
        query = query.having(fn.COALESCE(fn.MAX(level), 0) >= min_level)
    order = ORDERS.get(strategy)
    local = local_now(tenant)
    found: list[Candidate] = []
    if order is None:
        found = [c for c, shifts in _rows(query) if on_shift(shifts, local)]
    else:
        query = query.order_by(*order(level))
        offset = 0
        while not found:
            rows = list(_rows(query.limit(SHORTLIST).offset(offset)))
            found = [c for c, shifts in rows if on_shift(shifts, local)]
            if len(rows) < SHORTLIST:
                break
            offset += SHORTLIST
    if found:
        _fill_skills(tenant, terms, matched, found, by_level)
    return found


def _query(
    tenant: Tenant,
    team_id: int | None,
    exclude: Collection[int],
    only: Collection[int] | None,
    skill_ids: list[int] | None,
    by_level: bool,
) -> tuple[peewee.ModelSelect, Any]:
    now = clock.now()
    link = AgentSkill.alias("link")
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
    if exclude:
        query = query.where(AgentState.user.not_in(list(exclude)))
    if only is not None:
        query = query.where(AgentState.user.in_(list(only)))
    if not by_level:
        return query, None
    # the ticket's skills when any agent has one of them; otherwise any skill (seniority)
    on = link.user == AgentState.user
    if skill_ids:
        on &= link.skill.in_(skill_ids)
    query = query.join_from(AgentState, link, JOIN.LEFT_OUTER, on=on).group_by(AgentState.id, User.id)
    return query, link.level


def _rows(query: peewee.ModelSelect) -> Any:
    for user_id, name, email, team, open_count, capacity, weight, total, last, shifts in query.tuples():
        yield Candidate(user_id, name or email, team, open_count, capacity, weight, total, last), shifts


def _fill_skills(tenant: Tenant, terms: list[str], matched: list[int], found: list[Candidate], by_level: bool) -> None:
    ids = [c.user_id for c in found]
    levels = levels_for(tenant, terms, ids) if matched else {}
    top: dict[int, int] = {}
    if by_level and not matched:
        query = AgentSkill.select(AgentSkill.user, fn.MAX(AgentSkill.level)).where(AgentSkill.user.in_(ids))
        top = dict(query.group_by(AgentSkill.user).tuples())
    for candidate in found:
        candidate.skills = levels.get(candidate.user_id, {})
        candidate.level = max(candidate.skills.values(), default=0) if matched else top.get(candidate.user_id, 0)
