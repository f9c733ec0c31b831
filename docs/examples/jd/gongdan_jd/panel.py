"""The ticket page's panel and the hidden console view its form posts to."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.contributions import ConsoleView, TicketPanel
from gongdan.errors import GongdanError

from .actions import approve_refund
from .settings import NAME

ACTIONS_URL = "/console/jd-actions"


def ticket_panel(tenant: Any, ticket: Any, user: Any) -> TicketPanel | None:
    """Approving the service order, on this connector's tickets only."""
    if ticket.external_system != NAME:
        return None
    from flask_wtf.csrf import generate_csrf

    html = Markup(
        '<form method="post" action="{}/{}/approve-refund">'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<label><input type="checkbox" name="confirm" value="1" required> {}</label> '
        '<button type="submit" class="btn btn-sm btn-outline-primary">{}</button></form>'
    ).format(ACTIONS_URL, ticket.id, generate_csrf(), gettext("I am sure"), gettext("Approve refund"))
    return TicketPanel(name=NAME, title=gettext("JD service order %(id)s", id=ticket.external_id), html=html)


def action_views() -> list[ConsoleView]:
    """The hidden view the panel's form posts to (not a menu entry)."""
    from gongdan.admin.base import TicketPageView

    class ActionsView(TicketPageView):
        plugin = NAME
        role = "agent"

        @expose("/<int:ticket_id>/approve-refund", methods=("POST",))
        def approve(self, ticket_id: int) -> Any:
            tenant, actor = self.current_tenant(), Actor.of(self.current_user)
            ticket = tickets.get(tenant, ticket_id, actor)  # another tenant's ticket: not found
            if request.form.get("confirm") != "1":
                flash(gettext("Tick the box to confirm."), "warning")
            else:
                try:
                    approve_refund(tenant, ticket, actor)
                except GongdanError as exc:
                    flash(gettext("Not done: %(why)s", why=exc.message), "danger")
                else:
                    flash(gettext("Refund approved."))
            return redirect(url_for("tickets.ticket", ticket_id=ticket_id))

    return [ConsoleView(view=ActionsView(name=_l("Actions"), endpoint=f"{NAME}_actions", url=ACTIONS_URL))]
