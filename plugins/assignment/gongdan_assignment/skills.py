"""Agents' skills (core `Skill` / `AgentSkill`, levels 1–5) and the skill terms of a ticket."""

from __future__ import annotations

from typing import Any

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.models import AgentSkill, Category, Skill, Tenant, Ticket, User
from gongdan.representation import user_brief
from gongdan.statements import attached
from gongdan_assignment.sql import marks, run


def skills_of(user: User) -> dict[str, int]:
    """`{skill name: level}` of one agent, by name."""
    rows = AgentSkill.select(Skill.name, AgentSkill.level).join(Skill).where(AgentSkill.user == user.id).tuples()
    return dict(sorted(rows))


def replace(tenant: Tenant, user: User, skills: dict[str, int], actor: Actor) -> dict[str, int]:
    """Make `skills` the agent's whole skill set (unknown skill names are created); returns it."""
    wanted = {name.strip(): level for name, level in skills.items() if name.strip()}
    before = skills_of(user)
    with write_transaction():
        known = {s.name: s for s in Skill.of(tenant).where(Skill.name.in_(list(wanted)))} if wanted else {}
        for name in wanted.keys() - known.keys():
            known[name] = Skill.create(tenant=tenant, name=name)
        AgentSkill.delete().where(AgentSkill.user == user.id).execute()
        if wanted:
            AgentSkill.insert_many(
                [{"tenant": tenant.id, "user": user.id, "skill": known[n].id, "level": lv} for n, lv in wanted.items()]
            ).execute()
        if wanted != before:
            tickets.record_event(
                tenant, None, "assignment.skills", {"agent_id": user.id, "from": before, "to": wanted}, actor
            )
    return dict(sorted(wanted.items()))


def ticket_terms(ticket: Ticket) -> list[str]:
    """What of a ticket a skill name may match: category segments, tags, channel, language."""
    terms: list[str] = []
    path = category_path(ticket)
    if path:
        terms.extend(path.split("/"))
    terms.extend(ticket.tags or [])
    terms.append(ticket.channel)
    if ticket.language:
        terms.append(ticket.language)
    return list(dict.fromkeys(terms))


def levels_for(skill_ids: list[int], user_ids: list[int]) -> dict[int, dict[str, int]]:
    """`{user id: {skill name: level}}` of these agents in these skills."""
    if not skill_ids or not user_ids:
        return {}
    template = (
        "SELECT l.user_id, s.name, l.level FROM {link} l"
        " JOIN {skill} s ON s.id = l.skill_id AND s.tenant_id = l.tenant_id"
        f" WHERE l.skill_id IN ({marks(len(skill_ids))}) AND l.user_id IN ({marks(len(user_ids))})"
    )
    found: dict[int, dict[str, int]] = {}
    for user_id, name, level in run(template, [*skill_ids, *user_ids], link=AgentSkill, skill=Skill).fetchall():
        found.setdefault(user_id, {})[name] = level
    return found


def category_path(ticket: Ticket) -> str | None:
    """The path of the ticket's category, or None (read only when the ticket does not carry it)."""
    if not ticket.category_id:
        return None
    category = attached(ticket, "category")
    if category is not None:
        return category.path
    return run("SELECT path FROM {category} WHERE id = ?", [ticket.category_id], category=Category).fetchone()[0]


def skills_dict(user: User) -> dict[str, Any]:
    """The API's answer: `{"agent": {...}, "skills": {name: level}}`."""
    return {"agent": user_brief(user), "skills": skills_of(user)}
