"""What a customer reads about a ticket: its status in their words, the expected reply time,
and the public timeline. Internal notes, plugins' events, agents' addresses and raw codes
never reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gongdan import attachments, clock
from gongdan.models import Comment, Tenant, Ticket, TicketEvent, User
from gongdan.plugins import get_host

# status -> the customer's words (English msgid; zh_CN in the catalogue)
STATUS_WORDS = {
    "new": "Received",
    "open": "In progress",
    "pending": "Awaiting your reply",
    "resolved": "Resolved",
    "closed": "Closed",
}
RATING_WORDS = {5: "Satisfied", 3: "Okay", 1: "Not satisfied"}
CSAT_EVENT = "portal.csat"
SHOWN_EVENTS = ("created", "status_changed", CSAT_EVENT)


@dataclass
class Entry:
    """One line of the public timeline."""

    kind: str  # reply | status | created | rating
    at: datetime
    mine: bool = False
    author: str = ""
    body: str = ""
    status: str = ""
    score: int | None = None
    attachments: list[Any] = field(default_factory=list)


def ticket_attachments(ticket: Ticket) -> list[Any]:
    """Files the customer sent with the request itself (not with a reply)."""
    return [a for a in attachments.of_ticket(ticket.tenant, ticket) if a.comment_id is None]


def entries(ticket: Ticket) -> list[Entry]:
    """The public timeline, oldest first."""
    comments = list(
        Comment.select(Comment.id, Comment.author, Comment.from_customer, Comment.body, Comment.created_at)
        .where((Comment.ticket == ticket.id) & (Comment.internal == False))  # noqa: E712
        .order_by(Comment.id)
    )
    agents = {
        u.id: u.name
        for u in User.select(User.id, User.name).where(User.id.in_({c.author_id for c in comments if c.author_id}))
    }
    files = attachments.of_comments(ticket.tenant_id, [c.id for c in comments])
    shown = [
        Entry(
            kind="reply",
            at=c.created_at,
            mine=c.from_customer,
            author="" if c.from_customer else (agents.get(c.author_id) or ""),
            body=c.body,
            attachments=files.get(c.id, []),
        )
        for c in comments
    ]
    events = (
        TicketEvent.select(TicketEvent.kind, TicketEvent.data, TicketEvent.at)
        .where((TicketEvent.ticket == ticket.id) & TicketEvent.kind.in_(SHOWN_EVENTS))
        .order_by(TicketEvent.id)
    )
    for event in events:
        if event.kind == "created":
            shown.append(Entry(kind="created", at=event.at))
        elif event.kind == "status_changed" and event.data.get("to") in STATUS_WORDS:
            shown.append(Entry(kind="status", at=event.at, status=event.data["to"]))
        elif event.kind == CSAT_EVENT and event.data.get("score") in RATING_WORDS:
            shown.append(Entry(kind="rating", at=event.at, mine=True, score=event.data["score"]))
    return sorted(shown, key=lambda e: e.at)


def expected_reply(tenant: Tenant, ticket: Ticket) -> datetime | None:
    """When the customer may expect the next reply, from the SLA plugin (None: no promise).

    Only while the team owes an answer: no first reply yet, or the customer spoke last.
    """
    if ticket.status not in ("new", "open") or not get_host().is_enabled(tenant, "sla"):
        return None
    from gongdan_sla.blocks import ticket_blocks

    block = ticket_blocks(tenant, [ticket]).get(ticket.id)
    if not block or block.get("paused"):
        return None
    due = block["first_response_due"] if ticket.first_response_at is None else block["next_response_due"]
    if not due:
        return None
    at = datetime.fromisoformat(due)
    return at if at > clock.now() else None
