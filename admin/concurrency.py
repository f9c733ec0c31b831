"""Working on a ticket a colleague may be changing too: the page's version, and warnings.

A ticket's version is its `updated_at` as the page showed it; a change sent from that page
carries it back, and the ticket service refuses the change (through its `guard`, inside the
transaction that holds the ticket's row) when the ticket moved on meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash
from flask_babel import gettext

from gongdan.errors import Conflict
from gongdan.models import Ticket


def ticket_version(ticket: Ticket) -> str:
    """The version a page sends back: the ticket's `updated_at` in ISO text."""
    return ticket.updated_at.isoformat() if ticket.updated_at else ""


def unchanged_since(ticket: Ticket, version: str | None) -> Callable[[], None] | None:
    """A guard for `tickets.assign`: Conflict when the ticket changed after the page showed `version`.

    No version (an older page, the API): no guard.
    """
    if not version:
        return None

    def guard() -> None:
        current = Ticket.select(Ticket.updated_at).where(Ticket.id == ticket.id).scalar()
        if current is not None and current.isoformat() != version:
            raise Conflict(gettext("Someone changed this ticket while you had it open: reload the page and try again."))

    return guard


def warn_new_events(tenant: Any, ticket: Ticket, after_id: int) -> None:
    """Flash, as warnings, the ticket's events after `after_id` whose registered kind is a warning
    (e.g. the assignment plugin's `assignment.over_capacity`), in the console's language."""
    from gongdan.admin import timeline

    for text in timeline.warnings(tenant, ticket, after_id):
        flash(text, "warning")
