"""Which tickets a portal visitor may see: those of customers with their verified e-mail, and
those opened by access links. Any other id is answered exactly like a missing one (404).
"""

from __future__ import annotations

from typing import Any

from gongdan import customers
from gongdan.errors import NotFound
from gongdan.models import Tenant, Ticket
from gongdan_portal.identity import Visitor

PAGE = 20


def customer_ids(tenant: Tenant, email: str | None) -> list[int]:
    """The ids of the tenant's customers whose e-mail is `email` (by its blind index)."""
    return customers.ids_by_email(tenant, email)


def visible(tenant: Tenant, visitor: Visitor, ticket_id: Any) -> Ticket:
    """The ticket if `visitor` may see it; NotFound otherwise (also for other tenants' ids)."""
    try:
        wanted = int(ticket_id)
    except (TypeError, ValueError):
        raise NotFound("no such request") from None
    ticket = Ticket.get_or_none((Ticket.id == wanted) & (Ticket.tenant == tenant))
    if ticket is None:
        raise NotFound("no such request")
    if wanted in visitor.tickets:
        return ticket
    if ticket.customer_id is not None and ticket.customer_id in customer_ids(tenant, visitor.email):
        return ticket
    raise NotFound("no such request")


def my_tickets(tenant: Tenant, visitor: Visitor, page: int = 1) -> tuple[list[Ticket], bool]:
    """A page of the visitor's tickets, newest first, and whether there are more."""
    ids = customer_ids(tenant, visitor.email)
    condition = Ticket.customer.in_(ids) if ids else None
    if visitor.tickets:
        opened = Ticket.id.in_(visitor.tickets)
        condition = opened if condition is None else (condition | opened)
    if condition is None:
        return [], False
    query = (
        Ticket.select(Ticket.id, Ticket.number, Ticket.subject, Ticket.status, Ticket.created_at, Ticket.updated_at)
        .where((Ticket.tenant == tenant) & condition)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(PAGE + 1)
        .offset((page - 1) * PAGE)
    )
    rows = list(query)
    return rows[:PAGE], len(rows) > PAGE
