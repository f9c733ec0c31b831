"""A customer's e-mail reply to a ticket that was merged into another lands on the survivor."""

from __future__ import annotations

from typing import Any

from gongdan_email import ingest
from gongdan_email.models import Mailbox

from gongdan import merge, tickets
from gongdan.actors import Actor
from gongdan.models import Comment, Ticket


def _mail(subject: str, body: str, mid: str, **headers: str) -> bytes:
    lines = ["From: Buyer <buyer@example.com>", "To: support@acme.example", f"Subject: {subject}"]
    lines += [f"Message-ID: <{mid}>", *(f"{k.replace('_', '-')}: {v}" for k, v in headers.items())]
    return "\r\n".join([*lines, "Content-Type: text/plain; charset=utf-8", "", body]).encode()


def test_a_reply_to_a_merged_ticket_continues_the_survivor(email_on: Any, tenant: Any, make_user: Any) -> None:
    box = Mailbox.create(tenant=tenant, address="support@acme.example", imap_host="127.0.0.1", username="support")
    lead, _ = make_user("supervisor")
    first = ingest.ingest(tenant, box, _mail("包裹没到", "三天了", "a@example.com"))
    keeper, _ = tickets.create(tenant, {"subject": "物流停滞", "channel": "phone"}, Actor.system("test"))
    record = merge.merge(tenant, first.ticket_id, keeper.id, Actor.of(lead))
    reply = ingest.ingest(
        tenant, box, _mail("Re: 包裹没到", "还是没到", "b@example.com", In_Reply_To="<a@example.com>")
    )
    assert (reply.outcome, reply.ticket_id) == ("comment", keeper.id)
    assert Ticket.get_by_id(first.ticket_id).status == "closed"  # no follow-up of the merged one
    assert Ticket.of(tenant).count() == 2
    merge.undo(tenant, record.id, Actor.of(lead))
    again = ingest.ingest(tenant, box, _mail("Re: 包裹没到", "在吗", "c@example.com", In_Reply_To="<a@example.com>"))
    assert again.ticket_id == first.ticket_id  # undone: the thread is its own again
    assert [c.body for c in Comment.select().where(Comment.ticket == first.ticket_id).order_by(Comment.id)] == ["在吗"]
