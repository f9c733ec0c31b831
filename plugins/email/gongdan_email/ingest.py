"""One raw message in, exactly once: a ticket, a comment, a follow-up, ignored, or quarantined.

`ingest` runs in one transaction per message, or in a savepoint of its caller's (the fetcher
commits ten messages at a time): the ticket or comment, its attachments, the dedup row
(`EmailMessage`, unique per mailbox on the Message-ID or a content hash) and the mailbox's UID
watermark commit together. A crash before the commit leaves nothing behind and the message is
fetched again; after it, the dedup row turns the refetch into a no-op. The other plugins' hooks
(assignment, SLA, ...) run after that commit (`gongdan.db.after_commit`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

import peewee
from marshmallow import validate

from gongdan import attachments, clock, delivery, tickets
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import GongdanError
from gongdan.models import Comment, Tenant, Ticket
from gongdan.queries import Placeholders, ShapedQuery
from gongdan.statements import PreparedInsert, PreparedStatement

from . import threads
from .models import EmailMessage, EmailQuarantine, Mailbox
from .parse import ParsedMail, UnparseableMessage, content_hash, dedup_key, parse

ACTOR = Actor.system("channel:email")
NO_SUBJECT = "（无主题）(no subject)"
EMPTY_BODY = "（空邮件）(empty message)"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_email_ok = validate.Email()


@dataclass
class Result:
    """What became of one message; `ticket_id` when it reached a ticket."""

    outcome: str
    ticket_id: int | None = None
    reason: str = ""


# The statements every message runs, compiled once (peewee would rebuild their SQL each time).
_OWN = ShapedQuery(lambda p: Mailbox.select(Mailbox.address).where(Mailbox.tenant == p("tenant")))


def _key_in(model: type[EmailMessage] | type[EmailQuarantine], p: Placeholders) -> peewee.Select:
    where = (model.tenant == p("tenant")) & (model.mailbox == p("mailbox")) & (model.key == p("key", str))
    return model.select(model.id).where(where)


_SEEN = ShapedQuery(lambda p: _key_in(EmailMessage, p).union_all(_key_in(EmailQuarantine, p)).limit(1))
_ADVANCE = PreparedStatement(
    "UPDATE {mailbox} SET last_uid = ?, fetched_total = fetched_total + 1 WHERE id = ? AND last_uid < ?",
    mailbox=Mailbox,
)
_INSERT_MESSAGE = PreparedInsert(EmailMessage, [f.name for f in EmailMessage._meta.sorted_fields if f.name != "id"])


def own_addresses(tenant: Tenant) -> set[str]:
    """The tenant's mailbox addresses (never a participant, never a customer)."""
    return {a.lower() for (a,) in _OWN.cursor((), {"tenant": tenant.id}).fetchall()}


def is_own(address: str, own: set[str]) -> bool:
    """`address` is one of the tenant's mailboxes, with or without a `+tag` (support+vip@…)."""
    local, at, domain = address.lower().partition("@")
    return address.lower() in own or (at == "@" and f"{local.split('+', 1)[0]}@{domain}" in own)


def _seen(tenant: Tenant, mailbox: Mailbox, key: str) -> bool:
    """A dedup row or a quarantined copy of `key` exists in this mailbox."""
    return _SEEN.scalar((), {"tenant": tenant.id, "mailbox": mailbox.id, "key": key}) is not None


def _content_key(tenant: Tenant, mailbox: Mailbox, key: str, mail: ParsedMail) -> str:
    """The dedup key of a message whose Message-ID (`key`) is taken: the Message-ID, unless a
    different message (another sender, date, text or files) came in under it — some clients
    reuse one id for every mail, and anyone can copy one — then `sha256:` of the id and the
    content, so that the second message is not dropped as a duplicate, and is itself
    deduplicated on a refetch. The mail gongdan sent keeps its id: a copy of it is a duplicate."""
    first = (
        EmailMessage.select(EmailMessage.direction, EmailMessage.raw)
        .where((EmailMessage.tenant == tenant) & (EmailMessage.mailbox == mailbox) & (EmailMessage.key == key))
        .first()
    )
    if first is None:
        held = (
            EmailQuarantine.select(EmailQuarantine.raw)
            .where((EmailQuarantine.tenant == tenant) & (EmailQuarantine.mailbox == mailbox))
            .where(EmailQuarantine.key == key)
            .first()
        )
        raw = bytes(held.raw) if held is not None else None
    else:
        raw = bytes(first.raw) if first.direction == "in" and first.raw is not None else None
    if raw is None:
        return key
    try:
        same = content_hash(parse(raw)) == content_hash(mail)
    except UnparseableMessage:
        same = False
    if same:
        return key
    return "sha256:" + hashlib.sha256(f"{mail.message_id}\0{content_hash(mail)}".encode()).hexdigest()


def advance(mailbox: Mailbox, uid: int) -> None:
    """Move the mailbox's watermark to `uid` (never back)."""
    _ADVANCE.execute((uid, mailbox.id, uid))


def _record(row: dict, outcome: str, ticket: Ticket | None = None, comment: Comment | None = None) -> None:
    """Write the inbound message's dedup row (`row` as `apply` builds it)."""
    values = {**row, "outcome": outcome, "ticket": ticket.id if ticket else None}
    values["comment"] = comment.id if comment is not None else None
    _INSERT_MESSAGE.insert(values)


def ingest(tenant: Tenant, mailbox: Mailbox, raw: bytes, *, uid: int | None = None, reopen_days: int = 7) -> Result:
    """Turn one raw message into what it should become, exactly once; commits (inside a
    caller's transaction: a savepoint of it, committed with it)."""
    try:
        mail: ParsedMail | None = parse(raw)
        key = dedup_key(mail.message_id, raw)
        failure = ""
    except UnparseableMessage as exc:
        mail, key, failure = None, dedup_key(None, raw), str(exc)
    with write_transaction():
        seen = _seen(tenant, mailbox, key)
        if seen and mail is not None and mail.message_id:  # the same message, or another under its id?
            other = _content_key(tenant, mailbox, key, mail)
            if other != key:
                key, seen = other, _seen(tenant, mailbox, other)
        if seen:
            result = Result("duplicate")
        elif mail is None:
            result = quarantine(tenant, mailbox, key, raw, failure, uid=uid)
        else:
            try:
                with write_transaction():  # a savepoint: a failure leaves no half-made ticket
                    result = apply(tenant, mailbox, mail, raw, key, uid=uid, reopen_days=reopen_days)
            except peewee.DatabaseError:
                raise  # the database, not the message: the fetch stops and tries again later
            except Exception as exc:  # noqa: BLE001 - any other failure is this message's: quarantine it
                reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
                result = quarantine(tenant, mailbox, key, raw, reason, uid=uid, mail=mail)
        if uid is not None:
            advance(mailbox, uid)
    return result


def quarantine(
    tenant: Tenant,
    mailbox: Mailbox | None,
    key: str,
    raw: bytes,
    reason: str,
    *,
    uid: int | None = None,
    mail: ParsedMail | None = None,
) -> Result:
    """Keep a message that could not be handled, with its bytes and the reason."""
    EmailQuarantine.insert(
        tenant=tenant,
        mailbox=mailbox,
        key=key,
        uid=uid,
        subject=(mail.subject if mail else "")[:300],
        sender=(mail.sender if mail else "")[:254],
        raw=raw,
        reason=reason[:2000],
        created_at=clock.now(),
    ).on_conflict_ignore().execute()
    return Result("quarantined", reason=reason)


def apply(
    tenant: Tenant,
    mailbox: Mailbox | None,
    mail: ParsedMail,
    raw: bytes,
    key: str,
    *,
    uid: int | None = None,
    reopen_days: int = 7,
) -> Result:
    """Act on a parsed message and write its dedup row (call inside a transaction)."""
    own = own_addresses(tenant)
    row = {
        "tenant": tenant.id,
        "mailbox": mailbox.id if mailbox is not None else None,
        "direction": "in",
        "key": key,
        "message_id": mail.message_id,
        "sender": mail.sender[:254],
        "subject": mail.subject[:300],
        "participants": sorted(a for a in {mail.sender, *mail.recipients} if not is_own(a, own)),
        "uid": uid,
        "raw": raw,
        "html": mail.html,
        "at": clock.now(),
    }
    if mail.automatic == "bounce":
        reason = mail.bounce.reason if mail.bounce else ""
        ids = mail.bounce.message_ids if mail.bounce else []
        if mail.bounce is not None and not mail.bounce.failed:  # a delay warning: still being retried
            ticket = threads.by_message_ids(tenant, ids)
            _record(row, "bounce", ticket)
            return Result("bounce", ticket.id if ticket else None, reason)
        failed = [mid for mid in ids if delivery.fail(tenant, mid, reason)]
        ticket = threads.by_message_ids(tenant, failed)
        _record(row, "bounce", ticket)
        return Result("bounce", ticket.id if ticket else None, reason)
    if mail.automatic:
        _record(row, mail.automatic)
        return Result(mail.automatic)
    ticket = threads.find_ticket(tenant, mail, own)
    comment = None
    if ticket is None:
        ticket, outcome = _new_ticket(tenant, mailbox, mail), "ticket"
        _note_refused_thread(tenant, ticket, mail)
    elif _too_old(ticket, reopen_days):
        ticket, outcome = tickets.link(tenant, ticket, _ticket_data(mailbox, mail), ACTOR), "followup"
    else:
        outcome = "reopened" if ticket.status in ("resolved", "pending") else "comment"
    stored, refused = _store_files(tenant, ticket, mail)
    if outcome in ("comment", "reopened"):
        body = (mail.reply or mail.text or EMPTY_BODY)[:100_000]
        comment = tickets.comment(
            tenant,
            ticket,
            body,
            ACTOR,
            from_customer=True,
            author_label=_author(mail),
            attachment_ids=[a.id for a in stored],
        )
    if refused:
        note = "\n".join(f"- {name}: {why}" for name, why in refused)
        tickets.comment(tenant, ticket, f"附件未保存 / Attachments not stored:\n{note}", ACTOR, internal=True)
    _record(row, outcome, ticket, comment)
    return Result(outcome, ticket.id)


def _note_refused_thread(tenant: Tenant, ticket: Ticket, mail: ParsedMail) -> None:
    """An internal note on a new ticket whose mail claimed an existing one (by Message-ID or
    token) but was refused: a forged sender, or one who is not on that ticket."""
    claimed = threads.claimed(tenant, mail)
    if mail.unverified:
        where = f"，未并入工单 #{claimed.number}" if claimed else ""
        where_en = f": not added to ticket #{claimed.number}" if claimed else ""
        note = (
            f"发件人 {mail.sender} 未通过验证（{mail.unverified}），可能是伪造的{where}。\n"
            f"The sender {mail.sender} failed authentication ({mail.unverified}), it may be forged{where_en}."
        )
    elif claimed is not None:
        note = (
            f"这封邮件回复的是工单 #{claimed.number}，但发件人 {mail.sender} 不在该工单的邮件上，未并入。\n"
            f"This mail replies to ticket #{claimed.number}, but {mail.sender} is not on its mail: not added to it."
        )
    else:
        return
    tickets.comment(tenant, ticket, note, ACTOR, internal=True)


def _author(mail: ParsedMail) -> str:
    return f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender


def _too_old(ticket: Ticket, reopen_days: int) -> bool:
    """A closed ticket, or one resolved longer ago than the reopen window, gets a follow-up."""
    if ticket.status == "closed":
        return True
    if ticket.status == "resolved" and ticket.resolved_at is not None:
        return clock.now() - ticket.resolved_at > timedelta(days=reopen_days)
    return False


def _customer(mail: ParsedMail) -> dict[str, str]:
    try:
        _email_ok(mail.sender)
    except Exception:  # noqa: BLE001 - marshmallow's ValidationError: keep the address as an identity
        return {"name": mail.sender_name[:200], "external_id": mail.sender[:128]}
    return {"name": mail.sender_name[:200], "email": mail.sender}


def _ticket_data(mailbox: Mailbox | None, mail: ParsedMail) -> dict:
    body = mail.reply or mail.text or EMPTY_BODY
    subject = " ".join(mail.subject.split())[:200] or NO_SUBJECT
    return {
        "subject": subject,
        "description": body[:100_000],
        "channel": "email",
        "customer": _customer(mail),
        "language": "zh" if CJK.search(subject + body[:2000]) else "en",
        "team": str(mailbox.team_id) if mailbox is not None and mailbox.team_id else None,
    }


def _new_ticket(tenant: Tenant, mailbox: Mailbox | None, mail: ParsedMail) -> Ticket:
    ticket, _ = tickets.create(tenant, _ticket_data(mailbox, mail), ACTOR)
    return ticket


def _store_files(tenant: Tenant, ticket: Ticket, mail: ParsedMail) -> tuple[list, list[tuple[str, str]]]:
    """Store the message's files on the ticket; the refused ones come back with the reason."""
    stored, refused = [], []
    for part in mail.attachments:
        try:
            stored.append(
                attachments.store(
                    tenant,
                    part.data,
                    part.filename,
                    ticket=ticket,
                    inline=part.inline,
                    content_id=part.content_id,
                    declared_type=part.content_type,
                )
            )
        except GongdanError as exc:
            refused.append((part.filename, exc.message))
    return stored, refused


def retry(entry: EmailQuarantine, reopen_days: int = 7) -> Result:
    """Try a quarantined message again; on success it is marked resolved."""
    tenant = entry.tenant
    raw = bytes(entry.raw)
    try:
        mail = parse(raw)
    except UnparseableMessage as exc:
        _note(entry, str(exc))
        return Result("quarantined", reason=str(exc))
    try:
        with write_transaction():
            result = apply(tenant, entry.mailbox, mail, raw, entry.key, uid=entry.uid, reopen_days=reopen_days)
            EmailQuarantine.update(status="resolved", resolved_at=clock.now()).where(
                EmailQuarantine.id == entry.id
            ).execute()
    except peewee.DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - still not storable: keep it with the new reason
        reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        _note(entry, reason)
        return Result("quarantined", reason=reason)
    return result


def _note(entry: EmailQuarantine, reason: str) -> None:
    EmailQuarantine.update(reason=reason[:2000]).where(EmailQuarantine.id == entry.id).execute()


def discard(entry: EmailQuarantine) -> None:
    """Give up on a quarantined message (it stays listed as discarded, its bytes kept)."""
    EmailQuarantine.update(status="discarded", resolved_at=clock.now()).where(EmailQuarantine.id == entry.id).execute()


def ticket_messages(tenant: Tenant, ticket: Ticket) -> list[EmailMessage]:
    """The ticket's mail, oldest first, without the raw bytes."""
    fields = [f for f in EmailMessage._meta.sorted_fields if f.name not in ("raw", "html")]
    return list(
        EmailMessage.select(*fields)
        .where((EmailMessage.tenant == tenant) & (EmailMessage.ticket == ticket))
        .order_by(EmailMessage.id)
    )
