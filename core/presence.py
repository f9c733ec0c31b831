"""Who else has a ticket open, and who is typing: collision detection by short polling.

Each open ticket page calls `touch` every few seconds (and when the agent starts or stops
typing); `others` lists the colleagues seen within `WINDOW`. Rows live in the database
(`ticket_presence`), so it holds under several gunicorn workers and machines.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gongdan import clock
from gongdan.db import write_transaction
from gongdan.models import Comment, Tenant, Ticket, TicketPresence, User

WINDOW = timedelta(seconds=30)


def touch(tenant: Tenant, ticket: Ticket, user: User, typing: bool) -> None:
    """`user` has `ticket` open now (typing or not)."""
    now = clock.now()
    with write_transaction():
        TicketPresence.insert(tenant=tenant, ticket=ticket, user=user, typing=typing, seen_at=now).on_conflict(
            conflict_target=[TicketPresence.tenant, TicketPresence.ticket, TicketPresence.user],
            update={TicketPresence.typing: typing, TicketPresence.seen_at: now},
        ).execute()


def others(tenant: Tenant, ticket: Ticket, user: User) -> list[dict[str, Any]]:
    """The colleagues with the ticket open within `WINDOW`: `[{"name", "typing"}]`, by name."""
    since = clock.now() - WINDOW
    rows = (
        TicketPresence.select(TicketPresence.typing, User.name, User.email)
        .join(User, on=(TicketPresence.user == User.id))
        .where(
            (TicketPresence.tenant == tenant)
            & (TicketPresence.ticket == ticket)
            & (TicketPresence.user != user)
            & (TicketPresence.seen_at >= since)
        )
        .order_by(User.name)
        .dicts()
    )
    return [{"name": row["name"] or row["email"], "typing": bool(row["typing"])} for row in rows]


def state(ticket: Ticket) -> dict[str, Any]:
    """What the page compares to notice a change: the ticket's version and its newest comment."""
    fresh = Ticket.select(Ticket.updated_at).where(Ticket.id == ticket.id).scalar()
    newest = Comment.select(Comment.id).where(Comment.ticket == ticket.id).order_by(Comment.id.desc()).scalar()
    return {"version": fresh.isoformat() if fresh else "", "last_comment": newest or 0}
