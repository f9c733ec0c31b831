"""Rules: validation, saving (each change a new revision), and the compiled per-tenant cache.

A process keeps each tenant's active rules compiled, keyed by the tenant's rules stamp
(`RulesState`), which every change renews in the same transaction: one small read per event
(at most every `STAMP_SECONDS`; a process's own changes count at once) tells whether the
cache is still good, across processes. Conditions are compiled when the tenant's rules
change, not per event.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from gongdan import actions, clock
from gongdan.db import write_transaction
from gongdan.errors import NotFound, ValidationError
from gongdan.ids import parse_id
from gongdan.models import Team, Tenant
from gongdan.permissions import ROLE_RANK

from .conditions import Predicate, compile_rule, db_token, kind_of, validate_conditions
from .models import RULE_KINDS, Rule, RulesState

# events a trigger can listen to
EVENTS: dict[str, tuple[str, str]] = {
    "created": ("工单创建", "Ticket created"),
    "updated": ("工单字段变更", "Ticket fields changed"),
    "status_changed": ("状态变更", "Status changed"),
    "assigned": ("分配变更", "Assignee changed"),
    "customer_comment": ("客户留言", "Customer commented"),
    "agent_comment": ("客服回复", "Agent replied"),
    "note": ("内部备注", "Internal note added"),
    "linked": ("开了跟进工单", "Follow-up opened"),
    "sla.warning": ("SLA 预警", "SLA warning"),
    "sla.breach": ("SLA 超时", "SLA breach"),
}
# plugin event kinds that are not events of a ticket a trigger should react to
NOT_TRIGGERS = ("action.run", "automation.")


def events_offered(tenant: Tenant) -> list[tuple[str, str, str]]:
    """`(name, label_zh, label_en)` of the events a trigger of `tenant` can listen to: the core's
    (`EVENTS`), then the event kinds the plugins enabled in `tenant` register
    (`gongdan_event_kinds`, e.g. 收到拼多多售后申请 `pdd_connector.request_received`), by name."""
    from gongdan.plugins import get_host

    host = get_host()
    names = host.enabled(tenant) | host.always_on
    offered = [(name, zh, en) for name, (zh, en) in EVENTS.items()]
    plugin_kinds = []
    for plugin, kind in host.registered("gongdan_event_kinds"):
        name = getattr(kind, "kind", "")
        if plugin in names and "." in name and name not in EVENTS and not name.startswith(NOT_TRIGGERS):
            plugin_kinds.append((name, kind.label_zh, kind.label_en))
    seen: set[str] = set()
    return offered + [k for k in sorted(plugin_kinds) if not (k[0] in seen or seen.add(k[0]))]


EDITABLE = (
    "name",
    "position",
    "active",
    "event",
    "match",
    "conditions",
    "actions",
    "action",
    "approver_role",
    "approver_team",
    "expires_hours",
)


@dataclass(frozen=True)
class Compiled:
    """A rule ready to evaluate: its row's values and its conditions as one function."""

    id: int
    revision: int
    name: str
    kind: str
    key: str  # the event (trigger), the held action (approval), "" (time rule)
    matches: Predicate
    actions: tuple[dict[str, Any], ...]
    approver_role: str
    expires_hours: int
    conditions: tuple[dict[str, Any], ...]
    approver_team: int | None = None
    match: str = "all"


class RuleSet(list):
    """One kind's active rules for one key, in order, with an index of their equality conditions.

    Most triggers name a value a ticket must have (`category_2 is 物流`, `channel is email`):
    each rule of all-conditions (or of one condition) with a text `is` condition is filed under
    that field and value — the field most such rules share — so an event evaluates only the rules
    filed under the ticket's own values and the rules that cannot be filed. The index only
    narrows: every candidate's whole predicate is still evaluated.
    """

    def __init__(self, items: list[Compiled]) -> None:
        super().__init__(items)
        self.by_field: dict[str, dict[str, list[int]]] = {}
        self.rest: list[int] = []
        keys = [_equality_keys(rule) for rule in items]
        shared: dict[str, int] = {}
        for found in keys:
            for field in found:
                shared[field] = shared.get(field, 0) + 1
        for i, found in enumerate(keys):
            if not found:
                self.rest.append(i)
                continue
            field = max(found, key=lambda name: (shared[name], name))
            self.by_field.setdefault(field, {}).setdefault(found[field], []).append(i)

    def candidates(self, facts: Any) -> list[Compiled]:
        """The rules that may match `facts` (a `conditions.Facts`), in order."""
        if not self.by_field:
            return list(self)
        picked = list(self.rest)
        for field, buckets in self.by_field.items():
            value = facts.get(field)
            if isinstance(value, str):
                picked.extend(buckets.get(value, ()))
        picked.sort()
        return [self[i] for i in picked]


def _equality_keys(rule: Compiled) -> dict[str, str]:
    """`{field: value}` of the rule's text `is` conditions that must all hold (none for `any`)."""
    if rule.match == "any" and len(rule.conditions) > 1:
        return {}
    found: dict[str, str] = {}
    for cond in rule.conditions:
        field, value = cond.get("field"), cond.get("value")
        if cond.get("op") == "is" and kind_of(str(field)) == "text" and isinstance(value, str):
            found.setdefault(str(field), value.strip())
    return found


STAMP_SECONDS = 2.0  # how long a process trusts the stamp it read (its own changes count at once)
_cache: dict[tuple[str, int], tuple[str, dict[tuple[str, str], RuleSet]]] = {}
_stamps: dict[tuple[str, int], tuple[float, str]] = {}
_lock = threading.Lock()


def _key(tenant: Tenant) -> tuple[str, int]:
    """The cache key of `tenant` in the database now open (a test opens a new one per test)."""
    return db_token(), tenant.id


def _current_stamp(tenant: Tenant) -> str:
    key, now = _key(tenant), time.monotonic()
    seen = _stamps.get(key)
    if seen is not None and now - seen[0] < STAMP_SECONDS:
        return seen[1]
    value = stamp(tenant)
    _stamps[key] = (now, value)
    return value


def stamp(tenant: Tenant) -> str:
    """The tenant's rules stamp ("" before any rule)."""
    row = RulesState.select(RulesState.stamp).where(RulesState.tenant == tenant.id).first()
    return row.stamp if row is not None else ""


def _bump(tenant: Tenant) -> None:
    fresh = uuid.uuid4().hex
    changed = (
        RulesState.update(revision=RulesState.revision + 1, stamp=fresh).where(RulesState.tenant == tenant.id).execute()
    )
    if not changed:
        RulesState.create(tenant=tenant, revision=1, stamp=fresh)
    _stamps.pop(_key(tenant), None)


def touch(tenant: Tenant) -> None:
    """Renew the tenant's rules stamp (inside the caller's transaction): every process reloads them."""
    _bump(tenant)


EMPTY = RuleSet([])


def active(tenant: Tenant, kind: str, key: str) -> RuleSet:
    """The tenant's active rules of `kind` for `key` (event or action), in order, compiled and
    indexed (`RuleSet.candidates`)."""
    current = _current_stamp(tenant)
    where = _key(tenant)
    cached = _cache.get(where)
    if cached is None or cached[0] != current:
        cached = (current, _load(tenant))
        with _lock:
            _cache[where] = cached
    return cached[1].get((kind, key), EMPTY)


def _load(tenant: Tenant) -> dict[tuple[str, str], RuleSet]:
    grouped: dict[tuple[str, str], list[Compiled]] = {}
    rows = Rule.of(tenant).where(Rule.active == True).order_by(Rule.position, Rule.id)  # noqa: E712
    for row in rows:
        compiled = compile_row(row)
        grouped.setdefault((compiled.kind, compiled.key), []).append(compiled)
    return {key: RuleSet(items) for key, items in grouped.items()}


def compile_row(row: Rule) -> Compiled:
    """The rule with its conditions compiled into one function."""
    key = row.event if row.kind == "trigger" else row.action if row.kind == "approval" else ""
    return Compiled(
        row.id,
        row.revision,
        row.name,
        row.kind,
        key,
        compile_rule(row.match, row.conditions),
        tuple(row.actions),
        row.approver_role,
        row.expires_hours,
        tuple(row.conditions),
        row.approver_team_id,
        row.match,
    )


def check_actions(tenant: Tenant, items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        raise ValidationError("invalid actions", {"actions": ["must be a list"]})
    known = {a.name: a for a in actions.offered(tenant)}
    problems: dict[str, list[str]] = {}
    clean = []
    for i, item in enumerate(items):
        name = item.get("action") if isinstance(item, dict) else None
        if name not in known:
            problems[f"actions.{i}.action"] = ["no such ticket action in this tenant"]
            continue
        inputs = item.get("inputs") or {}
        errors = known[name].schema().validate(inputs)
        for field, why in errors.items():
            if isinstance(why, dict):  # a list's items: {index: [reasons]}, each under its own path
                for index, reasons in why.items():
                    problems[f"actions.{i}.inputs.{field}.{index}"] = (
                        list(reasons) if isinstance(reasons, list) else [str(reasons)]
                    )
            else:
                problems[f"actions.{i}.inputs.{field}"] = why if isinstance(why, list) else [str(why)]
        clean.append({"action": name, "inputs": inputs})
    if problems:
        raise ValidationError("invalid actions", problems)
    return clean


def validate(tenant: Tenant, data: dict[str, Any], kind: str) -> dict[str, Any]:
    """A rule's values checked for its kind; ValidationError names every bad field."""
    problems: dict[str, list[str]] = {}
    if kind not in RULE_KINDS:
        problems["kind"] = [f"must be one of: {', '.join(RULE_KINDS)}"]
    out = {k: data[k] for k in EDITABLE if k in data}
    for key, check in (("conditions", validate_conditions), ("actions", lambda items: check_actions(tenant, items))):
        if key in out and (key == "conditions" or kind in ("trigger", "time")):
            try:
                out[key] = check(out[key])
            except ValidationError as exc:
                problems.update(exc.fields)
    if kind == "trigger" and "event" in out and out["event"] not in EVENTS and "." not in str(out["event"]):
        problems["event"] = [f"must be one of: {', '.join(EVENTS)} or a plugin's event kind"]
    if kind == "approval" and "action" in out and out["action"] not in {a.name for a in actions.offered(tenant)}:
        problems["action"] = ["no such ticket action in this tenant"]
    if "approver_role" in out and out["approver_role"] not in ROLE_RANK:
        problems["approver_role"] = [f"must be one of: {', '.join(ROLE_RANK)}"]
    if out.get("approver_team") is not None:
        team = parse_id(out["approver_team"])
        if not team or not Team.of(tenant).where(Team.id == team).exists():
            problems["approver_team"] = ["no such team in this tenant"]
        else:
            out["approver_team"] = team
    if "match" in out and out["match"] not in ("all", "any"):
        problems["match"] = ["must be all or any"]
    if problems:
        raise ValidationError("invalid rule", problems)
    return out


def get(tenant: Tenant, rule_id: Any) -> Rule:
    """The tenant's rule `rule_id`; NotFound otherwise."""
    found = Rule.get_or_none((Rule.id == parse_id(rule_id)) & (Rule.tenant == tenant)) if parse_id(rule_id) else None
    if found is None:
        raise NotFound("no such rule")
    return found


def create(tenant: Tenant, kind: str, data: dict[str, Any]) -> Rule:
    """A new rule (validated)."""
    values = validate(tenant, data, kind)
    with write_transaction():
        rule = Rule.create(tenant=tenant, kind=kind, **values)
        _bump(tenant)
    return rule


def update(tenant: Tenant, rule: Rule, data: dict[str, Any]) -> Rule:
    """Change a rule: a new revision (its conditions are compiled again)."""
    values = validate(tenant, data, rule.kind)
    with write_transaction():
        for key, value in values.items():
            setattr(rule, key, value)
        rule.revision += 1
        rule.updated_at = clock.now()
        rule.save()
        _bump(tenant)
    return rule


def delete(tenant: Tenant, rule: Rule) -> None:
    """Remove a rule and its history."""
    with write_transaction():
        rule.delete_instance(recursive=True)
        _bump(tenant)


def as_dict(rule: Rule) -> dict[str, Any]:
    """The rule for the API."""
    from gongdan.representation import iso

    return {
        "id": rule.id,
        "kind": rule.kind,
        "name": rule.name,
        "position": rule.position,
        "active": rule.active,
        "event": rule.event,
        "match": rule.match,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "action": rule.action,
        "approver_role": rule.approver_role,
        "approver_team": rule.approver_team_id,
        "expires_hours": rule.expires_hours,
        "revision": rule.revision,
        "last_fired_at": iso(rule.last_fired_at),
        "fired_count": rule.fired_count,
    }
