"""The ticket page's short poll: who else has it open or is typing, and whether it changed."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_admin import expose

from gongdan import presence


class LiveMixin:
    """`POST /console/tickets/<id>/presence` (`typing=1|0`): records the caller's presence and
    answers `{"others": [{"name", "typing"}], "version", "last_comment"}`."""

    @expose("/<int:ticket_id>/presence", methods=["POST"])
    def presence(self, ticket_id: int) -> Any:
        """One poll of an open ticket page (every 10 s, and when typing starts or stops)."""
        tenant, ticket = self.current_tenant(), self._ticket(ticket_id)  # type: ignore[attr-defined]
        presence.touch(tenant, ticket, self.current_user, request.form.get("typing") == "1")  # type: ignore[attr-defined]
        return jsonify({"others": presence.others(tenant, ticket, self.current_user), **presence.state(ticket)})  # type: ignore[attr-defined]
