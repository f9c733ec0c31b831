"""One message in, exactly once: tickets, comments, reopen/follow-up, loops, bounces, quarantine.

Every test runs on SQLite and PostgreSQL (the `tenant` fixture's database)."""

from __future__ import annotations

from typing import Any

import pytest
from gongdan_email import corpus, ingest
from gongdan_email.models import EmailMessage, EmailQuarantine, Mailbox

from gongdan import attachments, delivery, tickets
from gongdan.actors import Actor
from gongdan.models import Attachment, Comment, Delivery, Ticket


@pytest.fixture
def box(email_on: Any, tenant: Any) -> Mailbox:
    """A mailbox row (no server needed to ingest bytes directly)."""
    return Mailbox.create(tenant=tenant, address="support@acme.example", imap_host="127.0.0.1", username="support")


def mail(
    subject: str, body: str, *, sender: str = "buyer@example.com", mid: str | None = "m1@example.com", **headers: str
) -> bytes:
    """A small UTF-8 message."""
    lines = [f"From: Buyer <{sender}>", "To: support@acme.example", f"Subject: {subject}"]
    if mid:
        lines.append(f"Message-ID: <{mid}>")
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    lines += ["Content-Type: text/plain; charset=utf-8", "", body]
    return "\r\n".join(lines).encode()


def test_a_new_message_becomes_a_ticket_once(box: Mailbox, tenant: Any) -> None:
    raw = mail("商品破损", "箱子压坏了")
    first = ingest.ingest(tenant, box, raw, uid=1)
    again = ingest.ingest(tenant, box, raw, uid=2)
    assert (first.outcome, again.outcome) == ("ticket", "duplicate")
    ticket = Ticket.get_by_id(first.ticket_id)
    assert (ticket.subject, ticket.channel, ticket.description, ticket.language) == (
        "商品破损",
        "email",
        "箱子压坏了",
        "zh",
    )
    assert ticket.customer.email == "buyer@example.com"
    assert Ticket.of(tenant).count() == 1
    assert Mailbox.get_by_id(box.id).last_uid == 2


def test_messages_without_message_id_are_deduplicated_by_content(box: Mailbox, tenant: Any) -> None:
    raw = mail("no id", "hello", mid=None)
    assert ingest.ingest(tenant, box, raw).outcome == "ticket"
    assert ingest.ingest(tenant, box, raw).outcome == "duplicate"
    assert ingest.ingest(tenant, box, mail("no id", "hello again", mid=None)).outcome == "ticket"


def test_the_dedup_row_is_unique_per_mailbox_with_the_tenant_first(box: Mailbox) -> None:
    indexes = {tuple(fields): unique for fields, unique in EmailMessage._meta.indexes}
    assert indexes[("tenant", "mailbox", "key")] is True


def test_a_reply_threads_by_in_reply_to(box: Mailbox, tenant: Any) -> None:
    first = ingest.ingest(tenant, box, mail("order", "where is it", mid="a@example.com"))
    reply = ingest.ingest(
        tenant, box, mail("something else", "still waiting", mid="b@example.com", In_Reply_To="<a@example.com>")
    )
    assert (reply.outcome, reply.ticket_id) == ("comment", first.ticket_id)
    note = Comment.get(Comment.ticket == first.ticket_id)
    assert (note.body, note.from_customer, note.author_kind) == ("still waiting", True, "customer")


def test_a_subject_token_threads_only_for_the_customer(box: Mailbox, tenant: Any) -> None:
    first = ingest.ingest(tenant, box, mail("order", "hello", mid="a@example.com"))
    number = Ticket.get_by_id(first.ticket_id).number
    own = ingest.ingest(tenant, box, mail(f"Re: [#{number}] order", "me again", mid="c@example.com"))
    stranger = ingest.ingest(
        tenant, box, mail(f"Re: [#{number}] order", "let me in", sender="evil@example.net", mid="d@example.net")
    )
    assert (own.outcome, own.ticket_id) == ("comment", first.ticket_id)
    assert stranger.outcome == "ticket"
    assert stranger.ticket_id != first.ticket_id


def test_a_reply_to_a_recently_resolved_ticket_reopens_it(box: Mailbox, tenant: Any, frozen_clock: Any) -> None:
    first = ingest.ingest(tenant, box, mail("order", "hello", mid="a@example.com"))
    ticket = Ticket.get_by_id(first.ticket_id)
    tickets.transition(tenant, ticket, "resolved", Actor.system())
    frozen_clock.advance(days=6)
    again = ingest.ingest(
        tenant, box, mail("Re: order", "not fixed", mid="e@example.com", In_Reply_To="<a@example.com>")
    )
    assert (again.outcome, again.ticket_id) == ("reopened", ticket.id)
    assert Ticket.get_by_id(ticket.id).status == "open"


def test_a_reply_after_the_window_opens_a_linked_follow_up(box: Mailbox, tenant: Any, frozen_clock: Any) -> None:
    first = ingest.ingest(tenant, box, mail("order", "hello", mid="a@example.com"))
    ticket = Ticket.get_by_id(first.ticket_id)
    tickets.transition(tenant, ticket, "resolved", Actor.system())
    frozen_clock.advance(days=8)
    late = ingest.ingest(tenant, box, mail("Re: order", "again", mid="f@example.com", In_Reply_To="<a@example.com>"))
    assert late.outcome == "followup"
    child = Ticket.get_by_id(late.ticket_id)
    assert child.parent_id == ticket.id
    assert Ticket.get_by_id(ticket.id).status == "resolved"
    # and its next message threads to the follow-up
    more = ingest.ingest(tenant, box, mail("Re: order", "more", mid="g@example.com", In_Reply_To="<f@example.com>"))
    assert more.ticket_id == child.id


def test_the_reopen_window_is_a_tenant_setting(
    box: Mailbox, tenant: Any, frozen_clock: Any, enable_plugin: Any
) -> None:
    enable_plugin("email", settings={"reopen_days": 30})
    first = ingest.ingest(tenant, box, mail("order", "hello", mid="a@example.com"))
    tickets.transition(tenant, Ticket.get_by_id(first.ticket_id), "resolved", Actor.system())
    frozen_clock.advance(days=20)
    from gongdan_email.settings import settings_of

    days = settings_of(tenant)["reopen_days"]
    again = ingest.ingest(
        tenant, box, mail("Re", "x", mid="h@example.com", In_Reply_To="<a@example.com>"), reopen_days=days
    )
    assert again.outcome == "reopened"


def test_a_closed_ticket_gets_a_follow_up(box: Mailbox, tenant: Any) -> None:
    first = ingest.ingest(tenant, box, mail("order", "hello", mid="a@example.com"))
    ticket = Ticket.get_by_id(first.ticket_id)
    tickets.transition(tenant, ticket, "resolved", Actor.system())
    tickets.transition(tenant, ticket, "closed", Actor.system())
    late = ingest.ingest(tenant, box, mail("Re", "x", mid="i@example.com", In_Reply_To="<a@example.com>"))
    assert late.outcome == "followup"
    assert Ticket.get_by_id(late.ticket_id).parent_id == ticket.id


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"List_Id": "<news.example.com>"},
        {"X_Autoreply": "yes"},
        {"X_Auto_Response_Suppress": "All"},
    ],
)
def test_automatic_mail_never_becomes_a_ticket(box: Mailbox, tenant: Any, headers: dict) -> None:
    result = ingest.ingest(tenant, box, mail("hello", "automatic", **headers))
    assert result.outcome in ("autoreply", "list")
    assert Ticket.of(tenant).count() == 0


def test_auto_submitted_no_is_a_person(box: Mailbox, tenant: Any) -> None:
    assert ingest.ingest(tenant, box, mail("hello", "a person", Auto_Submitted="no")).outcome == "ticket"


def test_a_bounce_marks_the_reply_failed(box: Mailbox, tenant: Any) -> None:
    first = ingest.ingest(tenant, box, mail("order", "hello", mid="a@example.com"))
    ticket = Ticket.get_by_id(first.ticket_id)
    sent = Delivery.create(
        tenant=tenant, ticket=ticket, channel="email", kind="reply", state="sent", external_id="gd.1@acme.example"
    )
    EmailMessage.create(
        tenant=tenant,
        mailbox=box,
        direction="out",
        key="gd.1@acme.example",
        message_id="gd.1@acme.example",
        ticket=ticket,
        outcome="reply",
    )
    bounce = next(c for c in corpus.cases("tuning") if c.file == "bounce_dsn.eml").raw
    bounce = bounce.replace(b"gd.t3.reply1@acme.example", b"gd.1@acme.example")
    result = ingest.ingest(tenant, box, bounce)
    assert (result.outcome, result.ticket_id) == ("bounce", ticket.id)
    row = Delivery.get_by_id(sent.id)
    assert row.state == "failed"
    assert "550 5.5.0" in row.last_error
    assert Ticket.of(tenant).count() == 1
    assert delivery.as_dict(row)["state"] == "failed"


def test_attachments_and_inline_images_are_stored(box: Mailbox, tenant: Any) -> None:
    raw = next(c for c in corpus.cases("tuning") if c.file == "inline_image.eml").raw
    result = ingest.ingest(tenant, box, raw)
    files = {a.filename: a for a in Attachment.select().where(Attachment.ticket == result.ticket_id)}
    assert set(files) == {"scratch.png", "发票.pdf"}
    assert files["scratch.png"].inline
    assert files["scratch.png"].content_id == "scratch01@126.com"
    assert files["scratch.png"].content_type == "image/png"
    assert attachments.read(files["发票.pdf"]).startswith(b"%PDF")


def test_a_reply_carries_its_attachments_on_the_comment(box: Mailbox, tenant: Any) -> None:
    first = ingest.ingest(tenant, box, mail("order", "hello", mid="a@example.com"))
    raw = next(c for c in corpus.cases("heldout") if c.file == "outlook_old_cn.eml").raw
    raw = raw.replace(b"gd.t3.reply1@acme.example", b"a@example.com").replace(b"john@outlook.com", b"buyer@example.com")
    result = ingest.ingest(tenant, box, raw)
    assert (result.outcome, result.ticket_id) == ("comment", first.ticket_id)
    note = Comment.get(Comment.ticket == first.ticket_id)
    assert [a.filename for a in Attachment.select().where(Attachment.comment == note)] == ["退货单.jpg"]


def test_an_unparseable_message_is_quarantined_then_discarded(box: Mailbox, tenant: Any) -> None:
    raw = b"Subject: junk\r\n\r\n\x00\x01"
    result = ingest.ingest(tenant, box, raw, uid=7)
    assert result.outcome == "quarantined"
    assert "sender" in result.reason
    assert ingest.ingest(tenant, box, raw, uid=7).outcome == "duplicate"
    entry = EmailQuarantine.get()
    assert bytes(entry.raw) == raw
    assert entry.status == "open"
    assert Mailbox.get_by_id(box.id).last_uid == 7
    assert ingest.retry(entry).outcome == "quarantined"
    ingest.discard(entry)
    assert EmailQuarantine.get_by_id(entry.id).status == "discarded"


class FullDisk:
    """A storage backend whose disk is full."""

    def put(self, key: str, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    def get(self, key: str) -> bytes:
        raise FileNotFoundError(key)

    def delete(self, key: str) -> None:
        return None


def test_a_failure_while_storing_quarantines_without_a_half_made_ticket(box: Mailbox, tenant: Any) -> None:
    raw = next(c for c in corpus.cases("tuning") if c.file == "inline_image.eml").raw
    attachments.set_storage(FullDisk())
    try:
        result = ingest.ingest(tenant, box, raw, uid=3)
    finally:
        attachments.set_storage(None)
    assert result.outcome == "quarantined"
    assert "No space left" in result.reason
    assert Ticket.of(tenant).count() == 0
    assert Mailbox.get_by_id(box.id).last_uid == 3
    entry = EmailQuarantine.get()
    retried = ingest.retry(entry)
    assert retried.outcome == "ticket"
    assert EmailQuarantine.get_by_id(entry.id).status == "resolved"
    assert Attachment.select().where(Attachment.ticket == retried.ticket_id).count() == 2
    assert ingest.ingest(tenant, box, raw).outcome == "duplicate"


@pytest.mark.parametrize("part", corpus.PARTS)
def test_threading_on_the_corpus(box: Mailbox, tenant: Any, part: str) -> None:
    made = corpus.prepare(tenant, box)
    problems = []
    for case in corpus.cases(part):
        problems += corpus.threading_problems(case, ingest.ingest(tenant, box, case.raw), made)
    assert problems == []
