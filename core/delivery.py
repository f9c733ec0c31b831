"""The outbox: messages to a ticket's customer, sent through the ticket's channel.

The ticket service writes a `queued` `Delivery` in the same transaction as the change that
calls for it (`enqueue`): an agent's public reply (`reply`), a new ticket (`acknowledgement`),
a resolved ticket (`resolved`) — when the tenant has that notification switched on and the
ticket's channel can reach the customer (it registered a `deliver` callable and its plugin
is enabled for the tenant). `flush` — the `core.delivery` job every few seconds, or a test —
claims the due rows, builds each `OutboundMessage` and calls the channel's `deliver`:

* it returns a `DeliveryReceipt` → `sent` (with the channel's `external_id`);
* it raises `DeliveryError(reason)` (or any error) → `retrying` with exponential back-off, and
  `failed` after `MAX_ATTEMPTS`; `DeliveryError(reason, permanent=True)` → `failed` at once.

Claims are safe with several workers: rows are picked `FOR UPDATE SKIP LOCKED` on PostgreSQL
(SQLite's write lock serialises the claim) and leased for `LEASE`, so each is sent by one
flusher; a flusher that dies mid-send leaves a lease that expires and the row is sent again
(at least once — a channel can use `delivery_id` to stay idempotent). `fail` marks a sent
message failed when it bounces; `retry` queues a failed one again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from markupsafe import Markup, escape

from gongdan import attachments, audit, citus, clock, permissions
from gongdan.actors import Actor
from gongdan.contributions import Channel, DeliveryReceipt, OutboundMessage
from gongdan.db import is_postgres, write_transaction
from gongdan.errors import DeliveryError, NotFound, ValidationError
from gongdan.models import DELIVERY_KINDS, Comment, Customer, Delivery, Tenant, Ticket
from gongdan.plugins import get_host
from gongdan.statements import PreparedInsert

log = logging.getLogger("gongdan.delivery")

LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=2)
CLAIM_BATCH = 50
ERROR_MAX_CHARS = 1000
PENDING_STATES = ("queued", "retrying")
# every new ticket of a reachable channel queues one (its acknowledgement): compiled once
_insert_delivery = PreparedInsert(Delivery, [f.name for f in Delivery._meta.sorted_fields if f.name != "id"])
# which tenant switch governs each kind of message
SWITCH_OF_KIND = {
    "reply": "notify_reply",
    "acknowledgement": "notify_acknowledgement",
    "resolved": "notify_resolved",
}

__all__ = [
    "DeliveryError",
    "DeliveryReceipt",
    "OutboundMessage",
    "as_dict",
    "build_message",
    "can_reach",
    "configure",
    "enqueue",
    "fail",
    "flush",
    "for_comments",
    "language_of",
    "notifies",
    "of_ticket",
    "reaching_channel",
    "retry",
    "switches",
]


# --- which channel can reach the customer ---------------------------------------------------


def reaching_channel(tenant: Tenant, name: str) -> Channel | None:
    """The channel `name` with a `deliver` whose plugin is on in `tenant`, or None."""
    host = get_host()
    for plugin, channel in host.registered("gongdan_channels"):
        usable = channel.name == name and channel.deliver is not None
        if usable and (plugin in host.always_on or host.is_enabled(tenant, plugin)):
            return channel
    return None


def can_reach(tenant: Tenant, ticket: Ticket) -> bool:
    """Whether the ticket's channel can send messages to its customer in this tenant."""
    return reaching_channel(tenant, ticket.channel) is not None


def notifies(tenant: Tenant, kind: str) -> bool:
    """Whether the tenant sends messages of `kind` to customers (its notification switches)."""
    return bool(getattr(tenant, SWITCH_OF_KIND[kind]))


def switches(tenant: Tenant) -> dict[str, bool]:
    """`{kind: on}` for every kind of customer message."""
    return {kind: notifies(tenant, kind) for kind in DELIVERY_KINDS}


def configure(tenant: Tenant, wanted: dict[str, bool], actor: Actor) -> Tenant:
    """Switch kinds of customer messages on or off for the tenant (admins); audited with a diff."""
    permissions.require(actor, "tenant.settings")
    before = switches(tenant)
    unknown = sorted(set(wanted) - set(DELIVERY_KINDS))
    if unknown:
        raise ValidationError(
            "unknown notification", {k: [f"must be one of: {', '.join(DELIVERY_KINDS)}"] for k in unknown}
        )
    after = before | {kind: bool(on) for kind, on in wanted.items()}
    with write_transaction():
        Tenant.update(**{SWITCH_OF_KIND[k]: v for k, v in after.items()}).where(Tenant.id == tenant.id).execute()
        changes = audit.diff(before, after)
        if changes:
            audit.record(tenant, "tenant.notifications_changed", actor, data={"changes": changes})
    for kind, on in after.items():
        setattr(tenant, SWITCH_OF_KIND[kind], on)
    return tenant


# --- writing --------------------------------------------------------------------------------


def enqueue(tenant: Tenant, ticket: Ticket, kind: str, comment: Comment | None = None) -> Delivery | None:
    """Queue a message of `kind` to the ticket's customer; None when it is not to be sent.

    Not sent: the tenant switched that notification off, or the ticket's channel cannot reach
    the customer. The ticket service calls this inside its write transaction.
    """
    if kind not in DELIVERY_KINDS:
        raise ValueError(f"kind must be one of {DELIVERY_KINDS}")
    if not notifies(tenant, kind) or not can_reach(tenant, ticket):
        return None
    now = clock.now()
    values = {
        "tenant": tenant.id,
        "ticket": ticket.id,
        "comment": comment.id if comment is not None else None,
        "channel": ticket.channel,
        "kind": kind,
        "state": "queued",
        "next_attempt_at": now,
        "created_at": now,
    }
    return _insert_delivery.insert(values)


def fail(tenant: Tenant, external_id: str, reason: str) -> Delivery | None:
    """Mark the delivery the channel knows as `external_id` failed (a bounce); None if unknown."""
    row = Delivery.get_or_none((Delivery.tenant == tenant) & (Delivery.external_id == external_id))
    if row is None:
        return None
    row.state, row.last_error, row.claimed_until, row.claim = "failed", _short(reason), None, None
    row.save()
    return row


def retry(tenant: Tenant, delivery_id: int | str, ticket: Ticket | None = None) -> Delivery:
    """Queue a failed (or retrying) delivery again, now, with a fresh back-off. With `ticket`
    (the one the caller may see), a delivery of another ticket is NotFound."""
    try:
        number = int(delivery_id)
    except (TypeError, ValueError):
        raise NotFound("no such delivery") from None
    found = (Delivery.id == number) & (Delivery.tenant == tenant)
    if ticket is not None:
        found &= Delivery.ticket == ticket.id
    row = Delivery.get_or_none(found)
    if row is None:
        raise NotFound("no such delivery")
    if row.state in ("failed", "retrying"):
        Delivery.update(state="queued", attempts=0, next_attempt_at=clock.now(), claimed_until=None, claim=None).where(
            (Delivery.id == row.id) & Delivery.state.in_(("failed", "retrying"))
        ).execute()
        row = Delivery.get_by_id(row.id)
    return row


# --- sending --------------------------------------------------------------------------------


def flush(tenant: Tenant | None = None, *, limit: int = CLAIM_BATCH) -> int:
    """Send every due delivery (of `tenant`, or all); returns how many the channels accepted."""
    if tenant is None and citus.on_citus():  # claims lock rows within one shard: tenant by tenant
        return sum(flush(each, limit=limit) for each in Tenant.select())
    accepted = 0
    for _ in range(100):  # bounded: a flood waits for the next run
        batch = _claim(tenant, limit)
        for row in batch:
            accepted += _send(row)
        if len(batch) < limit:
            break
    return accepted


def _claim(tenant: Tenant | None, limit: int) -> list[Delivery]:
    if tenant is None and citus.on_citus():  # Citus locks rows (FOR UPDATE) within one shard only
        claimed: list[Delivery] = []
        for each in Tenant.select():
            claimed += _claim(each, limit - len(claimed))
            if len(claimed) >= limit:
                break
        return claimed
    now = clock.now()
    token = secrets.token_hex(8)
    with write_transaction():
        due = Delivery.select(Delivery.id).where(
            Delivery.state.in_(PENDING_STATES)
            & (Delivery.next_attempt_at <= now)
            & (Delivery.claimed_until.is_null() | (Delivery.claimed_until < now))
        )
        if tenant is not None:
            due = due.where(Delivery.tenant == tenant)
        due = due.order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
        if is_postgres():
            due = due.for_update(skip_locked=True)
        ids = [row.id for row in due]
        if not ids:
            return []
        Delivery.update(claimed_until=now + LEASE, claim=token).where(Delivery.id.in_(ids)).execute()
    return list(
        Delivery.select(Delivery, Tenant)
        .join(Tenant)
        .where(Delivery.id.in_(ids) & (Delivery.claim == token))
        .order_by(Delivery.id)
    )


def _send(row: Delivery) -> int:
    tenant = row.tenant
    channel = reaching_channel(tenant, row.channel)
    if channel is None:
        _finish(row, state="failed", last_error=f"the {row.channel} channel cannot reach the customer here")
        return 0
    try:
        message = build_message(row)
        receipt = channel.deliver(message)
    except DeliveryError as exc:
        _failed(row, exc.reason, exc.permanent)
        return 0
    except Exception as exc:  # noqa: BLE001 - a channel's bug is retried, recorded, never fatal
        plugin = next((p for p, c in get_host().registered("gongdan_channels") if c is channel), "?")
        get_host().record_failure(plugin, tenant, "Channel.deliver", exc)
        _failed(row, f"{type(exc).__name__}: {exc}", permanent=False)
        return 0
    external_id = receipt.external_id if isinstance(receipt, DeliveryReceipt) else None
    _finish(row, state="sent", sent_at=clock.now(), external_id=external_id, last_error=None)
    return 1


def _failed(row: Delivery, reason: str, permanent: bool) -> None:
    attempts = row.attempts + 1
    if permanent or attempts >= MAX_ATTEMPTS:
        _finish(row, state="failed", last_error=_short(reason))
        return
    delay = min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_MAX)
    _finish(row, state="retrying", last_error=_short(reason), next_attempt_at=clock.now() + delay)


def _finish(row: Delivery, **values: Any) -> None:
    """Record the outcome, unless another flusher took the row over (its lease expired)."""
    values.update(attempts=row.attempts + 1, claimed_until=None, claim=None)
    Delivery.update(**values).where((Delivery.id == row.id) & (Delivery.claim == row.claim)).execute()


def _short(reason: str) -> str:
    text = " ".join(str(reason).split())
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"


# --- the message ----------------------------------------------------------------------------

TEXTS = {
    ("acknowledgement", "zh"): (
        "已收到您的请求 [#{number}] {subject}",
        "您好，\n\n我们已收到您的请求，工单号为 #{number}（{subject}）。客服会尽快回复您；直接回复本消息即可补充信息。",
    ),
    ("acknowledgement", "en"): (
        "We received your request [#{number}] {subject}",
        "Hello,\n\nWe have received your request; its ticket number is #{number} ({subject}). "
        "An agent will answer soon; reply to this message to add anything.",
    ),
    ("resolved", "zh"): (
        "您的工单已解决 [#{number}] {subject}",
        "您好，\n\n您的工单 #{number}（{subject}）已解决。如果问题仍未解决，直接回复本消息即可重新打开工单。",
    ),
    ("resolved", "en"): (
        "Your request is resolved [#{number}] {subject}",
        "Hello,\n\nYour ticket #{number} ({subject}) has been resolved. "
        "If the problem remains, reply to this message to reopen it.",
    ),
}


def language_of(ticket: Ticket) -> str:
    """`zh` or `en`: the ticket's language, else its customer's, else the tenant's."""
    customer: Customer | None = ticket.customer if ticket.customer_id else None
    for value in (ticket.language, customer.language if customer else None, ticket.tenant.language):
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "zh"


def build_message(row: Delivery) -> OutboundMessage:
    """The message of delivery `row`, in its customer's language, with plugins' links appended."""
    ticket = Ticket.get_by_id(row.ticket_id)
    tenant = row.tenant
    ticket.tenant = tenant
    language = language_of(ticket)
    comment = Comment.get_by_id(row.comment_id) if row.comment_id else None
    values = {"number": ticket.number, "subject": ticket.subject}
    if row.kind == "reply" and comment is not None:
        subject, text = "[#{number}] {subject}".format(**values), comment.body
        files = attachments.of_comments(tenant, [comment.id]).get(comment.id, [])
    else:
        subject_template, text_template = TEXTS[(row.kind, language)]
        subject, text = subject_template.format(**values), text_template.format(**values)
        files = []
    links = _links(tenant, ticket, row.kind, language)
    return OutboundMessage(
        delivery_id=row.id,
        tenant=tenant,
        ticket=ticket,
        kind=row.kind,
        comment=comment,
        subject=subject,
        text=text + "".join(f"\n\n{label}: {url}" for label, url in links),
        html=_html(text, links),
        language=language,
        attachments=files,
    )


def _links(tenant: Tenant, ticket: Ticket, kind: str, language: str) -> list[tuple[str, str]]:
    found = []
    for _, answer in get_host().gather(tenant, "gongdan_notification_links", tenant=tenant, ticket=ticket, kind=kind):
        for item in answer:
            label_zh, label_en, url = item
            if str(url).startswith(("https://", "http://")):
                found.append((label_zh if language == "zh" else label_en, str(url)))
    return found


def _html(text: str, links: Iterable[tuple[str, str]]) -> str:
    paragraphs = [Markup("<p>{}</p>").format(Markup("<br>").join(escape(p).split("\n"))) for p in text.split("\n\n")]
    paragraphs += [Markup('<p><a href="{}">{}</a></p>').format(url, label) for label, url in links]
    return str(Markup("\n").join(paragraphs))


# --- reading --------------------------------------------------------------------------------


def as_dict(row: Delivery | None) -> dict[str, Any] | None:
    """A delivery as the API shows it (None stays None)."""
    if row is None:
        return None
    return {
        "id": row.id,
        "channel": row.channel,
        "kind": row.kind,
        "state": row.state,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "external_id": row.external_id,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.state == "retrying" else None,
        "created_at": row.created_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


def for_comments(tenant: Tenant, comment_ids: Iterable[int]) -> dict[int, Delivery]:
    """`{comment_id: its latest delivery}` for these comments of the tenant."""
    ids = list(comment_ids)
    found: dict[int, Delivery] = {}
    if ids:
        rows = Delivery.select().where((Delivery.tenant == tenant) & Delivery.comment.in_(ids)).order_by(Delivery.id)
        for row in rows:
            found[row.comment_id] = row
    return found


def of_ticket(tenant: Tenant, ticket: Ticket) -> list[Delivery]:
    """Every delivery of the ticket, oldest first."""
    return list(
        Delivery.select().where((Delivery.tenant == tenant) & (Delivery.ticket == ticket)).order_by(Delivery.id)
    )
