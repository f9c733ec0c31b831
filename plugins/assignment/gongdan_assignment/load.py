"""Agents' load counters: raised atomically on assignment, recounted under the row lock otherwise.

Invariant: an agent's `open_count` is never below the open tickets the plugin gave them, so
the conditional `UPDATE ... WHERE open_count < capacity` can never let an agent exceed capacity.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from datetime import datetime

from peewee import fn

from gongdan.db import is_postgres, write_transaction
from gongdan.models import OPEN_STATUSES, Tenant, Ticket
from gongdan_assignment.models import AgentState
from gongdan_assignment.sql import run

_accounted = threading.local()


def take(user_id: int, seen: int, now: datetime) -> bool:
    """Raise the agent's load by one if it is still `seen`, below capacity and online.

    One conditional UPDATE: PostgreSQL locks the row, and a concurrent writer re-checks the
    condition after the first commits; SQLite's write transaction serialises writers.
    """
    cursor = run(
        "UPDATE {agent} SET open_count = open_count + 1, assigned_total = assigned_total + 1, last_assigned_at = ?"
        " WHERE user_id = ? AND open_count = ? AND open_count < capacity AND status = 'online'",
        [AgentState.last_assigned_at.db_value(now), user_id, seen],
        agent=AgentState,
    )
    return cursor.rowcount == 1


def remember(ticket_id: int, user_id: int) -> None:
    """Note (for this thread) that the plugin already counted this assignment."""
    if not hasattr(_accounted, "pairs"):
        _accounted.pairs = set()
    _accounted.pairs.add((ticket_id, user_id))


def forget(ticket_id: int, user_id: int) -> bool:
    """Whether this thread counted the assignment (and forget it)."""
    pairs = getattr(_accounted, "pairs", set())
    if (ticket_id, user_id) in pairs:
        pairs.discard((ticket_id, user_id))
        return True
    return False


def recount(tenant: Tenant, user_ids: Collection[int] | None = None) -> None:
    """Set agents' load to their real open tickets, holding their rows' locks while counting."""
    ids = None if user_ids is None else sorted({u for u in user_ids if u is not None})
    if ids == []:
        return
    scope = AgentState.tenant == tenant.id
    if ids is not None:
        scope &= AgentState.user.in_(ids)
    real = Ticket.select(fn.COUNT(Ticket.id)).where(
        (Ticket.tenant == tenant.id) & (Ticket.assignee == AgentState.user) & Ticket.status.in_(OPEN_STATUSES)
    )
    with write_transaction():
        if is_postgres():
            # lock first, so the count below starts after any assignment in flight has committed
            list(AgentState.select(AgentState.id).where(scope).order_by(AgentState.id).for_update())
        AgentState.update(open_count=real).where(scope).execute()


def open_counts(tenant: Tenant) -> dict[int, int]:
    """`{user id: open tickets}` for everyone holding one in `tenant`, from the tickets themselves."""
    query = Ticket.select(Ticket.assignee, fn.COUNT(Ticket.id)).where(
        (Ticket.tenant == tenant.id) & Ticket.assignee.is_null(False) & Ticket.status.in_(OPEN_STATUSES)
    )
    return dict(query.group_by(Ticket.assignee).tuples())
