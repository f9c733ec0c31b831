"""Storing one after-sales record: its ticket (created or updated), status, deadline and mirror row.

The ticket goes through `gongdan.tickets` only: `create` with `external_ref` {"system": "pdd",
"id": after-sales id} is idempotent, so a record read twice (overlapping windows, a page
re-read, a push message) updates the same ticket. What an agent changed by hand (subject,
priority, category, their own tags, the status) is kept until the platform changes the value
the connector had set.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from gongdan import categories, clock, tickets
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import ValidationError
from gongdan.models import Category, Tenant, Ticket
from gongdan.plugins import get_host
from gongdan_pdd_connector import mapping
from gongdan_pdd_connector.models import PddQuarantine, PddRefund, PddShop

PLUGIN = "pdd_connector"
SYSTEM = "pdd"
ACTOR = Actor.system(f"plugin:{PLUGIN}")
ALWAYS_GIVEN = frozenset({"after_sales_id", "order_sn", "status", "kind", "updated_time", "has_detail"})


def settings(tenant: Tenant) -> dict[str, Any]:
    """The connector's settings for `tenant`, defaults filled in."""
    return get_host().settings(tenant, PLUGIN)


def mirror(tenant: Tenant, after_sales_id: str) -> PddRefund | None:
    """The stored version of after-sales record `after_sales_id`, if any."""
    return PddRefund.get_or_none((PddRefund.tenant == tenant) & (PddRefund.after_sales_id == str(after_sales_id)))


def is_current(tenant: Tenant, item: dict[str, Any]) -> bool:
    """Whether the list item's version (by `updated_time`) is already stored with its detail."""
    known = mirror(tenant, str(item.get("id") or ""))
    if known is None or known.ticket_id is None or not known.record.get("has_detail"):
        return False
    try:
        updated = mapping.normalize(item)["updated_time"]
    except mapping.Malformed:
        return False
    return datetime.fromisoformat(updated) <= known.updated_time


def _category(tenant: Tenant, record: dict[str, Any], conf: dict[str, Any]) -> str:
    path = mapping.category_path(record, conf)
    if conf.get("reason_subcategory") and record["reason"] and path.count("/") < 2:
        deeper = f"{path}/{record['reason'].replace('/', '／')}"
        if Category.get_or_none((Category.tenant == tenant) & (Category.path == deeper)) is not None:
            return deeper
    try:
        categories.find(tenant, path)
    except ValidationError:
        categories.ensure(tenant, path)
    return path


def _keep_agent_edits(ticket: Ticket | None, mapped: dict[str, Any], applied: dict[str, Any]) -> dict[str, Any]:
    """The values to send: the mapped ones, except where an agent changed a field the platform did not."""
    if ticket is None or not applied:
        return dict(mapped)
    current = {
        "subject": ticket.subject,
        "priority": ticket.priority,
        "category": ticket.category.path if ticket.category_id else None,
    }
    out = {key: mapped[key] if mapped[key] != applied.get(key) else current[key] for key in current}
    own = set(applied.get("tags", []))
    out["tags"] = [t for t in ticket.tags if t not in own] + [
        t for t in mapped["tags"] if t not in ticket.tags or t in own
    ]
    out["tags"] = list(dict.fromkeys(out["tags"]))
    return out


def _move(tenant: Tenant, ticket: Ticket, target: str) -> Ticket:
    """Walk the ticket's state machine to `target` (open / pending / resolved); closed stays closed."""
    paths = {
        ("new", "open"): [],
        ("new", "pending"): ["open", "pending"],
        ("new", "resolved"): ["resolved"],
        ("open", "pending"): ["pending"],
        ("open", "resolved"): ["resolved"],
        ("pending", "open"): ["open"],
        ("pending", "resolved"): ["resolved"],
        ("resolved", "open"): ["open"],
        ("resolved", "pending"): ["open", "pending"],
    }
    for step in paths.get((ticket.status, target), []):
        ticket = tickets.transition(tenant, ticket, step, ACTOR)
    return ticket


def store(tenant: Tenant, shop: PddShop, record: dict[str, Any]) -> tuple[Ticket | None, bool]:
    """Create or update the ticket of a normalised record; returns `(ticket, created)`.

    An older version than the one stored is ignored (`(ticket, False)`).
    """
    known = mirror(tenant, record["after_sales_id"])
    updated = datetime.fromisoformat(record["updated_time"])
    if known is not None and known.ticket_id is not None and updated < known.updated_time:
        return known.ticket, False
    if known is not None:  # a push re-read has no list fields, a list item no detail: keep what we knew
        kept = {k: v for k, v in known.record.items() if record.get(k) in (None, "", []) and k not in ALWAYS_GIVEN}
        record = {**record, **kept, "has_detail": record["has_detail"] or bool(known.record.get("has_detail"))}
    conf = settings(tenant)
    mapped = {
        "subject": mapping.subject(record),
        "priority": mapping.priority(record, conf, clock.now()),
        "category": _category(tenant, record, conf),
        "tags": mapping.tags(record, conf),
    }
    target = mapping.ticket_status(record, conf)
    applied = known.applied if known is not None else {}
    existing = known.ticket if known is not None and known.ticket_id is not None else None
    existing = existing or tickets.by_external_ref(tenant, SYSTEM, record["after_sales_id"])
    payload = {
        **_keep_agent_edits(existing, mapped, applied),
        "description": mapping.description(record, shop.owner_name or shop.owner_id),
        "channel": SYSTEM,
        "external_ref": {"system": SYSTEM, "id": record["after_sales_id"]},
    }
    ticket, created = tickets.create(tenant, payload, ACTOR)
    if created or target != applied.get("status"):
        ticket = _move(tenant, ticket, target)
    expire = record.get("expire_time")
    if expire and record["status"] in mapping.MERCHANT_TO_ACT and expire != applied.get("expire_time"):
        tickets.announce_deadline(tenant, ticket, "resolution", datetime.fromisoformat(expire), PLUGIN)
    now = clock.now()
    row = {
        "tenant": tenant.id,
        "shop": shop.id,
        "after_sales_id": record["after_sales_id"],
        "order_sn": record["order_sn"],
        "status": record["status"],
        "kind": record["kind"],
        "updated_time": updated,
        "expire_time": datetime.fromisoformat(expire) if expire else None,
        "ticket": ticket.id,
        "record": record,
        "applied": {**mapped, "status": target, "expire_time": expire},
        "stored_at": now,
    }
    with write_transaction():
        PddRefund.insert(**row).on_conflict(
            conflict_target=[PddRefund.tenant, PddRefund.after_sales_id],
            update={k: v for k, v in row.items() if k not in ("tenant", "after_sales_id")},
        ).execute()
        PddQuarantine.update(status="resolved", resolved_at=now, updated_at=now).where(
            (PddQuarantine.tenant == tenant)
            & (PddQuarantine.shop == shop)
            & (PddQuarantine.key == record["after_sales_id"])
            & (PddQuarantine.status == "open")
        ).execute()
    return ticket, created


def quarantine_key(raw: dict[str, Any]) -> str:
    """The key a raw record is quarantined under: its after-sales id, or a hash of its content."""
    for part in (raw.get("detail") or {}, raw.get("item") or {}):
        if part.get("id") not in (None, ""):
            return str(part["id"])[:128]
    return "sha1:" + hashlib.sha1(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()  # noqa: S324


def quarantine(tenant: Tenant, shop: PddShop, raw: dict[str, Any], reason: str) -> PddQuarantine:
    """Keep a record the connector could not store, with the reason (again: count the attempt)."""
    key = quarantine_key(raw)
    source = {**(raw.get("item") or {}), **(raw.get("detail") or {})}
    now = clock.now()
    with write_transaction():
        row = PddQuarantine.get_or_none(
            (PddQuarantine.tenant == tenant) & (PddQuarantine.shop == shop) & (PddQuarantine.key == key)
        )
        if row is None:
            return PddQuarantine.create(
                tenant=tenant,
                shop=shop,
                key=key,
                after_sales_id=str(source.get("id") or "")[:64],
                order_sn=str(source.get("order_sn") or "")[:64],
                record=raw,
                reason=reason,
                created_at=now,
                updated_at=now,
            )
        row.record, row.reason, row.status, row.updated_at = raw, reason, "open", now
        row.attempts += 1
        row.resolved_at = None
        row.save()
        return row
