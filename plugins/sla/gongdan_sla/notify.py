"""Notifications: who to tell, and the built-in transports (in-app, e-mail over SMTP, webhook).

Transports are registered through `gongdan_notification_transports` (third parties add SMS
or chat the same way); a tenant picks which run in the plugin's `transports` setting.
E-mail and webhooks go through an outbox (`Delivery`): written with the firing, sent right
after the sweep's commit, retried with exponential back-off by the `sla.deliveries` job, and
kept with their last error when they fail for good.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from contextvars import ContextVar
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from gongdan import clock, inbox, outbound
from gongdan.contributions import Notification, NotificationTransport
from gongdan.models import Tenant, Ticket, User
from gongdan.plugins import get_host

from . import messages
from .models import Delivery
from .models import Notification as InAppNotification

PLUGIN = "sla"
RETRY_BASE_SECONDS = 30
CLAIM_SECONDS = 120
TIMEOUT_SECONDS = 5.0
SIGNATURE_HEADER = "X-Gongdan-Signature"


# --- recipients ---------------------------------------------------------------------------


def _active(tenant: Tenant) -> Any:
    return User.of(tenant).where(User.is_active == True)  # noqa: E712


def supervisors(tenant: Tenant, ticket: Ticket) -> list[int]:
    """Supervisors of the ticket's team, or every supervisor of the tenant when it has none."""
    query = _active(tenant).where(User.role == "supervisor")
    if ticket.team_id:
        in_team = [u.id for u in query.where(User.team == ticket.team_id)]
        if in_team:
            return in_team
    return [u.id for u in query]


def admins(tenant: Tenant) -> list[int]:
    """The tenant's active admins."""
    return [u.id for u in _active(tenant).where(User.role == "admin")]


class Directory:
    """Who to tell and how, looked up once per sweep of a tenant: settings, supervisors, admins."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.settings = get_host().settings(tenant, PLUGIN)
        self._supervisors: dict[int | None, list[int]] = {}
        self._admins: list[int] | None = None

    def supervisors(self, ticket: Ticket) -> list[int]:
        """`supervisors(tenant, ticket)`, once per team."""
        if ticket.team_id not in self._supervisors:
            self._supervisors[ticket.team_id] = supervisors(self.tenant, ticket)
        return self._supervisors[ticket.team_id]

    def admins(self) -> list[int]:
        """`admins(tenant)`, once."""
        if self._admins is None:
            self._admins = admins(self.tenant)
        return self._admins


# --- sending ------------------------------------------------------------------------------


def send(tenant: Tenant, notification: Notification, settings: dict[str, Any] | None = None) -> None:
    """Hand `notification` to every transport the tenant's settings enable; failures are recorded.

    Called inside the sweep's transaction: transports store what they send (in-app rows,
    outbox rows) and leave slow network work to the outbox.
    """
    host = get_host()
    settings = settings if settings is not None else host.settings(tenant, PLUGIN)
    token = _current.set((tenant, settings))
    try:
        for plugin, transport in host.registered("gongdan_notification_transports"):
            if transport.name not in settings["transports"]:
                continue
            try:
                transport.send(notification)
            except Exception as exc:  # noqa: BLE001 - one failing transport never stops the others
                host.record_failure(plugin, tenant, f"transport:{transport.name}", exc)
    finally:
        _current.reset(token)


_current: ContextVar[tuple[Tenant, dict[str, Any]] | None] = ContextVar("sla_notification_tenant", default=None)


def tenant_settings(notification: Notification) -> tuple[Tenant, dict[str, Any]]:
    """The notification's tenant and the plugin's settings there (what `send` already loaded)."""
    current = _current.get()
    if current is not None and current[0].id == notification.tenant_id:
        return current
    tenant = Tenant.get_by_id(notification.tenant_id)
    return tenant, get_host().settings(tenant, PLUGIN)


def send_in_app(notification: Notification) -> None:
    """Store one in-app notification per recipient (`GET /api/v1/notifications`)."""
    now = clock.now()
    rows = [
        {
            "tenant": notification.tenant_id,
            "user": user_id,
            "kind": notification.kind,
            "subject": notification.subject[:300],
            "body": notification.body,
            "ticket": notification.ticket_id,
            "data": dict(notification.data),
            "created_at": now,
        }
        for user_id in notification.recipient_ids
    ]
    if rows:
        InAppNotification.insert_many(rows).execute()
        inbox.add(
            notification.tenant_id, notification.recipient_ids, "sla", notification.subject, notification.ticket_id
        )


def send_email(notification: Notification) -> None:
    """Queue an e-mail to the recipients' addresses and try it now (needs `smtp_host`): one message
    per language, an SLA warning or breach written in each reader's (their own, else the tenant's)."""
    tenant, settings = tenant_settings(notification)
    if not settings.get("smtp_host"):
        return
    readers = User.select(User.email, User.language).where(User.id.in_(list(notification.recipient_ids)))
    by_language: dict[bool, list[str]] = {}
    for user in readers:
        by_language.setdefault(messages.is_chinese(user.language or tenant.language), []).append(user.email)
    for chinese, emails in sorted(by_language.items()):
        subject, body = _in_language(tenant, notification, chinese)
        enqueue(tenant, "email", notification.kind, {"to": emails, "subject": subject, "body": body})


def _in_language(tenant: Tenant, notification: Notification, chinese: bool) -> tuple[str, str]:
    """An SLA notification's subject and body written again in Chinese or English; any other
    kind (a mention, already in its one reader's language) as it is."""
    data = notification.data
    if not notification.kind.startswith("sla.") or "number" not in data:
        return notification.subject, notification.body
    kind = notification.kind.removeprefix("sla.")
    due = datetime.fromisoformat(data["at"])
    return messages.compose(
        tenant, kind, data["target"], data["level"], due, data["number"], data["ticket_subject"], chinese
    )


def send_webhook(notification: Notification) -> None:
    """Queue a signed JSON POST to the tenant's `webhook_url` and try it now."""
    tenant, settings = tenant_settings(notification)
    if not settings.get("webhook_url"):
        return
    payload = {
        "kind": notification.kind,
        "tenant": tenant.slug,
        "ticket_id": notification.ticket_id,
        "subject": notification.subject,
        "body": notification.body,
        "recipient_ids": list(notification.recipient_ids),
        "data": dict(notification.data),
        "sent_at": clock.now().isoformat(),
    }
    enqueue(tenant, "webhook", notification.kind, payload)


TRANSPORTS = [
    NotificationTransport(name="in_app", send=send_in_app, label="In-app"),
    NotificationTransport(name="email", send=send_email, label="E-mail (SMTP)"),
    NotificationTransport(name="webhook", send=send_webhook, label="Webhook (HMAC-SHA256 signed)"),
]


# --- the outbox ---------------------------------------------------------------------------


def enqueue(tenant: Tenant, transport: str, kind: str, payload: dict[str, Any]) -> Delivery:
    """Store an outgoing message, due at once: `retry_due` (the end of each sweep) sends it."""
    return Delivery.create(tenant=tenant, transport=transport, kind=kind, payload=payload, next_attempt_at=clock.now())


def _claim(delivery: Delivery) -> bool:
    """Take the delivery for this process (another worker may be retrying it)."""
    lease = clock.now() + timedelta(seconds=CLAIM_SECONDS)
    claimed = (
        Delivery.update(next_attempt_at=lease)
        .where(
            (Delivery.id == delivery.id)
            & (Delivery.status == "pending")
            & (Delivery.next_attempt_at == delivery.next_attempt_at)
        )
        .execute()
    )
    return claimed == 1


def attempt(tenant: Tenant, delivery: Delivery) -> bool:
    """Try one delivery now; on failure schedule the next try (30 s, 60 s, 120 s, ...)."""
    settings = get_host().settings(tenant, PLUGIN)
    try:
        if delivery.transport == "email":
            _smtp(settings, delivery.payload)
        else:
            _post(settings, delivery.payload)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the delivery
        attempts = delivery.attempts + 1
        failed = attempts >= settings["max_attempts"]
        delay = timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (attempts - 1))
        Delivery.update(
            attempts=attempts,
            last_error=outbound.describe(exc)[:2000],  # our words, never the remote side's
            status="failed" if failed else "pending",
            next_attempt_at=None if failed else clock.now() + delay,
        ).where(Delivery.id == delivery.id).execute()
        return False
    Delivery.update(
        attempts=delivery.attempts + 1, status="delivered", delivered_at=clock.now(), next_attempt_at=None
    ).where(Delivery.id == delivery.id).execute()
    return True


def retry_due(tenant: Tenant) -> int:
    """Retry the tenant's deliveries whose next attempt is due; returns how many were tried."""
    due = list(
        Delivery.of(tenant)
        .where((Delivery.status == "pending") & (Delivery.next_attempt_at <= clock.now()))
        .order_by(Delivery.next_attempt_at)
        .limit(200)
    )
    tried = 0
    for delivery in due:
        if _claim(delivery):
            attempt(tenant, delivery)
            tried += 1
    return tried


def signature(secret: str, body: bytes) -> str:
    """The `X-Gongdan-Signature` value: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(settings: dict[str, Any], payload: dict[str, Any]) -> None:
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(settings["webhook_secret"], body)}
    response = outbound.request(
        "POST", settings["webhook_url"], allow_http=True, data=body, headers=headers, timeout=TIMEOUT_SECONDS
    )
    outbound.check_status(response)


def _smtp(settings: dict[str, Any], payload: dict[str, Any]) -> None:
    message = EmailMessage()
    message["From"] = settings["smtp_from"]
    message["To"] = ", ".join(payload["to"])
    message["Subject"] = outbound.header_text(payload["subject"])
    message.set_content(payload["body"])
    security = "starttls" if settings.get("smtp_starttls") else "none"
    host, port = settings["smtp_host"], settings["smtp_port"]
    with outbound.smtp(host, port, security=security, timeout=TIMEOUT_SECONDS) as smtp:
        if settings.get("smtp_username"):
            smtp.login(settings["smtp_username"], settings.get("smtp_password") or "")
        smtp.send_message(message)
