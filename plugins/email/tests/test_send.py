"""Replies out over SMTP (a real aiosmtpd server): headers, threading, errors, the ack cap; and the
issue's end-to-end loop. SQLite and PostgreSQL."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

import pytest
from gongdan_email import fetch
from gongdan_email.models import EmailMessage

from gongdan import delivery, dispatcher, tickets
from gongdan.actors import Actor
from gongdan.models import Attachment, Comment, Delivery, Ticket

CUSTOMER_MAIL = (
    "From: =?utf-8?B?5byg5LiJ?= <zhangsan@qq.com>\r\nTo: support@acme.example\r\n"
    "Subject: =?utf-8?B?5pS25Yiw55qE5ZWG5ZOB56C05o2f?=\r\nMessage-ID: <first@qq.com>\r\n"
    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n箱子压坏了，见照片。\r\n"
    "--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=photo.png\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\r\n--b--\r\n"
)


def answer(parent: str, body: str, mid: str) -> bytes:
    """The customer's answer to gongdan's message `parent` (no subject token: threading by headers)."""
    return (
        f"From: zhangsan@qq.com\r\nTo: support@acme.example\r\nSubject: Re: something\r\n"
        f"Message-ID: <{mid}>\r\nIn-Reply-To: <{parent}>\r\nReferences: <first@qq.com> <{parent}>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\r\n"
        f"------------------ 原始邮件 ------------------\r\n发件人: support\r\n\r\nold words\r\n"
    ).encode()


def received(sink: Any, count: int) -> list[Any]:
    """The MIME messages the SMTP server got."""
    return [message_from_bytes(e.original_content, policy=policy.default) for e in sink.wait_for(count)]


def test_the_whole_conversation(
    make_mailbox: Any, dovecot: Any, smtp_sink: Any, tenant: Any, agent_api: Any, enable_plugin: Any
) -> None:
    from gongdan_sla.policies import save_calendars, save_policies

    enable_plugin("sla")
    week = {str(d): [["00:00", "23:59"]] for d in range(7)}
    save_calendars(tenant, {"items": [{"name": "default", "weekly": week}]})
    save_policies(tenant, {"items": [{"name": "All", "first_response": 60, "next_response": 60, "resolution": 600}]})
    broken = make_mailbox("sales@acme.example", password="wrong")
    make_mailbox()
    # 1. a mail becomes a ticket with its attachment; the broken mailbox shows why, the other flows
    dovecot.deliver(CUSTOMER_MAIL.encode())
    fetch.fetch_all(tenant)
    ticket = Ticket.get(Ticket.tenant == tenant)
    assert (ticket.subject, ticket.channel, ticket.customer.email) == ("收到的商品破损", "email", "zhangsan@qq.com")
    assert [a.filename for a in Attachment.select().where(Attachment.ticket == ticket)] == ["photo.png"]
    assert "login refused" in type(broken).get_by_id(broken.id).last_error
    delivery.flush(tenant)
    acknowledgement = received(smtp_sink, 1)[0]
    assert acknowledgement["Auto-Submitted"] == "auto-replied"
    # 2. the agent's reply through the API arrives threaded under the customer's mail
    reply = agent_api.post(f"/api/v1/tickets/{ticket.id}/comments", json={"body": "请问是哪个部位破损？"})
    assert reply.status_code == 201, reply.get_json()
    delivery.flush(tenant)
    sent = received(smtp_sink, 2)[1]
    assert sent["In-Reply-To"] == "<first@qq.com>"
    assert "<first@qq.com>" in sent["References"]
    assert sent["Reply-To"] == "support@acme.example"
    assert sent["Message-ID"].endswith("@acme.example>")
    assert f"[#{ticket.number}]" in sent["Subject"]
    assert sent.get("Auto-Submitted") is None
    assert sent.get_body(("plain",)).get_content().strip().startswith("请问是哪个部位破损")
    assert sent.get_body(("html",)) is not None
    row = Delivery.get(Delivery.comment == reply.get_json()["id"])
    assert row.state == "sent"
    assert row.external_id == sent["Message-ID"].strip("<>")
    # 3. the customer's answer lands on the same ticket, without the quoted history, and runs the clock
    dovecot.deliver(answer(row.external_id, "左上角压扁了", "second@qq.com"))
    fetch.fetch_all(tenant)
    note = Comment.select().where((Comment.ticket == ticket) & Comment.from_customer).get()
    assert note.body == "左上角压扁了"
    from gongdan_sla.models import SlaTicket

    # fetched mail is ingestion: the plugins' hooks wait for the worker's core.dispatch
    assert "sla" in tickets.pending_work(tenant, [ticket.id])[ticket.id]
    dispatcher.dispatch_batches()
    assert SlaTicket.get(SlaTicket.ticket == ticket).next_response_due is not None
    # 4. after it was resolved, the next answer reopens it
    tickets.transition(tenant, Ticket.get_by_id(ticket.id), "resolved", Actor.system())
    dovecot.deliver(answer(row.external_id, "还是不行", "third@qq.com"))
    fetch.fetch_all(tenant)
    assert Ticket.get_by_id(ticket.id).status == "open"
    assert Ticket.of(tenant).count() == 1


@pytest.fixture
def conversation(make_mailbox: Any, dovecot: Any, tenant: Any) -> Ticket:
    """A ticket that came in by mail."""
    make_mailbox()
    dovecot.deliver(CUSTOMER_MAIL.encode())
    fetch.fetch_all(tenant)
    return Ticket.get(Ticket.tenant == tenant)


def reply(tenant: Any, ticket: Ticket, body: str = "hello") -> Delivery:
    """An agent's public reply, flushed; its delivery row."""
    note = tickets.comment(tenant, ticket, body, Actor.system("agent"), author_kind="agent")
    delivery.flush(tenant)
    return Delivery.get(Delivery.comment == note.id)


def test_sent_messages_are_recorded_for_threading(conversation: Ticket, tenant: Any, smtp_sink: Any) -> None:
    row = reply(tenant, conversation)
    out = EmailMessage.get((EmailMessage.direction == "out") & (EmailMessage.outcome == "reply"))
    assert (out.message_id, out.ticket_id) == (row.external_id, conversation.id)


@pytest.mark.parametrize(
    ("code", "state"), [("451 4.3.0 try again later", "retrying"), ("550 5.1.1 no such user", "failed")]
)
def test_temporary_errors_retry_and_permanent_ones_fail(
    conversation: Ticket, tenant: Any, smtp_sink: Any, code: str, state: str
) -> None:
    smtp_sink.reply = code
    row = reply(tenant, conversation)
    assert row.state == state
    assert code.split()[0] in row.last_error


def test_an_unreachable_server_is_temporary(conversation: Ticket, tenant: Any, smtp_sink: Any) -> None:
    smtp_sink.stop()
    row = reply(tenant, conversation)
    assert row.state == "retrying"
    assert "no usable answer" in row.last_error


def test_acknowledgements_are_capped_per_sender_per_hour(
    make_mailbox: Any, dovecot: Any, smtp_sink: Any, tenant: Any, enable_plugin: Any
) -> None:
    enable_plugin("email", settings={"acknowledgements_per_hour": 2})
    make_mailbox()
    dovecot.deliver_many([CUSTOMER_MAIL.replace("first@qq.com", f"m{n}@qq.com").encode() for n in range(4)])
    fetch.fetch_all(tenant)
    delivery.flush(tenant)
    states = [d.state for d in Delivery.select().where(Delivery.kind == "acknowledgement").order_by(Delivery.id)]
    assert states == ["sent", "sent", "failed", "failed"]
    assert len(smtp_sink.messages) == 2


def test_attachments_go_out_with_the_reply(conversation: Ticket, tenant: Any, smtp_sink: Any) -> None:
    from gongdan import attachments

    stored = attachments.store(tenant, b"%PDF-1.4 invoice", "发票.pdf", ticket=conversation)
    note = tickets.comment(
        tenant, conversation, "附上发票", Actor.system("agent"), author_kind="agent", attachment_ids=[stored.id]
    )
    delivery.flush(tenant)
    assert Delivery.get(Delivery.comment == note.id).state == "sent"
    sent = received(smtp_sink, 2)[-1]
    files = [(p.get_filename(), p.get_content()) for p in sent.iter_attachments()]
    assert files == [("发票.pdf", b"%PDF-1.4 invoice")]


def test_a_subject_with_line_breaks_goes_out_on_one_line(
    conversation: Ticket, tenant: Any, smtp_sink: Any, admin_api: Any
) -> None:
    changed = admin_api.patch(f"/api/v1/tickets/{conversation.id}", json={"subject": "退款\r\nBcc: evil@rival.example"})
    assert changed.status_code == 200, changed.get_json()
    row = reply(tenant, Ticket.get_by_id(conversation.id), "收到")
    assert Delivery.get_by_id(row.id).state == "sent", Delivery.get_by_id(row.id).last_error
    sent = received(smtp_sink, 2)[1]
    assert sent.get("Bcc") is None
    assert sent["Subject"].endswith("退款 Bcc: evil@rival.example")
    assert [envelope.rcpt_tos for envelope in smtp_sink.wait_for(2)][1] == ["zhangsan@qq.com"]
