"""Customer notifications: which messages the tenant sends through each ticket's channel (admins)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gongdan import delivery
from gongdan.actors import Actor
from gongdan.admin.base import ConsoleBaseView
from gongdan.admin.errors import flash_error
from gongdan.errors import GongdanError

DESCRIPTIONS = {
    "acknowledgement": _l("Acknowledgement with the ticket number when a ticket is created"),
    "reply": _l("Agents' public replies (the reply itself is the message)"),
    "resolved": _l("Notice when a ticket is resolved (with links plugins add, e.g. a rating link)"),
}


class NotificationsView(ConsoleBaseView):
    """Switch each kind of customer message on or off; sent in the customer's language (zh/en)."""

    role = "admin"

    @expose("/")
    def index(self) -> Any:
        """The switches."""
        tenant = self.current_tenant()
        return self.render("console/notifications.html", switches=delivery.switches(tenant), descriptions=DESCRIPTIONS)

    @expose("/save", methods=["POST"])
    def save(self) -> Any:
        """Store the switches (a box not ticked is off)."""
        wanted = {kind: request.form.get(kind) == "1" for kind in DESCRIPTIONS}
        try:
            delivery.configure(self.current_tenant(), wanted, Actor.of(self.current_user))
            flash(gettext("Notification settings saved."), "success")
        except GongdanError as exc:
            flash_error(exc)
        return redirect(self.get_url(".index"))
