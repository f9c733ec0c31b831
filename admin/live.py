"""The ticket page's short poll (who else has it open or is typing, whether it changed) and
following a ticket (watchers)."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request
from flask_admin import expose
from flask_babel import gettext

from gongdan import presence, watchers


class LiveMixin:
    """`POST /console/tickets/<id>/presence` (`typing=1|0`): records the caller's presence and
    answers `{"others": [{"name", "typing"}], "version", "last_comment"}`."""

    @expose("/<int:ticket_id>/presence", methods=["POST"])
    def presence(self, ticket_id: int) -> Any:
        """One poll of an open ticket page (every 10 s, and when typing starts or stops)."""
        tenant, ticket = self.current_tenant(), self._ticket(ticket_id)  # type: ignore[attr-defined]
        presence.touch(tenant, ticket, self.current_user, request.form.get("typing") == "1")  # type: ignore[attr-defined]
        return jsonify({"others": presence.others(tenant, ticket, self.current_user), **presence.state(ticket)})  # type: ignore[attr-defined]

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
