"""What a customer does to tickets from the portal, through the ticket service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gongdan import attachments, clock, tickets
from gongdan.actors import Actor
from gongdan.errors import Conflict
from gongdan.models import Comment, Tenant, Ticket

CHANNEL = "portal"


def customer_actor(email: str | None) -> Actor:
    """The author of a customer's change as the audit trail records it."""
    return Actor.system(f"customer:{email}" if email else "channel:portal")


def submit(tenant: Tenant, values: dict[str, Any], lang: str) -> Ticket:
    """Create the ticket of a submitted request (channel `portal`), its customer found by contact."""
    description = values["description"]
    if values.get("order_number"):
        description = f"订单号 Order number: {values['order_number']}\n\n{description}".strip()
    customer = {k: values[k] for k in ("email", "phone") if values.get(k)}
    data: dict[str, Any] = {
        "subject": values["subject"],
        "description": description,
        "channel": CHANNEL,
        "customer": customer,
        "language": lang,
    }
    if values.get("category"):
        data["category"] = values["category"]
    ticket, _ = tickets.create(tenant, data, customer_actor(values.get("email")))
    return ticket


def store_files(tenant: Tenant, ticket: Ticket, comment: Comment | None, files: list[tuple[str, bytes, str]]) -> None:
    """Attach files read by `forms` (`(filename, bytes, declared type)`) to the ticket (and the reply)."""
    for name, data, declared in files:
        attachments.store(tenant, data, name, ticket=ticket, comment=comment, declared_type=declared)


def reopen_until(settings: dict[str, Any], ticket: Ticket) -> Any:
    """Until when a resolved ticket may be reopened (None: not resolved)."""
    if ticket.status != "resolved" or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + timedelta(days=settings["reopen_days"])


def may_reply(settings: dict[str, Any], ticket: Ticket) -> bool:
    """Open tickets take replies; a resolved one only within the reopen window (a reply reopens it)."""
    if ticket.status in ("new", "open", "pending"):
        return True
    until = reopen_until(settings, ticket)
    return until is not None and clock.now() <= until


def reply(tenant: Tenant, ticket: Ticket, body: str, email: str | None) -> Comment:
    """The customer's message on `ticket` (reopens a pending or resolved one)."""
    return tickets.comment(
        tenant, ticket, body, customer_actor(email), from_customer=True, author_label=email or "customer"
    )


def close(tenant: Tenant, ticket: Ticket, email: str | None) -> Ticket:
    """The customer says it is done: an open ticket becomes resolved, a resolved one closed."""
    to = "closed" if ticket.status == "resolved" else "resolved"
    if ticket.status == "closed":
        raise Conflict("the request is closed")
    return tickets.transition(tenant, ticket, to, customer_actor(email))


def reopen(tenant: Tenant, settings: dict[str, Any], ticket: Ticket, email: str | None) -> Ticket:
    """Reopen a resolved ticket within the tenant's window; Conflict after it."""
    until = reopen_until(settings, ticket)
    if until is None or clock.now() > until:
        raise Conflict("the request can no longer be reopened")
    return tickets.transition(tenant, ticket, "open", customer_actor(email))
