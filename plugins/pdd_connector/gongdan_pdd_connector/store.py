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
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gongdan import categories, clock, tickets
from gongdan.actors import Actor
from gongdan.connectors import upsert
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


@dataclass
class Context:
    """What storing a shop's records needs once per run: settings, categories, open quarantine."""

    tenant: Tenant
    shop: PddShop
    conf: dict[str, Any]
    categories: dict[tuple[str, str], str] = field(default_factory=dict)
    quarantined: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, shop: PddShop) -> Context:
        """A fresh context for `shop` (reads the settings and the open quarantine keys)."""
        keys = PddQuarantine.select(PddQuarantine.key).where(
            (PddQuarantine.shop == shop) & (PddQuarantine.status == "open")
        )
        return cls(shop.tenant, shop, settings(shop.tenant), quarantined={row.key for row in keys})


def mirror(tenant: Tenant, after_sales_id: str) -> PddRefund | None:
    """The stored version of after-sales record `after_sales_id`, if any."""
    return PddRefund.find(tenant, after_sales_id)


def is_current(known: PddRefund | None, item: dict[str, Any]) -> bool:
    """Whether the list item's version (update time and status) is already stored with its detail."""
    if known is None or known.ticket_id is None or not known.record.get("has_detail"):
        return False
    try:
        record = mapping.normalize(item)
    except mapping.Malformed:
        return False
    # update times have one-second resolution: a second change within that second shows in the status
    return datetime.fromisoformat(record["updated_time"]) <= known.updated_time and record["status"] == known.status


def _category(ctx: Context, record: dict[str, Any]) -> str:
    key = (record["kind"], record["reason"])
    with ctx.lock:  # records of a window are stored by several threads; create a category once
        return ctx.categories.get(key) or _resolve_category(ctx, record, key)


def _resolve_category(ctx: Context, record: dict[str, Any], key: tuple[str, str]) -> str:
    if key not in ctx.categories:
        path = mapping.category_path(record, ctx.conf)
        chosen = path
        if ctx.conf.get("reason_subcategory") and record["reason"] and path.count("/") < 2:
            deeper = f"{path}/{record['reason'].replace('/', '／')}"
            if Category.get_or_none((Category.tenant == ctx.tenant) & (Category.path == deeper)) is not None:
                chosen = deeper
        if chosen == path:
            try:
                categories.find(ctx.tenant, path)
            except ValidationError:
                categories.ensure(ctx.tenant, path)
        ctx.categories[key] = chosen
    return ctx.categories[key]


def store(ctx: Context, record: dict[str, Any], known: PddRefund | bool | None = True) -> tuple[Ticket | None, bool]:
    """Create or update the ticket of a normalised record; returns `(ticket, created)`.

    `known` is the stored version when the caller already read it (None: there is none).
    An older version than the one stored is ignored (`(ticket, False)`). The ticket, its
    status and the mirror row go through `gongdan.connectors.upsert`; the deadline, the
    quarantine entry and the `pdd_connector.request_received` event commit with the mirror row.
    """
    tenant = ctx.tenant
    if known is True:
        known = mirror(tenant, record["after_sales_id"])
    updated = datetime.fromisoformat(record["updated_time"])
    if known is not None and known.supersedes(updated):
        return known.ticket, False
    if known is not None:  # a push re-read has no list fields, a list item no detail: keep what we knew
        kept = {k: v for k, v in known.record.items() if record.get(k) in (None, "", []) and k not in ALWAYS_GIVEN}
        record = {**record, **kept, "has_detail": record["has_detail"] or bool(known.record.get("has_detail"))}
    mapped = {
        "subject": mapping.subject(record),
        "priority": mapping.priority(record, ctx.conf, clock.now()),
        "category": _category(ctx, record),
        "tags": mapping.tags(record, ctx.conf),
        "description": mapping.description(record, ctx.shop.owner_name or ctx.shop.owner_id),
        "channel": SYSTEM,
        "external_ref": {"system": SYSTEM, "id": record["after_sales_id"]},
    }
    if known is None or known.ticket_id is None:  # only a new ticket takes the buyer
        buyer = mapping.customer(record)
        if buyer is not None:
            mapped["customer"] = buyer
    expire = record.get("expire_time")
    applied = known.applied if known is not None else {}
    now = clock.now()
    created: list[bool] = []

    def stored(ticket: Ticket, is_new: bool) -> None:
        created.append(is_new)
        if expire and record["status"] in mapping.MERCHANT_TO_ACT and expire != applied.get("expire_time"):
            tickets.announce_deadline(tenant, ticket, "resolution", datetime.fromisoformat(expire), PLUGIN)
        if record["after_sales_id"] in ctx.quarantined:
            PddQuarantine.update(status="resolved", resolved_at=now, updated_at=now).where(
                (PddQuarantine.shop == ctx.shop)
                & (PddQuarantine.key == record["after_sales_id"])
                & (PddQuarantine.status == "open")
            ).execute()
            ctx.quarantined.discard(record["after_sales_id"])
        if is_new:  # stored with its ticket: rules can read the ticket's block from this event on
            data = {"after_sales_id": record["after_sales_id"], "refund_amount": record.get("refund_amount")}
            tickets.record_event(tenant, ticket, "pdd_connector.request_received", data, ACTOR)

    ticket = upsert(
        tenant,
        mapped,
        mirror=PddRefund,
        version=updated,
        actor=ACTOR,
        target=mapping.ticket_status(record, ctx.conf),
        known=known,
        keep_agent_status=True,
        ensure_category=False,  # `_category` created it (once per run and kind)
        columns={
            "shop": ctx.shop.id,
            "order_sn": record["order_sn"],
            "status": record["status"],
            "kind": record["kind"],
            "expire_time": datetime.fromisoformat(expire) if expire else None,
            "record": record,
            "stored_at": now,
        },
        remember={"expire_time": expire},
        on_stored=stored,
    )
    return ticket, created[0] if created else False


def quarantine_key(raw: dict[str, Any]) -> str:
    """The key a raw record is quarantined under: its after-sales id, or a hash of its content."""
    for part in (raw.get("detail") or {}, raw.get("item") or {}):
        if part.get("id") not in (None, ""):
            return str(part["id"])[:128]
    return "sha1:" + hashlib.sha1(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()  # noqa: S324


def quarantine(ctx: Context, raw: dict[str, Any], problem: mapping.Malformed) -> PddQuarantine:
    """Keep a record the connector could not store, with what is wrong (again: count the attempt)."""
    reason = str(problem)
    what = {"problem": problem.problem, "problem_field": problem.field, "error_code": problem.code}
    tenant, shop = ctx.tenant, ctx.shop
    key = quarantine_key(raw)
    ctx.quarantined.add(key)
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
                **what,
                created_at=now,
                updated_at=now,
            )
        row.record, row.reason, row.status, row.updated_at = raw, reason, "open", now
        for name, value in what.items():
            setattr(row, name, value)
        row.attempts += 1
        row.resolved_at = None
        row.save()
        return row
