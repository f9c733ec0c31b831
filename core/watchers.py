"""Following a ticket (watchers): whoever follows it hears of its new messages and status changes
on their bell (`gongdan.inbox`), except of their own doing."""

from __future__ import annotations

from gongdan.db import write_transaction
from gongdan.models import Tenant, Ticket, TicketWatcher, User


def follow(tenant: Tenant, ticket: Ticket, user: User) -> None:
    """`user` follows `ticket` (again is harmless)."""
    with write_transaction():
        TicketWatcher.insert(tenant=tenant, ticket=ticket, user=user).on_conflict_ignore().execute()


def unfollow(tenant: Tenant, ticket: Ticket, user: User) -> None:
    """`user` stops following `ticket`."""
    with write_transaction():
        TicketWatcher.delete().where(
            (TicketWatcher.tenant == tenant) & (TicketWatcher.ticket == ticket.id) & (TicketWatcher.user == user.id)
        ).execute()


def watcher_ids(tenant: Tenant, ticket: Ticket) -> list[int]:
    """Ids of the ticket's followers."""
    rows = TicketWatcher.select(TicketWatcher.user).where(
        (TicketWatcher.tenant == tenant) & (TicketWatcher.ticket == ticket.id)
    )
    return sorted(row.user_id for row in rows)
