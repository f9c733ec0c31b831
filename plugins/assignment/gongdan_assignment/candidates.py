"""The agents who may take a ticket now, as the strategies see them (`Candidate`).

With many agents, loading them all for every decision is what costs. The built-in strategies
therefore name an ordering (`ORDERS`) that the database applies, and only a short list of the
best-placed agents is loaded; the strategy then chooses among those exactly as it would among
all. A strategy without an ordering (a third party's) receives every eligible agent.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gongdan import clock
from gongdan.db import is_postgres
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
    # the index assignment_agent_load gives this order; the strategy draws among equal loads
    "least_loaded": f"{LOAD}, a.user_id",
    "round_robin": "a.last_assigned_at IS NOT NULL, a.last_assigned_at, a.user_id",
    "weighted": f"CAST(a.assigned_total + 1 AS REAL) / a.weight, {LOAD}, a.user_id",
    "skills": f"COALESCE(s.score, 0) DESC, {LOAD}, random()",
    "tier": f"COALESCE(s.top, 0) DESC, {LOAD}, random()",
}
NEEDS_LEVELS = {"skills", "tier"}
# the agents, best placed first: sorting needs the agent rows (and levels) only
INNER = """SELECT a.tenant_id, a.user_id, a.open_count, a.capacity, a.weight, a.assigned_total, a.last_assigned_at,
 COALESCE(a.shifts, '[]') AS shifts, {top} AS top FROM {{agent}} a{levels}
 WHERE a.tenant_id = ? AND a.status = 'online' AND a.open_count < a.capacity
 AND (a.leave_start IS NULL OR a.leave_start > ? OR a.leave_end <= ?)"""
# each agent's sum and best of levels in the ticket's skills (or, when none matched, in any skill)
LEVELS = """ LEFT JOIN (SELECT tenant_id, user_id, SUM(level) AS score, MAX(level) AS top FROM {{link}}
 WHERE tenant_id = ?{matched} GROUP BY tenant_id, user_id) s ON s.user_id = a.user_id AND s.tenant_id = a.tenant_id"""
# then the names (and the skill levels) of the few kept; an inactive user drops out here
OUTER = """SELECT x.user_id, u.name, u.email, u.team_id, x.open_count, x.capacity, x.weight, x.assigned_total,
 x.last_assigned_at, x.shifts, x.top, {levels} FROM ({inner}) x JOIN {{user}} u ON u.id = x.user_id
 AND u.tenant_id = x.tenant_id
 WHERE u.is_active = ? AND u.tenant_id = ?"""
# `{skill id: level}` of one agent in the matched skills, as JSON
LEVELS_JSON = {False: "json_group_object", True: "json_object_agg"}
AGENT_LEVELS = (
    "(SELECT {agg}(l.skill_id, l.level) FROM {{link}} l WHERE l.tenant_id = ? AND l.user_id = x.user_id"
    " AND l.skill_id IN ({ids}))"
)


def _template(order: str | None, team: bool, skills: int, by_level: bool, min_level: bool) -> str:
    """The candidates' SQL for one shape of question.

    Parameters in order: the tenant and the matched skill ids (when levels are shown), then, when
    `by_level`, the tenant and matched ids again; the tenant, now, now; the team, the minimum level
    and the short list's length when the shape has them; true (active users) and the tenant.
    """
    matched = f" AND skill_id IN ({marks(skills)})" if skills else ""
    inner = INNER.format(
        top="COALESCE(s.top, 0)" if by_level else "0", levels=LEVELS.format(matched=matched) if by_level else ""
    )
    if team:
        inner += " AND a.user_id IN (SELECT id FROM {user} WHERE team_id = ?)"
    if min_level:
        inner += " AND COALESCE(s.top, 0) >= ?"
    if order is not None:
        inner += f" ORDER BY {ORDERS[order]} LIMIT ?"
    levels = AGENT_LEVELS.format(agg=LEVELS_JSON[is_postgres()], ids=marks(skills)) if by_level and skills else "NULL"
    return OUTER.format(levels=levels, inner=inner)


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
    names = skill_names(tenant, ticket_terms(ticket)) if wants_skills else {}
    matched = list(names)
    if strategy == "skills" and not matched:
        strategy = "least_loaded"  # nobody has a skill it names: the skills strategy falls back to load
    by_level = strategy in NEEDS_LEVELS or bool(min_level)
    order = strategy if strategy in ORDERS and not exclude and only is None else None
    skills = len(matched) if by_level else 0
    shape = (team_id is not None, skills, by_level, bool(min_level))
    now = AgentState.leave_start.db_value(clock.now())
    # the tenant named in every part: on Citus the whole question then goes to the tenant's shard
    params: list[Any] = [tenant.id, *matched] if skills else []
    params += [tenant.id, *matched] if by_level else []
    params += [tenant.id, now, now]
    params += [team_id] if team_id is not None else []
    params += [min_level] if min_level else []
    local = local_now(tenant)
    keep = set(only) if only is not None else None

    def fetch(order: str | None) -> tuple[list[Candidate], int]:
        paging = [SHORTLIST] if order else []
        sql = _template(order, *shape)
        rows = run(sql, [*params, *paging, True, tenant.id], agent=AgentState, user=User, link=AgentSkill).fetchall()
        ok = [r for r in rows if on_shift(r[9], local) and r[0] not in exclude and (keep is None or r[0] in keep)]
        return [_candidate(row, names, by_level) for row in ok], len(rows)

    found, read = fetch(order)
    if not found and order is not None and read >= SHORTLIST:
        order = None  # nobody of the short list can take it (off shift, inactive): look at everyone
        found, _ = fetch(None)  # (a short list shorter than SHORTLIST already held everyone)
    if found and not by_level and order is None:
        _fill_skills(matched, found)
    return found


def _candidate(row: tuple[Any, ...], names: dict[int, str], levelled: bool) -> Candidate:
    """A candidate from a row of the candidates' SQL (with levels when the shape asks for them)."""
    user_id, name, email, team, open_count, capacity, weight, total, last = row[:9]
    last = AgentState.last_assigned_at.python_value(last)
    candidate = Candidate(user_id, name or email, team, open_count, capacity, weight, total, last)
    if levelled:
        levels = row[11] if isinstance(row[11], dict) else json.loads(row[11] or "{}")
        candidate.skills = {names[int(k)]: v for k, v in levels.items()}
        candidate.level = row[10]
    return candidate


def skill_names(tenant: Tenant, terms: list[str]) -> dict[int, str]:
    """`{id: name}` of the tenant's skills named like one of `terms`, by id."""
    if not terms:
        return {}
    template = f"SELECT id, name FROM {{skill}} WHERE tenant_id = ? AND name IN ({marks(len(terms))}) ORDER BY id"
    return dict(run(template, [tenant.id, *terms], skill=Skill).fetchall())


def _fill_skills(matched: list[int], found: list[Candidate]) -> None:
    levels = levels_for(matched, [c.user_id for c in found])
    for candidate in found:
        candidate.skills = levels.get(candidate.user_id, {})
        candidate.level = max(candidate.skills.values(), default=0)
