"""The customer card on the ticket page: tickets, orders (connectors), ratings (CSAT) and the
agents' notes, which any agent edits here (`gongdan.customer_card` decides and audits)."""

from __future__ import annotations

from typing import Any

from flask import flash, request
from flask_admin import expose
from flask_babel import get_locale, gettext

from gongdan import customer_card
from gongdan.actors import Actor
from gongdan.admin.errors import flash_error
from gongdan.errors import GongdanError
from gongdan.models import Tenant, Ticket


def card_context(tenant: Tenant, ticket: Ticket, actor: Actor) -> dict[str, Any] | None:
    """The card of the ticket's customer in the console's language (None without a customer)."""
    if not ticket.customer_id:
        return None
    language = str(get_locale() or "en")
    return customer_card.card(tenant, ticket.customer, actor, language=language)


class CustomerCardMixin:
    """`POST /console/tickets/<id>/customer-notes` (`notes`): replace the notes of its customer."""

    @expose("/<int:ticket_id>/customer-notes", methods=["POST"])
    def customer_notes(self, ticket_id: int) -> Any:
        """Save the notes on the ticket's customer."""
        tenant, ticket = self.current_tenant(), self._ticket(ticket_id)  # type: ignore[attr-defined]
        if not ticket.customer_id:
            flash(gettext("This ticket has no customer."), "warning")
            return self._back(ticket_id)  # type: ignore[attr-defined]
        try:
            customer_card.set_notes(tenant, ticket.customer_id, request.form.get("notes", ""), self._actor())  # type: ignore[attr-defined]
            flash(gettext("Notes on the customer saved."), "success")
        except GongdanError as exc:
            flash_error(exc)
        return self._back(ticket_id)  # type: ignore[attr-defined]
