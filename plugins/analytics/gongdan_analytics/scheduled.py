"""Scheduled reports: a supervisor subscribes a list of recipients to a report, daily or weekly.

* **daily**: yesterday's figures (local day), sent every day at `hour` (tenant's zone);
* **weekly**: the seven days up to yesterday, sent on `weekday` (0 = Monday) at `hour`.

The job `analytics.scheduled_reports` (every minute) claims each due subscription with one
conditional update of `next_run_at` (the worker whose update changed the row sends it; another
worker's update finds nothing), renders the e-mail (`report_mail`) in the subscription's
language with the report attached as CSV or Excel, and sends it from the tenant's outgoing
mailbox of the e-mail plugin (`gongdan_email.send.open_smtp`, through the core's outbound guard).
A failed send is retried every `RETRY` minutes, at most `MAX_FAILURES` times, then waits for the
next regular run; the reason is shown on the console page. Every send is audited as
`export.created` (the report left the system).

Who may do what (decided here, not in the views): supervisors and admins manage subscriptions;
recipients must be active staff of the tenant — only an admin may add outside addresses.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as Invalid

from gongdan import audit, clock, outbound
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import Forbidden, NotFound, ValidationError
from gongdan.models import Tenant, User
from gongdan.permissions import has_role
from gongdan.plugins import get_host
from gongdan.validation import load

from . import reports
from .models import Subscription
from .periods import Period
from .rollup import tz_of

log = logging.getLogger("gongdan.analytics.scheduled")

PLUGIN = "analytics"
REPORTS = ("summary", "daily", "top_problems", "backlog")
FREQUENCIES = ("daily", "weekly")
RETRY = timedelta(minutes=15)
MAX_FAILURES = 3
MAX_RECIPIENTS = 20
MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL
SYSTEM = Actor.system("plugin:analytics")
NO_MAILBOX = "no active mailbox with an SMTP server (e-mail plugin) in this tenant"


class NotConfigured(Exception):
    """The tenant has nowhere to send from."""


def localized(reason: str | None, language: str = "zh") -> str:
    """A stored failure reason (English, fixed text) in `language`."""
    if not reason or not language.startswith("zh"):
        return reason or ""
    known = {en: zh for en, zh in outbound.MESSAGES.values()}
    known[NO_MAILBOX] = "此工作区没有可发信的邮箱（需启用邮件插件并配置 SMTP 服务器）"
    known["the mail server refused every recipient"] = "邮件服务器拒收了所有收件人"
    if reason in known:
        return known[reason]
    refused = re.fullmatch(r"the mail server refused \(SMTP (\d+)\)", reason)
    return f"邮件服务器拒绝发送（SMTP {refused.group(1)}）" if refused else reason


class SubscriptionSchema(Schema):
    """A scheduled report as the console form and the API send it."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    report = fields.String(load_default="summary", validate=validate.OneOf(REPORTS))
    group_by = fields.String(load_default="channel", validate=validate.OneOf(reports.DIMENSIONS))
    frequency = fields.String(load_default="weekly", validate=validate.OneOf(FREQUENCIES))
    weekday = fields.Integer(load_default=0, validate=validate.Range(min=0, max=6))
    hour = fields.Integer(load_default=8, validate=validate.Range(min=0, max=23))
    recipients = fields.List(fields.Email(), required=True, validate=validate.Length(min=1, max=MAX_RECIPIENTS))
    language = fields.String(load_default="zh", validate=validate.OneOf(("zh", "en")))
    format = fields.String(load_default="xlsx", validate=validate.OneOf(("csv", "xlsx")))
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _unique_recipients(self, data: dict[str, Any], **_: Any) -> None:
        lowered = [r.lower() for r in data.get("recipients") or []]
        if len(set(lowered)) != len(lowered):
            raise Invalid(gettext("the same address twice"), "recipients")


# --- when -----------------------------------------------------------------------------------


def next_run(subscription: Subscription, tenant: Tenant, after: datetime) -> datetime:
    """The first local `hour:00` strictly after `after` on a day the subscription sends (UTC)."""
    tz = tz_of(tenant)
    local = after.astimezone(tz)
    day = local.date()
    for _ in range(9):
        candidate = datetime.combine(day, time(subscription.hour), tz)
        if candidate > local and (subscription.frequency == "daily" or day.weekday() == subscription.weekday):
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise AssertionError("a run within 8 days")  # pragma: no cover - every weekday recurs within 7


def period_of(subscription: Subscription, sent_on: date) -> Period:
    """The local days a run on `sent_on` reports: the day before, or the seven days before."""
    end = sent_on - timedelta(days=1)
    return Period(end - timedelta(days=6 if subscription.frequency == "weekly" else 0), end)


# --- reading and changing -------------------------------------------------------------------


def _require(actor: Actor) -> None:
    if not has_role(actor.user, "supervisor"):
        raise Forbidden("supervisors and admins manage scheduled reports")


def _check_recipients(tenant: Tenant, recipients: list[str], actor: Actor) -> list[str]:
    """The addresses, lower-cased; outside addresses (not active staff of the tenant) only for admins."""
    wanted = [r.strip().lower() for r in recipients]
    staff = {
        row[0].lower()
        for row in User.of(tenant)
        .select(User.email)
        .where(User.is_active == True)  # noqa: E712
        .tuples()
    }
    outside = [r for r in wanted if r not in staff]
    if outside and not has_role(actor.user, "admin"):
        raise ValidationError(
            "outside recipients",
            {
                "recipients": [
                    gettext(
                        "not staff of this workspace (only an admin may add them): %(addresses)s",
                        addresses=", ".join(outside),
                    )
                ]
            },
        )
    return wanted


def as_dict(row: Subscription, tenant: Tenant) -> dict[str, Any]:
    """A subscription as the API and the console show it (times in the tenant's zone)."""
    tz = tz_of(tenant)

    def local(value: datetime | None) -> str | None:
        return value.astimezone(tz).isoformat() if value else None

    return {
        "id": row.id,
        "name": row.name,
        "report": row.report,
        "group_by": row.group_by,
        "frequency": row.frequency,
        "weekday": row.weekday,
        "hour": row.hour,
        "recipients": list(row.recipients or []),
        "language": row.language,
        "format": row.format,
        "active": row.active,
        "next_run_at": local(row.next_run_at) if row.active else None,
        "last_sent_at": local(row.last_sent_at),
        "last_error": row.last_error,
        "failures": row.failures,
    }


def listing(tenant: Tenant, actor: Actor) -> list[Subscription]:
    """The tenant's subscriptions by name."""
    _require(actor)
    return list(Subscription.of(tenant).order_by(Subscription.name))


def get(tenant: Tenant, subscription_id: int | str, actor: Actor) -> Subscription:
    """One subscription of the tenant, or NotFound."""
    _require(actor)
    try:
        wanted = int(subscription_id)
    except (TypeError, ValueError):
        raise NotFound("no such scheduled report") from None
    if not 0 < wanted <= MAX_ID:
        raise NotFound("no such scheduled report")
    row = Subscription.of(tenant).where(Subscription.id == wanted).first()
    if row is None:
        raise NotFound("no such scheduled report")
    return row


def _unique_name(tenant: Tenant, name: str, but: int | None = None) -> None:
    query = Subscription.of(tenant).where(Subscription.name == name)
    if but is not None:
        query = query.where(Subscription.id != but)
    if query.exists():
        raise ValidationError("duplicate name", {"name": [gettext("another scheduled report has this name")]})


def save(tenant: Tenant, data: dict[str, Any], actor: Actor, row: Subscription | None = None) -> Subscription:
    """Create (or, with `row`, replace) a subscription from unvalidated `data`; audited."""
    _require(actor)
    values = load(SubscriptionSchema(), data)
    values["recipients"] = _check_recipients(tenant, values["recipients"], actor)
    _unique_name(tenant, values["name"], row.id if row else None)
    before = as_dict(row, tenant) if row else None
    with write_transaction():
        if row is None:
            row = Subscription.create(tenant=tenant, created_by=getattr(actor.user, "id", None), **values)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        row.failures, row.updated_at = 0, clock.now()
        row.next_run_at = next_run(row, tenant, clock.now())
        row.save()
    kind = "analytics.subscription_changed" if before else "analytics.subscription_created"
    audit.record(tenant, kind, actor, data={"before": before, "after": as_dict(row, tenant)})
    return row


def delete(tenant: Tenant, row: Subscription, actor: Actor) -> None:
    """Remove a subscription; audited."""
    _require(actor)
    gone = as_dict(row, tenant)
    row.delete_instance()
    audit.record(tenant, "analytics.subscription_deleted", actor, data={"before": gone})


# --- running --------------------------------------------------------------------------------


def _mailbox(tenant: Tenant) -> Any:
    """The tenant's outgoing mailbox (e-mail plugin on, an active mailbox with SMTP), or None."""
    host = get_host()
    if "email" not in host.loaded or not host.is_enabled(tenant, "email"):
        return None
    from gongdan_email.mailboxes import sender_of

    mailbox = sender_of(tenant, None)
    return mailbox if mailbox is not None and mailbox.smtp_host else None


def claim(tenant: Tenant, row: Subscription, now: datetime) -> bool:
    """Move a due run's `next_run_at` on; True for the one worker whose update took."""
    following = next_run(row, tenant, now)
    with write_transaction():
        taken = (
            Subscription.update(next_run_at=following)
            .where(
                (Subscription.tenant == tenant)
                & (Subscription.id == row.id)
                & (Subscription.next_run_at == row.next_run_at)
            )
            .execute()
        )
    row.next_run_at = following
    return bool(taken)


def send(tenant: Tenant, row: Subscription, now: datetime | None = None, actor: Actor = SYSTEM) -> None:
    """Render and send one run of `row` now; raises on failure (SMTP, no mailbox). Audited for `actor`."""
    from gongdan_email.send import open_smtp

    from .report_mail import compose

    now = now or clock.now()
    mailbox = _mailbox(tenant)
    if mailbox is None:
        raise NotConfigured(NO_MAILBOX)
    span = period_of(row, now.astimezone(tz_of(tenant)).date())
    message, attached = compose(tenant, row, span, mailbox.address, now)
    client = open_smtp(mailbox)
    try:
        client.send_message(message, from_addr=mailbox.address, to_addrs=list(row.recipients))
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
    audit.record(
        tenant,
        "export.created",
        actor,
        data={
            "what": f"report:{row.report}",
            "format": row.format,
            "filters": {"from": span.start.isoformat(), "to": span.end.isoformat(), "group_by": row.group_by},
            "scheduled": row.id,
            "recipients": list(row.recipients),
            "bytes": attached,
        },
    )


SEND_ERRORS = (smtplib.SMTPException, OSError, outbound.OutboundError, NotConfigured)


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, NotConfigured) else outbound.describe(exc)


def send_now(tenant: Tenant, row: Subscription, actor: Actor) -> str | None:
    """Send `row` at once for `actor` (the schedule stays as it is); the failure's reason, or None."""
    _require(actor)
    now = clock.now()
    try:
        send(tenant, row, now, actor)
    except SEND_ERRORS as exc:
        reason = _reason(exc)
        Subscription.update(last_error=reason[:500]).where(Subscription.id == row.id).execute()
        return reason
    Subscription.update(last_sent_at=now, last_error=None).where(Subscription.id == row.id).execute()
    return None


def run_one(tenant: Tenant, row: Subscription, now: datetime) -> bool:
    """Send `row` and record the outcome; a failure is retried `RETRY` later (or waits for the next run)."""
    try:
        send(tenant, row, now)
    except SEND_ERRORS as exc:
        reason = _reason(exc)
        failures = row.failures + 1
        if failures < MAX_FAILURES:
            retry_at = min(now + RETRY, row.next_run_at)
        else:  # give up on this run: the next regular one starts counting again
            retry_at, failures = row.next_run_at, 0
        Subscription.update(last_error=reason[:500], failures=failures, next_run_at=retry_at).where(
            Subscription.id == row.id
        ).execute()
        log.warning("scheduled report %s of tenant %s not sent: %s", row.id, tenant.slug, reason)
        return False
    Subscription.update(last_sent_at=now, last_error=None, failures=0).where(Subscription.id == row.id).execute()
    return True


def run_due(tenant: Tenant, now: datetime | None = None) -> int:
    """Send every subscription of `tenant` whose time has come; returns how many were sent."""
    now = now or clock.now()
    due = Subscription.of(tenant).where(
        (Subscription.active == True) & (Subscription.next_run_at <= now)  # noqa: E712
    )
    sent = 0
    for row in list(due):
        if claim(tenant, row, now):
            sent += run_one(tenant, row, now)
    return sent
