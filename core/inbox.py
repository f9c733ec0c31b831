"""In-app notifications (the console's bell): mentions, assignments, SLA warnings and approvals
(the automation plugin's), read/unread.

The core adds mentions and assignments (`gongdan.builtin`); plugins add theirs with `add` (the
SLA plugin's in-app transport does). Texts are stored as written (they name the ticket and
who did what); the console shows them with the time in the tenant's zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from gongdan import clock
from gongdan.db import write_transaction
from gongdan.models import InboxItem, Tenant, Ticket, User

KINDS = ("mention", "assigned", "sla", "watch", "approval")
MENTION = re.compile(r"@([^\s@,，。:：;；!！?？]+)")


def add(tenant: Tenant | int, user_ids: Iterable[int], kind: str, text: str, ticket: Ticket | int | None = None) -> int:
    """One unread item per user; returns how many."""
    now = clock.now()
    tenant_id = tenant if isinstance(tenant, int) else tenant.id
    ticket_id = ticket if isinstance(ticket, int) or ticket is None else ticket.id
    rows = [
        {"tenant": tenant_id, "user": uid, "kind": kind, "ticket": ticket_id, "text": text[:300], "created_at": now}
        for uid in sorted(set(user_ids))
    ]
    if rows:
        with write_transaction():
            InboxItem.insert_many(rows).execute()
    return len(rows)


def unread_count(tenant: Tenant, user: User) -> int:
    """How many unread items `user` has."""
    return InboxItem.of(tenant).where((InboxItem.user == user.id) & InboxItem.read_at.is_null()).count()


def latest(tenant: Tenant, user: User, limit: int = 50) -> list[InboxItem]:
    """The user's items, newest first."""
    query = InboxItem.of(tenant).where(InboxItem.user == user.id)
    return list(query.order_by(InboxItem.created_at.desc(), InboxItem.id.desc()).limit(limit))


def mark_read(tenant: Tenant, user: User, item_ids: Sequence[int] | None = None) -> int:
    """Mark the user's items read (all unread ones when `item_ids` is None); returns how many."""
    query = InboxItem.update(read_at=clock.now()).where(
        (InboxItem.tenant == tenant) & (InboxItem.user == user.id) & InboxItem.read_at.is_null()
    )
    if item_ids is not None:
        query = query.where(InboxItem.id.in_(list(item_ids)))
    with write_transaction():
        return query.execute()


def mentioned(tenant: Tenant, body: str) -> list[int]:
    """Ids of the tenant's active users written as `@name` (or `@email`) in `body`."""
    words = set(MENTION.findall(body or ""))
    if not words:
        return []
    found = User.of(tenant).where((User.is_active == True) & (User.name.in_(words) | User.email.in_(words)))  # noqa: E712
    return sorted(u.id for u in found)
