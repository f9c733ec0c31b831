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

from peewee import fn

from gongdan import clock
from gongdan.models import AgentSkill, Skill, Tenant, Ticket, User
from gongdan_assignment.availability import local_now, on_shift
from gongdan_assignment.models import AgentState
from gongdan_assignment.skills import levels_for, ticket_terms
from gongdan_assignment.sql import marks, run

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


LOAD = "CAST(a.open_count AS REAL) / a.capacity"  # REAL: floating point on both databases
ORDERS: dict[str, str] = {
    "least_loaded": f"{LOAD}, random()",
    "round_robin": "a.last_assigned_at IS NOT NULL, a.last_assigned_at, a.user_id",
    "weighted": f"CAST(a.assigned_total + 1 AS REAL) / a.weight, {LOAD}, a.user_id",
    "skills": f"COALESCE(s.score, 0) DESC, {LOAD}, random()",
    "tier": f"COALESCE(s.top, 0) DESC, {LOAD}, random()",
}
NEEDS_LEVELS = {"skills", "tier"}
SELECT = """SELECT a.user_id, u.name, u.email, u.team_id, a.open_count, a.capacity, a.weight, a.assigned_total,
 a.last_assigned_at, COALESCE(a.shifts, '[]') FROM {agent} a JOIN {user} u ON u.id = a.user_id"""
WHERE = """ WHERE a.tenant_id = ? AND a.status = 'online' AND a.open_count < a.capacity AND u.is_active = ?
 AND (a.leave_start IS NULL OR a.leave_start > ? OR a.leave_end <= ?)"""


def _template(order: str | None, team: bool, skills: int, by_level: bool, min_level: bool) -> str:
    """The candidates' SQL for one shape of question."""
    sql = SELECT
    if by_level:
        # levels in the ticket's skills (or, when nobody has one, in any skill), per agent
        sql += " LEFT JOIN (SELECT user_id, SUM(level) AS score, MAX(level) AS top FROM {link} WHERE tenant_id = ?"
        sql += f" AND skill_id IN ({marks(skills)})" if skills else ""
        sql += " GROUP BY user_id) s ON s.user_id = a.user_id"
    sql += WHERE + (" AND u.team_id = ?" if team else "")
    if min_level:
        sql += " AND COALESCE(s.top, 0) >= ?"
    if order is not None:
        sql += f" ORDER BY {ORDERS[order]} LIMIT ?"
    return sql


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

    For a built-in `strategy` the best-placed few by its ordering (all of them when `exclude` or
    `only` narrow the choice, or when the few are all off shift); otherwise every one.
    """
    # the skills a ticket names matter to skills, tier, min_level and third parties' strategies only
    wants_skills = strategy in NEEDS_LEVELS or bool(min_level) or strategy not in ORDERS
    matched = skill_ids(tenant, ticket_terms(ticket)) if wants_skills else []
    if strategy == "skills" and not matched:
        strategy = "least_loaded"  # nobody has a skill it names: the skills strategy falls back to load
    by_level = strategy in NEEDS_LEVELS or bool(min_level)
    order = strategy if strategy in ORDERS and not exclude and only is None else None
    shape = (team_id is not None, len(matched) if by_level else 0, by_level, bool(min_level))
    now = AgentState.leave_start.db_value(clock.now())
    params: list[Any] = ([tenant.id, *matched] if by_level else []) + [tenant.id, True, now, now]
    params += [team_id] if team_id is not None else []
    params += [min_level] if min_level else []
    local = local_now(tenant)
    keep = set(only) if only is not None else None

    def fetch(order: str | None) -> tuple[list[Candidate], int]:
        paging = [SHORTLIST] if order else []
        rows = run(_template(order, *shape), params + paging, agent=AgentState, user=User, link=AgentSkill).fetchall()
        ok = [r for r in rows if on_shift(r[9], local) and r[0] not in exclude and (keep is None or r[0] in keep)]
        return [_candidate(row) for row in ok], len(rows)

    found, seen = fetch(order)
    if not found and order is not None and seen == SHORTLIST:
        order = None  # the whole short list is off shift: look at everyone
        found, _ = fetch(None)
    if found and (by_level or order is None):
        _fill_skills(matched, found, by_level)
    return found


def _candidate(row: tuple[Any, ...]) -> Candidate:
    user_id, name, email, team, open_count, capacity, weight, total, last = row[:9]
    last = AgentState.last_assigned_at.python_value(last)
    return Candidate(user_id, name or email, team, open_count, capacity, weight, total, last)


def skill_ids(tenant: Tenant, terms: list[str]) -> list[int]:
    """Ids of the tenant's skills named like one of `terms`."""
    if not terms:
        return []
    template = f"SELECT id FROM {{skill}} WHERE tenant_id = ? AND name IN ({marks(len(terms))}) ORDER BY id"
    return [row[0] for row in run(template, [tenant.id, *terms], skill=Skill).fetchall()]


def _fill_skills(matched: list[int], found: list[Candidate], by_level: bool) -> None:
    ids = [c.user_id for c in found]
    levels = levels_for(matched, ids)
    top: dict[int, int] = {}
    if by_level and not matched:
        query = AgentSkill.select(AgentSkill.user, fn.MAX(AgentSkill.level)).where(AgentSkill.user.in_(ids))
        top = dict(query.group_by(AgentSkill.user).tuples())
    for candidate in found:
        candidate.skills = levels.get(candidate.user_id, {})
        candidate.level = max(candidate.skills.values(), default=0) if matched else top.get(candidate.user_id, 0)
