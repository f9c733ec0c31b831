"""The ticket as the API, the console and plugins show it (the contract's representation)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peewee import JOIN

from gongdan import attachments, delivery, hooks, masking
from gongdan.models import Attachment, Category, Comment, Customer, Team, Tenant, Ticket, User


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, or None."""
    return value.isoformat() if value else None


def user_brief(user: User | None) -> dict[str, Any] | None:
    """`{"id", "email", "name"}` or None."""
    return None if user is None else {"id": user.id, "email": user.email, "name": user.name}


def _customer(customer: Customer | None) -> dict[str, Any] | None:
    return None if customer is None else masking.customer_dict(customer)


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
    """A page of tickets with every enabled plugin's block, asked once for the whole page.

    Each says whether hooks still wait for the worker (`hooks_pending`, see
    `gongdan.tickets.ingesting`) and whose (`pending`: plugin names, e.g. `["assignment", "sla"]`):
    until then those plugins' blocks and the assignee are not yet what they will be.
    """
    from gongdan.tickets import pending_work

    blocks = hooks.ticket_blocks(tenant, tickets)
    waiting = pending_work(tenant, [ticket.id for ticket in tickets])
    return [
        ticket_dict(
            ticket,
            {"hooks_pending": ticket.id in waiting, "pending": waiting.get(ticket.id, []), **blocks.get(ticket.id, {})},
        )
        for ticket in tickets
    ]


def attachment_dict(attachment: Attachment) -> dict[str, Any]:
    """A file as the API shows it, with its download URL."""
    return {
        "id": attachment.id,
        "ticket_id": attachment.ticket_id,
        "comment_id": attachment.comment_id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "inline": attachment.inline,
        "content_id": attachment.content_id,
        "url": f"/api/v1/attachments/{attachment.id}",
        "created_at": iso(attachment.created_at),
    }


def comments_dicts(tenant: Tenant, comments: list[Comment]) -> list[dict[str, Any]]:
    """Comments with their author kind, files and delivery, each read once for the whole list."""
    ids = [c.id for c in comments]
    files = attachments.of_comments(tenant, ids)
    sent = delivery.for_comments(tenant, ids)
    return [
        {
            "id": comment.id,
            "ticket_id": comment.ticket_id,
            "body": comment.body,
            "internal": comment.internal,
            "from_customer": comment.from_customer,
            "author_kind": comment.kind_of_author,
            "author": user_brief(comment.author) if comment.author_id else None,
            "author_label": comment.author_label,
            "mentions": comment.mentions or [],
            "attachments": [attachment_dict(a) for a in files.get(comment.id, [])],
            "delivery": delivery.as_dict(sent.get(comment.id)),
            "created_at": iso(comment.created_at),
        }
        for comment in comments
    ]
