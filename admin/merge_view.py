"""Merging a duplicate from the ticket page, and undoing it (`gongdan.merge` decides who may).

The agent types the number of the ticket that survives (`#12` or `12`); the duplicate's replies,
notes, files and followers move there, and the page of the survivor opens with an Undo button
for as long as the tenant's window lasts.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gongdan import merge
from gongdan.admin.errors import flash_error
from gongdan.errors import GongdanError
from gongdan.models import Tenant, Ticket, TicketMerge

# the merge service's refusals, in the console's language (others show as `flash_error` words them)
REFUSALS = {
    "this ticket is closed: a closed ticket cannot be merged": _l("This ticket is closed: it cannot be merged."),
    "the ticket to merge into is closed: choose an open one": _l(
        "The ticket to merge into is closed: choose an open one."
    ),
    "a ticket cannot be merged into itself": _l("A ticket cannot be merged into itself."),
    "this merge was undone already": _l("This merge was undone already."),
    "the time to undo this merge has passed": _l("The time to undo this merge has passed."),
    "the merged ticket was changed since: it cannot be restored": _l(
        "The merged ticket was changed since: it cannot be restored."
    ),
}


def _refused(exc: GongdanError) -> None:
    known = REFUSALS.get(exc.message)
    if known is not None:
        flash(gettext("Not done: %(why)s", why=str(known)), "danger")
    else:
        flash_error(exc)


def _by_number(tenant: Tenant, text: str) -> Ticket | None:
    """The tenant's ticket numbered `text` (`#12`, `12`, `＃12`), or None."""
    digits = text.strip().lstrip("#＃").strip()
    if not digits.isdigit() or len(digits) > 9:
        return None
    return Ticket.of(tenant).where(Ticket.number == int(digits)).first()


def merge_context(tenant: Tenant, ticket: Ticket) -> dict[str, Any]:
    """What the ticket page shows of merges: the one that closed it, and those into it, each with
    the other ticket and whether it can still be undone."""
    own = merge.merged_into(tenant, ticket)
    here = merge.merged_here(tenant, ticket)
    others = {r.source_id for r in here} | ({own.target_id} if own else set())
    tickets = {t.id: t for t in Ticket.of(tenant).where(Ticket.id.in_(list(others)))} if others else {}

    def shown(record: TicketMerge, other_id: int) -> dict[str, Any]:
        return {"record": record, "other": tickets.get(other_id), "can_undo": merge.can_undo(record)}

    return {
        "into": shown(own, own.target_id) if own else None,
        "here": [shown(r, r.source_id) for r in here],
    }


class MergeMixin:
    """`POST /console/tickets/<id>/merge` (`into`: the survivor's number) and
    `POST /console/tickets/merges/<merge_id>/undo`."""

    @expose("/<int:ticket_id>/merge", methods=["POST"])
    def merge(self, ticket_id: int) -> Any:
        """Merge this ticket into the one numbered `into`; opens the survivor."""
        tenant, ticket = self.current_tenant(), self._ticket(ticket_id)  # type: ignore[attr-defined]
        into = _by_number(tenant, request.form.get("into", ""))
        if into is None:
            flash(gettext("No ticket with that number: type the number of the ticket to keep, e.g. 12."), "warning")
            return self._back(ticket_id)  # type: ignore[attr-defined]
        try:
            merge.merge(tenant, ticket, into, self._actor())  # type: ignore[attr-defined]
        except GongdanError as exc:
            _refused(exc)
            return self._back(ticket_id)  # type: ignore[attr-defined]
        minutes = tenant.merge_undo_minutes
        flash(
            gettext(
                "#%(source)s was merged into this ticket and closed. You can undo it for %(minutes)s minutes.",
                source=ticket.number,
                minutes=minutes,
            ),
            "success",
        )
        return self._back(into.id)  # type: ignore[attr-defined]

    @expose("/merges/<int:merge_id>/undo", methods=["POST"])
    def undo_merge(self, merge_id: int) -> Any:
        """Undo a merge; opens the ticket that was merged, restored."""
        tenant = self.current_tenant()  # type: ignore[attr-defined]
        try:
            record = merge.undo(tenant, merge_id, self._actor())  # type: ignore[attr-defined]
        except GongdanError as exc:
            _refused(exc)
            return redirect(request.referrer or self.get_url(".index_view"))  # type: ignore[attr-defined]
        flash(gettext("The merge was undone: both tickets are as they were."), "success")
        return self._back(record.source_id)  # type: ignore[attr-defined]
