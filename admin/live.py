"""The ticket page's short poll (who else has it open or is typing, whether it changed), the
list's poll (how many tickets are new or changed since it was opened: a banner, no reload), and
following a ticket (watchers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, jsonify, redirect, request
from flask_admin import expose
from flask_babel import gettext

from gongdan import clock, presence, ticket_filters, watchers
from gongdan.models import Tenant, Ticket, TicketEvent, User

CHANGES_CAP = 100  # "100+" beyond: a count, not a scan of the tenant


def _since(text: str | None) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def list_changes(tenant: Tenant, user: User, args: dict[str, str], since: datetime) -> dict[str, int]:
    """How many tickets under the list's filters `args` were created, and how many others changed,
    after `since` by someone other than `user` (each counted up to `CHANGES_CAP`): the viewer's own
    new tickets and changes are already known to them, so the banner does not offer them."""
    query = ticket_filters.visible(tenant, user, args)
    recent = TicketEvent.select(TicketEvent.ticket).where(
        (TicketEvent.tenant == tenant.id) & (TicketEvent.at > since) & TicketEvent.ticket.is_null(False)
    )  # one read of the events since the list was opened (the tenant's events by time), not one a ticket
    by_others = recent.where(TicketEvent.actor.is_null() | (TicketEvent.actor != user.id))
    own_new = recent.where((TicketEvent.kind == "created") & (TicketEvent.actor == user.id))
    fresh = query.where((Ticket.created_at > since) & Ticket.id.not_in(own_new)).limit(CHANGES_CAP).count()
    changed = (
        query.where((Ticket.updated_at > since) & (Ticket.created_at <= since) & Ticket.id.in_(by_others))
        .limit(CHANGES_CAP)
        .count()
    )
    return {"new": fresh, "changed": changed}


class LiveMixin:
    """`POST /console/tickets/<id>/presence` (`typing=1|0`): records the caller's presence and
    answers `{"others": [{"name", "typing"}], "version", "last_comment"}`."""

    @expose("/<int:ticket_id>/presence", methods=["POST"])
    def presence(self, ticket_id: int) -> Any:
        """One poll of an open ticket page (every 10 s, and when typing starts or stops)."""
        tenant, ticket = self.current_tenant(), self._ticket(ticket_id)  # type: ignore[attr-defined]
        presence.touch(tenant, ticket, self.current_user, request.form.get("typing") == "1")  # type: ignore[attr-defined]
        return jsonify({"others": presence.others(tenant, ticket, self.current_user), **presence.state(ticket)})  # type: ignore[attr-defined]

    @expose("/changes")
    def changes(self) -> Any:
        """The list's poll: `?since=ISO` plus the list's filters → `{"new", "changed", "now"}`;
        without `since` only `now` (the stamp to send next time)."""
        now = clock.now().isoformat()
        since = _since(request.args.get("since"))
        if since is None:
            return jsonify({"new": 0, "changed": 0, "now": now})
        args = {k: v for k, v in request.args.items() if k not in ("since", "page", "cursor")}
        return jsonify({**list_changes(self.current_tenant(), self.current_user, args, since), "now": now})  # type: ignore[attr-defined]

    @expose("/<int:ticket_id>/follow", methods=["POST"])
    def follow(self, ticket_id: int) -> Any:
        """Follow the ticket (`follow=1`) or stop following it."""
        tenant, ticket, user = self.current_tenant(), self._ticket(ticket_id), self.current_user  # type: ignore[attr-defined]
        if request.form.get("follow") == "1":
            watchers.follow(tenant, ticket, user)
            flash(gettext("You follow this ticket: its new messages and status changes come to your bell."), "success")
        else:
            watchers.unfollow(tenant, ticket, user)
            flash(gettext("You no longer follow this ticket."), "success")
        return redirect(self.get_url(".ticket", ticket_id=ticket_id))  # type: ignore[attr-defined]
