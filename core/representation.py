"""The ticket as the API, the console and plugins show it (the contract's representation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peewee import JOIN

from gongdan import hooks
from gongdan.models import Category, Customer, Team, Tenant, Ticket, User


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, or None."""
    return value.isoformat() if value else None


def user_brief(user: User | None) -> dict[str, Any] | None:
    """`{"id", "email", "name"}` or None."""
    return None if user is None else {"id": user.id, "email": user.email, "name": user.name}


def _customer(customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "tier": customer.tier,
    }


def ticket_dict(ticket: Ticket, blocks: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ticket with the plugin blocks given (see `tickets_dicts` for a page)."""
    category: Category | None = ticket.category
    team: Team | None = ticket.team
    data = {
        "id": ticket.id,
        "number": ticket.number,
        "subject": ticket.subject,
        "description": ticket.description,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "category": category.path if category else None,
        "tags": ticket.tags or [],
        "customer": _customer(ticket.customer),
        "assignee": user_brief(ticket.assignee),
        "team": {"id": team.id, "name": team.name} if team else None,
        "language": ticket.language,
        "external_ref": (
            {"system": ticket.external_system, "id": ticket.external_id} if ticket.external_system else None
        ),
        "parent_id": ticket.parent_id,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
        "closed_at": iso(ticket.closed_at),
    }
    data.update(blocks or {})
    return data


def with_relations(query: Any) -> Any:
    """`query` (over Ticket) joined to what the representation reads, to avoid N+1 queries."""
    return (
        query.select_extend(Category, Team, Customer, User)
        .join_from(Ticket, Category, on=(Ticket.category == Category.id), join_type=JOIN.LEFT_OUTER)
        .join_from(Ticket, Team, on=(Ticket.team == Team.id), join_type=JOIN.LEFT_OUTER)
        .join_from(Ticket, Customer, on=(Ticket.customer == Customer.id), join_type=JOIN.LEFT_OUTER)
        .join_from(Ticket, User, on=(Ticket.assignee == User.id), join_type=JOIN.LEFT_OUTER)
    )


def tickets_dicts(tenant: Tenant, tickets: list[Ticket]) -> list[dict[str, Any]]:
    """A page of tickets with every enabled plugin's block, asked once for the whole page."""
    blocks = hooks.ticket_blocks(tenant, tickets)
    return [ticket_dict(ticket, blocks.get(ticket.id)) for ticket in tickets]
