"""The e-mail channel's `deliver`: an outbox message to the customer over SMTP, threaded.

The mailbox the ticket came through sends (else the tenant's first active one). The message
has its own `Message-ID` at the mailbox's domain, `In-Reply-To`/`References` to the ticket's
mail, `Reply-To` the mailbox, the ticket token in the subject, text and HTML parts and the
attachments. Acknowledgements and other notifications carry `Auto-Submitted: auto-replied`
and are capped per recipient per hour. SMTP answers 4xx, timeouts and lost connections are
temporary (the outbox retries with back-off); 5xx and refused addresses are permanent.
"""

from __future__ import annotations

import smtplib
import socket
from datetime import timedelta
from email.message import EmailMessage as MimeMessage
from email.utils import formataddr, formatdate, make_msgid

from gongdan import attachments, clock, outbound
from gongdan.contributions import DeliveryReceipt, OutboundMessage
from gongdan.db import write_transaction
from gongdan.errors import DeliveryError
from gongdan.models import Tenant, Ticket

from . import mailboxes, threads
from .models import Acknowledgement, EmailMessage, Mailbox
from .settings import settings_of

TIMEOUT = 30.0
MAX_REFERENCES = 20


def _mailbox_of(tenant: Tenant, ticket: Ticket) -> Mailbox | None:
    first = (
        EmailMessage.select(EmailMessage.mailbox)
        .where(
            (EmailMessage.tenant == tenant)
            & (EmailMessage.ticket == ticket)
            & (EmailMessage.direction == "in")
            & EmailMessage.mailbox.is_null(False)
        )
        .order_by(EmailMessage.id)
        .first()
    )
    return mailboxes.sender_of(tenant, first.mailbox_id if first else None)


def _thread_ids(tenant: Tenant, ticket: Ticket) -> tuple[str | None, list[str]]:
    """(the customer's last message, every id of the ticket oldest first, trimmed to the first and latest)."""
    rows = list(
        EmailMessage.select(EmailMessage.message_id, EmailMessage.direction)
        .where(
            (EmailMessage.tenant == tenant)
            & (EmailMessage.ticket == ticket)
            & EmailMessage.message_id.is_null(False)
            & EmailMessage.outcome.not_in(("autoreply", "bounce", "list"))
        )
        .order_by(EmailMessage.id)
    )
    ids = list(dict.fromkeys(r.message_id for r in rows))
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1) :]
    inbound = [r.message_id for r in rows if r.direction == "in"]
    return (inbound[-1] if inbound else (ids[-1] if ids else None)), ids


def _subject(message: OutboundMessage, ticket: Ticket, replying: bool) -> str:
    subject = message.subject
    if threads.token(ticket.number) not in subject:
        subject = f"{threads.token(ticket.number)} {subject}"
    return f"Re: {subject}" if replying and message.kind == "reply" else subject


def _check_cap(tenant: Tenant, address: str) -> None:
    cap = settings_of(tenant)["acknowledgements_per_hour"]
    since = clock.now() - timedelta(hours=1)
    sent = (
        Acknowledgement.select()
        .where((Acknowledgement.tenant == tenant) & (Acknowledgement.address == address) & (Acknowledgement.at > since))
        .count()
    )
    if sent >= cap:
        raise DeliveryError(f"not sent: {sent} acknowledgements to {address} in the past hour (cap {cap})", True)


def build(message: OutboundMessage, mailbox: Mailbox, recipient: str) -> MimeMessage:
    """The MIME message for `message`, from `mailbox` to `recipient`."""
    tenant, ticket = message.tenant, message.ticket
    parent, references = _thread_ids(tenant, ticket)
    domain = mailbox.address.rsplit("@", 1)[-1]
    mime = MimeMessage()
    mime["From"] = formataddr((tenant.name, mailbox.address))
    mime["To"] = recipient
    mime["Reply-To"] = mailbox.address
    mime["Subject"] = outbound.header_text(_subject(message, ticket, parent is not None))
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(idstring=f"t{ticket.number}", domain=domain)
    if parent:
        mime["In-Reply-To"] = f"<{parent}>"
        mime["References"] = " ".join(f"<{i}>" for i in references)
    if message.kind != "reply":
        mime["Auto-Submitted"] = "auto-replied"
        mime["X-Auto-Response-Suppress"] = "All"
    mime.set_content(message.text)
    mime.add_alternative(message.html or "", subtype="html")
    for item in message.attachments:
        maintype, _, subtype = (item.content_type or "application/octet-stream").partition("/")
        mime.add_attachment(
            attachments.read(item), maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename
        )
    return mime


def open_smtp(mailbox: Mailbox, timeout: float = TIMEOUT) -> smtplib.SMTP:
    """A client connected (and signed in, when a password is set) to the mailbox's SMTP server."""
    client = outbound.smtp(mailbox.smtp_host, mailbox.smtp_port, security=mailbox.smtp_security, timeout=timeout)
    try:
        if mailbox.smtp_password:
            client.login(mailbox.smtp_username or mailbox.username, mailbox.smtp_password)
    except BaseException:
        client.close()
        raise
    return client


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _send(mailbox: Mailbox, mime: MimeMessage, recipient: str) -> None:
    client = open_smtp(mailbox)
    try:
        client.send_message(mime, from_addr=mailbox.address, to_addrs=[recipient])
    finally:
        _quit(client)


def check(mailbox: Mailbox, timeout: float = 10.0) -> tuple[bool, str]:
    """Connect and sign in without sending: `(ok, what happened)` for "test connection"."""
    if not mailbox.smtp_host:
        return False, "no SMTP server set: replies cannot be sent"
    try:
        _quit(open_smtp(mailbox, timeout))
    except (smtplib.SMTPException, OSError, outbound.OutboundError) as exc:
        return False, _error(exc).reason
    return True, f"{mailbox.smtp_host}:{mailbox.smtp_port} accepted the sign-in"


def _error(exc: BaseException) -> DeliveryError:
    """SMTP's answer as the outbox wants it: 4xx and network trouble retry, 5xx do not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = all(code >= 500 for code in codes)
        return DeliveryError(f"the mail server refused the recipient (SMTP {codes[0] if codes else '?'})", permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return DeliveryError(f"SMTP {exc.smtp_code}: {' '.join(text.split())[:200]}", exc.smtp_code >= 500)
    if isinstance(exc, outbound.OutboundBlocked):
        return DeliveryError(exc.message, True)
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return DeliveryError("the mail server did not answer in time", False)
    return DeliveryError(outbound.describe(exc), False)


def deliver(message: OutboundMessage) -> DeliveryReceipt:
    """Send `message` to the ticket's customer; returns the Message-ID (the bounce's handle)."""
    tenant, ticket = message.tenant, message.ticket
    customer = ticket.customer if ticket.customer_id else None
    recipient = (customer.email or "").strip() if customer else ""
    if not recipient:
        raise DeliveryError("the customer has no e-mail address", permanent=True)
    mailbox = _mailbox_of(tenant, ticket)
    if mailbox is None or not mailbox.smtp_host:
        raise DeliveryError("no active mailbox with an SMTP server in this tenant", permanent=True)
    if message.kind == "acknowledgement":
        _check_cap(tenant, recipient.lower())
    mime = build(message, mailbox, recipient)
    try:
        _send(mailbox, mime, recipient)
    except (smtplib.SMTPException, OSError, outbound.OutboundError) as exc:
        raise _error(exc) from None
    message_id = mime["Message-ID"].strip().strip("<>")
    with write_transaction():
        EmailMessage.create(
            tenant=tenant,
            mailbox=mailbox,
            direction="out",
            key=message_id,
            message_id=message_id,
            ticket=ticket,
            comment=message.comment,
            outcome=message.kind,
            sender=mailbox.address,
            subject=str(mime["Subject"])[:300],
            participants=[recipient.lower()],
            at=clock.now(),
        )
        if message.kind == "acknowledgement":
            Acknowledgement.create(tenant=tenant, address=recipient.lower(), at=clock.now())
    return DeliveryReceipt(external_id=message_id)
