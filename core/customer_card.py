"""The customer card: who the customer is (masked), their tickets, their orders in outside systems,
how they rated past resolutions, and the agents' notes — the same for the console and the API.

Orders and ratings come from the tenant's enabled plugins (`gongdan_customer_orders`,
`gongdan_customer_ratings`: the Pinduoduo connector and the portal); notes are edited by any agent
(`customer.notes` in `gongdan.permissions`) and audited without their text.
"""

from __future__ import annotations

from typing import Any

from gongdan import audit, clock, customers, hooks, masking, permissions
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import ValidationError
from gongdan.models import Customer, Tenant, Ticket

MAX_NOTES = 5000
TICKETS_SHOWN = 10
RATING_WORDS = {5: ("满意", "satisfied"), 3: ("一般", "okay"), 1: ("不满意", "unsatisfied")}


def rating_word(score: int, language: str) -> str:
    """A score (1–5) in words: 满意 / satisfied and so on."""
    nearest = min(RATING_WORDS, key=lambda known: abs(known - score))
    zh, en = RATING_WORDS[nearest]
    return zh if language.startswith("zh") else en


def set_notes(tenant: Tenant, customer_id: Any, text: str, actor: Actor) -> Customer:
    """Replace the customer's notes (at most 5,000 characters); `customer.notes_changed` is audited
    with the length, not the words."""
    permissions.require(actor, "customer.notes")
    if not isinstance(text, str):
        raise ValidationError("notes must be text", {"notes": ["must be text"]})
    text = text.strip()
    if len(text) > MAX_NOTES:
        raise ValidationError("notes too long", {"notes": [f"Longer than maximum length {MAX_NOTES}."]})
    customer = customers.get(tenant, customer_id)
    if text == customer.notes:
        return customer
    now = clock.now()
    by = (actor.user.display_name if actor.user is not None else "") or actor.label
    with write_transaction():
        Customer.update(notes=text, notes_by=by, notes_at=now).where(
            (Customer.tenant == tenant) & (Customer.id == customer.id)
        ).execute()
        audit.record(tenant, "customer.notes_changed", actor, data={"customer_id": customer.id, "length": len(text)})
    customer.notes, customer.notes_by, customer.notes_at = text, by, now
    return customer


def card(tenant: Tenant, customer: Customer, actor: Actor, *, language: str = "en") -> dict[str, Any]:
    """Everything the card shows, JSON-ready: contact details masked, the tickets `actor` may see
    (newest first, at most ten), orders, ratings with their words in `language`, and the notes."""
    seen = permissions.visible_tickets(actor, Ticket.of(tenant), tenant)
    rows = list(seen.where(Ticket.customer == customer.id).order_by(Ticket.created_at.desc()).limit(TICKETS_SHOWN))
    orders = hooks.customer_orders(tenant, customer)
    ratings = hooks.customer_ratings(tenant, customer)
    return {
        "customer": masking.customer_dict(customer),
        "tickets": [
            {"id": t.id, "number": t.number, "subject": t.subject, "status": t.status, "created_at": t.created_at}
            for t in rows
        ],
        "orders": [
            {
                "system": o.system,
                "order_id": o.order_id,
                "title": o.title,
                "status": o.status(language),
                "amount": o.amount,
                "at": o.at,
                "ticket_id": o.ticket_id,
            }
            for o in orders
        ],
        "ratings": [
            {
                "ticket_id": r.ticket_id,
                "score": r.score,
                "words": rating_word(r.score, language),
                "comment": r.comment,
                "rated_at": r.rated_at,
            }
            for r in ratings
        ],
        "average_score": round(sum(r.score for r in ratings) / len(ratings), 1) if ratings else None,
        "notes": {"text": customer.notes, "by": customer.notes_by or None, "at": customer.notes_at},
    }


__all__ = ["MAX_NOTES", "card", "rating_word", "set_notes"]
