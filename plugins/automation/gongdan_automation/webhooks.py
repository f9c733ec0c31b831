"""Event webhooks: ticket events POSTed to integrators' systems, signed, from an outbox.

A job reads the event log from where it stopped (the tenant's cursor, kept behind the events
of the last 30 s on PostgreSQL, which can become visible out of id order) and queues one
`WebhookDelivery` per matching subscription (unique per event and subscription, so a re-read
or a second worker queues nothing twice). Sending claims due rows with a lease, POSTs
through `gongdan.outbound` and either marks them sent or schedules a retry with exponential
back-off; after `MAX_ATTEMPTS` a row is `failed`, and can be replayed from the delivery log.

Each request carries `X-Gongdan-Delivery` (the delivery id), `X-Gongdan-Timestamp` (Unix
seconds) and `X-Gongdan-Signature: sha256=HEX`, the HMAC-SHA256 with the subscription's secret
of `"{delivery id}.{timestamp}.{body}"`. Receivers check it and refuse old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import peewee

from gongdan import audit, clock, outbound, tickets
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import Conflict, NotFound, ValidationError
from gongdan.ids import parse_id
from gongdan.models import Tenant, Ticket, TicketEvent
from gongdan.plugins import get_host
from gongdan.representation import iso

from . import engine
from .models import InboundResult, RulesState, Subscription, WebhookDelivery

PLUGIN = "automation"
MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
LEASE = timedelta(minutes=2)
BATCH = 200
TIMEOUT = (5.0, 10.0)


def sign(secret: str, delivery_id: int, timestamp: int, body: bytes) -> str:
    """The signature header's value for a delivery."""
    message = f"{delivery_id}.{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- subscriptions ------------------------------------------------------------------------


def shown_url(url: str) -> str:
    """Where a webhook posts, as the audit trail keeps it: scheme, host, port and path (a query
    string or user part may hold a token, so it is left out)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def subscribe(
    tenant: Tenant, url: str, kinds: list[str], secret: str | None = None, actor: Actor | None = None
) -> tuple[Subscription, str]:
    """A new subscription; returns it and its secret (shown once). 422 for a URL the guard refuses.

    Audited as `automation.webhook_created` by `actor` (the command line when None): a webhook
    sends tickets and customers' details out of gongdan."""
    try:
        url = outbound.vet_url(url, allow_http=True)
    except outbound.OutboundBlocked as exc:
        raise ValidationError("invalid url", {"url": [exc.localized()]}) from None
    secret = secret or secrets.token_urlsafe(32)
    with write_transaction():
        sub = Subscription.create(tenant=tenant, url=url, secret=secret, kinds=sorted(set(kinds)))
        data = {"url": shown_url(url), "kinds": sub.kinds}
        audit.record(tenant, "automation.webhook_created", actor or Actor.system("cli"), data=data)
    return sub, secret


def change(tenant: Tenant, sub: Subscription, changes: dict[str, Any], actor: Actor | None = None) -> Subscription:
    """Switch a subscription on or off (`active`) or change its `kinds`; audited as
    `automation.webhook_changed` with what changed."""
    before = {"active": sub.active, "kinds": list(sub.kinds or [])}
    with write_transaction():
        for key in ("active", "kinds"):
            if key in changes:
                setattr(sub, key, changes[key])
        sub.save()
        diff = audit.diff(before, {"active": sub.active, "kinds": list(sub.kinds or [])})
        if diff:
            data = {"url": shown_url(sub.url), "changes": diff}
            audit.record(tenant, "automation.webhook_changed", actor or Actor.system("cli"), data=data)
    return sub


def subscription(tenant: Tenant, subscription_id: Any) -> Subscription:
    """The tenant's subscription; NotFound otherwise."""
    key = parse_id(subscription_id)
    found = Subscription.get_or_none((Subscription.id == key) & (Subscription.tenant == tenant)) if key else None
    if found is None:
        raise NotFound("no such subscription")
    return found


def kinds_offered(tenant: Tenant) -> list[tuple[str, str, str]]:
    """`(kind, label_zh, label_en)` of the event kinds a subscription of `tenant` can name: the
    core's and those of the plugins enabled in `tenant` (`gongdan_event_kinds`), by kind."""
    host = get_host()
    names = host.enabled(tenant) | host.always_on
    found: dict[str, tuple[str, str, str]] = {}
    for plugin, kind in host.registered("gongdan_event_kinds"):
        if plugin in names and getattr(kind, "kind", None):
            found.setdefault(kind.kind, (kind.kind, kind.label_zh, kind.label_en))
    return [found[k] for k in sorted(found)]


# --- queueing -----------------------------------------------------------------------------


def _payload(event: TicketEvent) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "kind": event.kind,
        "ticket_id": event.ticket_id,
        "actor": event.actor_label,
        "data": event.data,
        "at": iso(event.at),
    }


def enqueue_new_events(tenant: Tenant) -> int:
    """Queue deliveries for the events since the last call (from the log's end the first time);
    returns how many were queued. Each event once per subscription (a unique key), however many
    workers read it; the cursor stays behind the events not yet settled (`engine.settled`: on
    PostgreSQL an event can become visible after one with a higher id), which are read again."""
    subs = list(Subscription.of(tenant).where(Subscription.active == True))  # noqa: E712
    state = RulesState.get_or_none(RulesState.tenant == tenant.id) or RulesState.create(tenant=tenant)
    if state.webhook_event_id is None:
        newest = TicketEvent.select(peewee.fn.MAX(TicketEvent.id)).where(TicketEvent.tenant == tenant.id).scalar()
        RulesState.update(webhook_event_id=newest or 0).where(RulesState.id == state.id).execute()
        return 0
    events = list(
        TicketEvent.select()
        .where((TicketEvent.tenant == tenant.id) & (TicketEvent.id > state.webhook_event_id))
        .order_by(TicketEvent.id)
        .limit(BATCH)
    )
    if not events:
        return 0
    ids = [e.id for e in events]
    queued = {
        (d.subscription_id, d.event_id)
        for d in WebhookDelivery.select(WebhookDelivery.subscription, WebhookDelivery.event_id).where(
            (WebhookDelivery.tenant == tenant.id) & WebhookDelivery.event_id.in_(ids)
        )
    }
    rows = [
        {"tenant": tenant.id, "subscription": sub.id, "event_id": e.id, "kind": e.kind, "payload": _payload(e)}
        for e in events
        for sub in subs
        if (not sub.kinds or e.kind in sub.kinds) and (sub.id, e.id) not in queued
    ]
    cursor = engine.settled(events, state.webhook_event_id)
    with write_transaction():  # the deliveries and the cursor together: a crash loses neither
        if rows:
            WebhookDelivery.insert_many(rows).on_conflict_ignore().execute()
        if cursor != state.webhook_event_id:
            RulesState.update(webhook_event_id=cursor).where(
                (RulesState.id == state.id) & (RulesState.webhook_event_id == state.webhook_event_id)
            ).execute()
    return len(rows)


# --- sending ------------------------------------------------------------------------------


def _claim(tenant: Tenant) -> list[WebhookDelivery]:
    now = clock.now()
    due = list(
        WebhookDelivery.select(WebhookDelivery.id)
        .where(
            (WebhookDelivery.tenant == tenant.id)
            & (WebhookDelivery.state == "queued")
            & (WebhookDelivery.next_attempt_at <= now)
            & (WebhookDelivery.claimed_until.is_null() | (WebhookDelivery.claimed_until < now))
        )
        .order_by(WebhookDelivery.id)
        .limit(50)
    )
    claimed = []
    for row in due:
        with write_transaction():
            won = (
                WebhookDelivery.update(claimed_until=now + LEASE)
                .where(
                    (WebhookDelivery.id == row.id)
                    & (WebhookDelivery.state == "queued")
                    & (WebhookDelivery.claimed_until.is_null() | (WebhookDelivery.claimed_until < now))
                )
                .execute()
            )
        if won:
            claimed.append(WebhookDelivery.get_by_id(row.id))
    return claimed


def send_due(tenant: Tenant) -> int:
    """Send the tenant's due deliveries (each claimed by one worker); returns how many were sent."""
    sent = 0
    for row in _claim(tenant):
        sent += _send(row)
    return sent


def _send(row: WebhookDelivery) -> int:
    sub = row.subscription
    body = json.dumps(row.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(clock.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "X-Gongdan-Delivery": str(row.id),
        "X-Gongdan-Event": row.kind,
        "X-Gongdan-Timestamp": str(timestamp),
        "X-Gongdan-Signature": sign(sub.secret, row.id, timestamp, body),
    }
    status, error = None, ""
    try:
        response = outbound.request("POST", sub.url, allow_http=True, data=body, headers=headers, timeout=TIMEOUT)
        status = response.status_code
        outbound.check_status(response)
    except outbound.OutboundError as exc:
        error = exc.message
    attempts = row.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_status": status, "last_error": error, "claimed_until": None}
    if not error:
        values.update(state="sent", sent_at=clock.now())
    elif attempts >= MAX_ATTEMPTS:
        values.update(state="failed")
    else:
        values.update(next_attempt_at=clock.now() + min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX))
    WebhookDelivery.update(**values).where(WebhookDelivery.id == row.id).execute()
    return 0 if error else 1


def replay(tenant: Tenant, delivery_id: Any) -> WebhookDelivery:
    """Queue a delivery again now (a failed one, or a sent one the receiver lost)."""
    key = parse_id(delivery_id)
    found = (
        WebhookDelivery.get_or_none((WebhookDelivery.id == key) & (WebhookDelivery.tenant == tenant)) if key else None
    )
    if found is None:
        raise NotFound("no such delivery")
    if found.state == "queued":
        raise Conflict("this delivery is already queued")
    WebhookDelivery.update(state="queued", attempts=0, next_attempt_at=clock.now(), claimed_until=None).where(
        WebhookDelivery.id == found.id
    ).execute()
    return WebhookDelivery.get_by_id(found.id)


def job() -> None:
    """Every tenant with the plugin on: queue new events, send what is due."""
    host = get_host()
    for tenant in host.tenants_with(PLUGIN):
        try:
            enqueue_new_events(tenant)
            send_due(tenant)
        except Exception as exc:  # noqa: BLE001 - recorded as the plugin's failure
            host.record_failure(PLUGIN, tenant, "automation.webhooks", exc)


def delivery_dict(row: WebhookDelivery) -> dict[str, Any]:
    """A delivery for the log."""
    return {
        "id": row.id,
        "subscription_id": row.subscription_id,
        "event_id": row.event_id,
        "kind": row.kind,
        "state": row.state,
        "attempts": row.attempts,
        "last_status": row.last_status,
        "last_error": row.last_error,
        "next_attempt_at": iso(row.next_attempt_at),
        "sent_at": iso(row.sent_at),
    }


# --- inbound results ------------------------------------------------------------------------


def record_result(tenant: Tenant, data: dict[str, Any], actor: Actor) -> tuple[InboundResult, bool]:
    """Record an outside system's outcome on a ticket, once per `id`: `(row, created)`."""
    existing = InboundResult.get_or_none((InboundResult.tenant == tenant) & (InboundResult.external_id == data["id"]))
    if existing is not None:
        return existing, False
    ticket: Ticket = tickets.get(tenant, data["ticket_id"], actor)
    try:
        with write_transaction():
            row = InboundResult.create(
                tenant=tenant,
                external_id=data["id"],
                ticket=ticket.id,
                reference=data["reference"],
                status=data["status"],
                note=data["note"],
            )
            event = {"id": data["id"], "reference": data["reference"], "status": data["status"], "note": data["note"]}
            tickets.record_event(tenant, ticket, "automation.result_recorded", event, actor)
    except peewee.IntegrityError:  # the same id at the same moment: the other request recorded it
        return InboundResult.get((InboundResult.tenant == tenant) & (InboundResult.external_id == data["id"])), False
    return row, True


__all__ = [
    "change",
    "delivery_dict",
    "enqueue_new_events",
    "record_result",
    "replay",
    "send_due",
    "shown_url",
    "sign",
    "subscribe",
]
