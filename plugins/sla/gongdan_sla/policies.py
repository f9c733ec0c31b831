"""Policies and calendars of a tenant: validation, storage, and choosing the policy for a ticket."""

from __future__ import annotations

import itertools
import time
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from gongdan import audit, clock, tenant_cache
from gongdan.actors import Actor
from gongdan.db import db, write_transaction
from gongdan.errors import ValidationError as GongdanValidationError
from gongdan.models import PRIORITIES, Tenant, Ticket
from gongdan.validation import load

from .calendars import BusinessCalendar, CalendarError
from .models import SlaCalendar, SlaPolicy
from .month import KINDS

TARGETS = ("first_response", "next_response", "resolution")
ACTIONS = ("notify_assignee", "notify_supervisor", "notify_admin", "raise_priority", "reassign")
DEFAULT_CALENDAR = "default"


class ConditionsSchema(Schema):
    """When a policy applies: every condition given must hold."""

    class Meta:
        unknown = RAISE

    priority = fields.List(fields.String(validate=validate.OneOf(PRIORITIES)))
    tier = fields.List(fields.String(validate=validate.Length(min=1, max=32)))
    channel = fields.List(fields.String(validate=validate.Length(min=1, max=32)))
    category = fields.String(validate=validate.Length(min=1, max=320))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=64)))


class EscalationSchema(Schema):
    """One escalation level: `after` business minutes past the breach, do `actions`."""

    class Meta:
        unknown = RAISE

    after = fields.Integer(required=True, validate=validate.Range(min=0))
    actions = fields.List(fields.String(validate=validate.OneOf(ACTIONS)), required=True, validate=validate.Length(1))


class PolicySchema(Schema):
    """A policy as the API takes and shows it; targets are business minutes."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    conditions = fields.Nested(ConditionsSchema, load_default=dict)
    calendar = fields.String(load_default=DEFAULT_CALENDAR, validate=validate.Length(min=1, max=64))
    first_response = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1))
    next_response = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1))
    resolution = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1))
    warning_percent = fields.Integer(load_default=80, validate=validate.Range(min=1, max=99))
    escalations = fields.List(fields.Nested(EscalationSchema), load_default=list)
    pause_when_pending = fields.Boolean(load_default=True)

    @validates_schema
    def _has_target(self, data: dict[str, Any], **_: Any) -> None:
        if not any(data.get(target) for target in TARGETS):
            raise ValidationError("give at least one target", "first_response")
        afters = [level["after"] for level in data.get("escalations", [])]
        if afters != sorted(afters):
            raise ValidationError("levels must be in increasing order of `after`", "escalations")


class PoliciesSchema(Schema):
    """`PUT /api/v1/sla/policies`: the whole ordered list (first match wins)."""

    class Meta:
        unknown = RAISE

    items = fields.List(fields.Nested(PolicySchema), required=True)


class CalendarSchema(Schema):
    """A named calendar as the API takes and shows it."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    tz = fields.String(load_default="Asia/Shanghai")
    weekly = fields.Dict(keys=fields.String(), values=fields.List(fields.List(fields.String())), required=True)
    region = fields.String(allow_none=True, load_default="CN")
    closed = fields.List(fields.Date(), load_default=list)
    open = fields.List(fields.Date(), load_default=list)
    special = fields.Dict(keys=fields.Date(), values=fields.List(fields.List(fields.String())), load_default=dict)


class CalendarsSchema(Schema):
    """`PUT /api/v1/sla/calendars`: every calendar of the tenant."""

    class Meta:
        unknown = RAISE

    items = fields.List(fields.Nested(CalendarSchema), required=True)


# --- calendars ----------------------------------------------------------------------------

CALENDAR_RECHECK_SECONDS = 5.0
_tokens = itertools.count(1)
_calendars: dict[tuple[int, int, str], tuple[Any, BusinessCalendar]] = {}
_resolved: dict[tuple[int, int, str | None], tuple[float, BusinessCalendar]] = {}


def _db_token() -> int:
    """A number for the bound database object, so caches never outlive it (tests open many)."""
    token = getattr(db.obj, "_sla_cache_token", None)
    if token is None:
        token = next(_tokens)
        db.obj._sla_cache_token = token
    return token


def build_calendar(data: dict[str, Any], *, on_unknown_year: str = "warn") -> BusinessCalendar:
    """A `BusinessCalendar` from a stored or posted definition."""
    return BusinessCalendar(
        tz=data.get("tz") or "Asia/Shanghai",
        weekly=data["weekly"],
        region=data.get("region"),
        closed=data.get("closed", ()),
        open=data.get("open", data.get("opened", ())),
        special=data.get("special"),
        on_unknown_year=on_unknown_year,
    )


def calendar_for(tenant: Tenant, name: str | None) -> BusinessCalendar:
    """The tenant's calendar `name`, else its `default`, else 24×7 in the tenant's time zone.

    Built calendars are cached (their per-day tables are what make steps cheap); whether a
    calendar was edited in another process is checked at most every few seconds.
    """
    key = (_db_token(), tenant.id, name)  # per database: tests open a fresh one each time
    resolved = _resolved.get(key)
    if resolved is not None and time.monotonic() - resolved[0] < CALENDAR_RECHECK_SECONDS:
        return resolved[1]
    cal = _load_calendar(tenant, name)
    _resolved[key] = (time.monotonic(), cal)
    return cal


def _load_calendar(tenant: Tenant, name: str | None) -> BusinessCalendar:
    row = SlaCalendar.of(tenant).where(SlaCalendar.name == (name or DEFAULT_CALENDAR)).first()
    if row is None and name not in (None, DEFAULT_CALENDAR):
        row = SlaCalendar.of(tenant).where(SlaCalendar.name == DEFAULT_CALENDAR).first()
    if row is None:
        key = (_db_token(), tenant.id, f"*{tenant.timezone}")
        if key not in _calendars:
            _calendars[key] = (None, BusinessCalendar.always_open(tenant.timezone))
        return _calendars[key][1]
    key, stamp = (_db_token(), tenant.id, row.name), (row.updated_at, row.id)
    cached = _calendars.get(key)
    if cached is None or cached[0] != stamp:
        cached = _calendars[key] = (stamp, build_calendar(calendar_dict(row)))
    return cached[1]


def calendar_dict(row: SlaCalendar) -> dict[str, Any]:
    """A stored calendar as the API shows it."""
    return {
        "name": row.name,
        "tz": row.tz,
        "weekly": row.weekly,
        "region": row.region,
        "closed": row.closed,
        "open": row.opened,
        "special": row.special,
    }


def save_calendars(tenant: Tenant, data: dict[str, Any], actor: Actor | None = None) -> list[SlaCalendar]:
    """Replace the tenant's calendars (validated: time zone, overlapping intervals, dates).

    Audited as `sla.calendars_changed` with the diff, credited to `actor` (the plugin when None).
    """
    payload = load(CalendarsSchema, data)
    problems: dict[str, list[str]] = {}
    names = [item["name"] for item in payload["items"]]
    if len(set(names)) != len(names):
        problems["items"] = ["calendar names must be unique"]
    for index, item in enumerate(payload["items"]):
        try:
            build_calendar(item)
        except CalendarError as exc:
            for key, reasons in exc.fields.items():
                problems[f"items.{index}.{key}"] = reasons
    if problems:
        raise GongdanValidationError("invalid calendars", problems)
    now = clock.now()
    for key in [key for key in _resolved if key[:2] == (_db_token(), tenant.id)]:
        del _resolved[key]
    with write_transaction():
        before = {row.name: calendar_dict(row) for row in SlaCalendar.of(tenant)}
        SlaCalendar.delete().where(SlaCalendar.tenant == tenant).execute()
        for item in payload["items"]:
            described = build_calendar(item).describe()
            SlaCalendar.create(
                tenant=tenant,
                name=item["name"],
                tz=described["tz"],
                weekly=described["weekly"],
                region=described["region"],
                closed=described["closed"],
                opened=described["open"],
                special=described["special"],
                updated_at=now,
            )
        saved = list(SlaCalendar.of(tenant).order_by(SlaCalendar.name))
        _audit(tenant, "sla.calendars_changed", actor, before, {row.name: calendar_dict(row) for row in saved})
    return saved


def _audit(tenant: Tenant, kind: str, actor: Actor | None, before: dict[str, dict], after: dict[str, dict]) -> None:
    """Record what an edit of named items changed, field by field."""
    changes = audit.diff(audit.flat(before), audit.flat(after))
    if changes:
        audit.record(tenant, kind, actor or Actor.system("plugin:sla"), data={"changes": changes})


def set_day(
    tenant: Tenant,
    name: str,
    day: date,
    kind: str,
    hours: list[list[str]] | None = None,
    *,
    actor: Actor | None = None,
) -> SlaCalendar:
    """Override one date of calendar `name`: `closed`, `open`, `special` (with `hours`) or
    `default` (back to the weekly hours and holidays). Saved through `save_calendars`.
    """
    if kind not in KINDS:
        raise GongdanValidationError("unknown kind", {"kind": ["one of default, closed, open, special"]})
    items = [calendar_dict(row) for row in SlaCalendar.of(tenant).order_by(SlaCalendar.name)]
    found = next((item for item in items if item["name"] == name), None)
    if found is None:
        raise GongdanValidationError("no such calendar", {"calendar": [f"no calendar named {name!r}"]})
    text = day.isoformat()
    found["closed"] = [d for d in found["closed"] if d != text] + ([text] if kind == "closed" else [])
    found["open"] = [d for d in found["open"] if d != text] + ([text] if kind == "open" else [])
    found["special"] = {d: v for d, v in (found.get("special") or {}).items() if d != text}
    if kind == "special":
        if not hours:
            raise GongdanValidationError("special hours missing", {"hours": ["give at least one interval"]})
        found["special"][text] = hours
    saved = save_calendars(tenant, {"items": items}, actor)
    return next(row for row in saved if row.name == name)


# --- policies -----------------------------------------------------------------------------


def policy_dict(policy: SlaPolicy) -> dict[str, Any]:
    """A stored policy as the API shows it."""
    return {
        "id": policy.id,
        "position": policy.position,
        "name": policy.name,
        "conditions": policy.conditions,
        "calendar": policy.calendar,
        "first_response": policy.first_response,
        "next_response": policy.next_response,
        "resolution": policy.resolution,
        "warning_percent": policy.warning_percent,
        "escalations": policy.escalations,
        "pause_when_pending": policy.pause_when_pending,
    }


def policies_of(tenant: Tenant) -> list[SlaPolicy]:
    """The tenant's policies in the order they are tried (read once per tenant revision:
    `save_policies` announces a change through `gongdan.tenant_cache`). Read-only."""
    return list(tenant_cache.cached(tenant, "sla.policies", lambda: _read_policies(tenant)))


def _read_policies(tenant: Tenant) -> list[SlaPolicy]:
    return list(SlaPolicy.of(tenant).order_by(SlaPolicy.position))


def save_policies(tenant: Tenant, data: dict[str, Any], actor: Actor | None = None) -> list[SlaPolicy]:
    """Replace the tenant's ordered policies; existing ones keep their id when the name stays.

    Audited as `sla.policies_changed` with the diff, credited to `actor` (the plugin when None),
    as are the policy switches of tickets it causes.
    """
    payload = load(PoliciesSchema, data)
    names = [item["name"] for item in payload["items"]]
    if len(set(names)) != len(names):
        raise GongdanValidationError("duplicate policy names", {"items": ["policy names must be unique"]})
    known = {c.name for c in SlaCalendar.of(tenant)} | {DEFAULT_CALENDAR}
    unknown = {
        f"items.{i}.calendar": [f"no calendar named {item['calendar']!r}"]
        for i, item in enumerate(payload["items"])
        if item["calendar"] not in known
    }
    if unknown:
        raise GongdanValidationError("unknown calendar", unknown)
    now = clock.now()
    with write_transaction():
        existing = {p.name: p for p in SlaPolicy.of(tenant)}
        before = {name: _policy_fields(p) for name, p in existing.items()}
        for position, item in enumerate(payload["items"], start=1):
            policy = existing.pop(item["name"], None) or SlaPolicy(tenant=tenant)
            for key, value in item.items():
                setattr(policy, key, value)
            policy.position, policy.updated_at = position, now
            policy.save()
        for gone in existing.values():
            gone.delete_instance()
        tenant_cache.changed(tenant)
        saved = _read_policies(tenant)
        _audit(tenant, "sla.policies_changed", actor, before, {p.name: _policy_fields(p) for p in saved})
    from .engine import rematch_unmatched  # the engine builds on this module

    rematch_unmatched(tenant, actor=actor)
    return saved


def _policy_fields(policy: SlaPolicy) -> dict[str, Any]:
    return {k: v for k, v in policy_dict(policy).items() if k != "id"}


def matches(policy: SlaPolicy, ticket: Ticket) -> bool:
    """Whether every condition of `policy` holds for `ticket`."""
    wanted = policy.conditions or {}
    if "priority" in wanted and ticket.priority not in wanted["priority"]:
        return False
    if "channel" in wanted and ticket.channel not in wanted["channel"]:
        return False
    if "tier" in wanted:
        tier = ticket.customer.tier if ticket.customer_id else None
        if tier not in wanted["tier"]:
            return False
    if "category" in wanted:
        path = ticket.category.path if ticket.category_id else ""
        prefix = wanted["category"].rstrip("/")
        if not (path == prefix or path.startswith(prefix + "/")):
            return False
    return not ("tags" in wanted and not set(wanted["tags"]) & set(ticket.tags or []))


def choose(tenant: Tenant, ticket: Ticket) -> SlaPolicy | None:
    """The first of the tenant's policies that matches `ticket`, or None."""
    return next((policy for policy in policies_of(tenant) if matches(policy, ticket)), None)
