"""The tenant's routing rules: stored, validated, and matched against a ticket (first match wins)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gongdan import clock, tenant_cache, tickets
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import ValidationError
from gongdan.models import Team, Tenant, Ticket
from gongdan.representation import iso
from gongdan_assignment.models import RuleSet
from gongdan_assignment.skills import category_path
from gongdan_assignment.sql import run

DEFAULT_TARGET = {"strategy": "least_loaded", "team": None, "min_level": None, "options": {}}


@dataclass(frozen=True)
class Target:
    """Where a ticket goes: strategy name, team (id, name) or None, minimum skill level, options."""

    strategy: str
    team_id: int | None = None
    team_name: str | None = None
    min_level: int | None = None
    options: dict[str, Any] = field(default_factory=dict)
    rule: int | None = None  # index of the matching rule; None for the default


def rules_dict(tenant: Tenant) -> dict[str, Any]:
    """The tenant's rules as the API shows them (the default alone when none were set)."""
    row = RuleSet.get_or_none(RuleSet.tenant == tenant.id)
    if row is None:
        return {"rules": [], "default": dict(DEFAULT_TARGET), "updated_at": None}
    return {"rules": row.rules, "default": row.default, "updated_at": iso(row.updated_at)}


def save(tenant: Tenant, payload: dict[str, Any], actor: Actor, strategies: set[str]) -> dict[str, Any]:
    """Store a loaded `RulesSchema` after checking strategies and teams exist (422 names the fields)."""
    problems: dict[str, list[str]] = {}
    targets = [(f"rules.{i}", rule) for i, rule in enumerate(payload["rules"])] + [("default", payload["default"])]
    team_names = {t.name for t in Team.of(tenant)}
    for where, target in targets:
        if target["strategy"] not in strategies:
            problems[f"{where}.strategy"] = [f"unknown strategy; one of: {', '.join(sorted(strategies))}"]
        if target.get("team") is not None and target["team"] not in team_names:
            problems[f"{where}.team"] = [f"no team {target['team']!r} in this tenant"]
    if problems:
        raise ValidationError("invalid rules", problems)
    with write_transaction():
        row = RuleSet.get_or_none(RuleSet.tenant == tenant.id) or RuleSet(tenant=tenant.id)
        before = (row.rules, row.default) if row.id else None
        row.rules, row.default = payload["rules"], payload["default"]
        row.updated_by, row.updated_at = actor.user, clock.now()
        row.save()
        tenant_cache.changed(tenant)  # every process reads the rules again (target_for)
        tickets.record_event(
            tenant,
            None,
            "assignment.rules",
            {"rules": len(row.rules), "changed": before != (row.rules, row.default)},
            actor,
        )
    return rules_dict(tenant)


def _tier(ticket: Ticket) -> str | None:
    return ticket.customer.tier if ticket.customer_id else None


def matches(when: dict[str, Any], ticket: Ticket) -> bool:
    """Whether every condition of `when` holds for `ticket` (tags: any of them)."""
    if "channel" in when and ticket.channel != when["channel"]:
        return False
    if "priority" in when and ticket.priority != when["priority"]:
        return False
    if "customer_tier" in when and _tier(ticket) != when["customer_tier"]:
        return False
    if "tags" in when and not set(when["tags"]) & set(ticket.tags or []):
        return False
    if "category" in when:
        path, prefix = category_path(ticket), when["category"].strip("/")
        if path is None or not (path == prefix or path.startswith(prefix + "/")):
            return False
    return True


def _read_rules(tenant: Tenant) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    row = run('SELECT rules, "default" FROM {rules} WHERE tenant_id = ?', [tenant.id], rules=RuleSet).fetchone()
    return (json.loads(row[0]), json.loads(row[1])) if row else ([], DEFAULT_TARGET)


def target_for(tenant: Tenant, ticket: Ticket) -> Target:
    """The target of the first rule `ticket` matches, or the tenant's default."""
    rules, default = tenant_cache.cached(tenant, "assignment.rules", lambda: _read_rules(tenant))
    chosen, index = default, None
    for i, rule in enumerate(rules):
        if matches(rule["when"], ticket):
            chosen, index = rule, i
            break
    team_id = None
    if chosen.get("team"):
        team = run("SELECT id FROM {team} WHERE tenant_id = ? AND name = ?", [tenant.id, chosen["team"]], team=Team)
        found = team.fetchone()
        team_id = found[0] if found else None
    return Target(
        strategy=chosen["strategy"],
        team_id=team_id,
        team_name=chosen.get("team"),
        min_level=chosen.get("min_level"),
        options=chosen.get("options") or {},
        rule=index,
    )
