"""The bell: a person's in-app notifications (mentions, assignments, SLA warnings), read/unread."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user

from gongdan import inbox, mention_mail
from gongdan.admin.base import ConsoleBaseView, current_tenant


def unread() -> int:
    """The signed-in user's unread count, for the navbar's bell (0 when signed out)."""
    tenant = current_tenant()
    if tenant is None or not getattr(current_user, "is_authenticated", False):
        return 0
    return inbox.unread_count(tenant, current_user.user)


class InboxView(ConsoleBaseView):
    """`/console/inbox/`: newest first; opening one marks it read; "mark all read"."""

    role = "agent"

    def is_visible(self) -> bool:
        """Reached from the bell, not the menu."""
        return False

    @expose("/")
    def index(self) -> Any:
        """The user's notifications."""
        items = inbox.latest(self.current_tenant(), self.current_user)
        return self.render("console/inbox.html", items=items, mention_email=mention_mail.wants_email(self.current_user))

    @expose("/preferences", methods=["POST"])
    def preferences(self) -> Any:
        """Switch the e-mail for @mentions on or off (the person's own choice)."""
        wanted = request.form.get("mention_email") == "1"
        mention_mail.set_wants_email(self.current_user, wanted)
        if wanted:
            flash(gettext("You will also get an e-mail when someone @mentions you."), "success")
        else:
            flash(gettext("No more e-mails for @mentions: the bell alone tells you."), "success")
        return redirect(self.get_url(".index"))

    @expose("/<int:item_id>/open", methods=["POST"])
    def open_item(self, item_id: int) -> Any:
        """Mark one read and go to its ticket (or back to the list)."""
        tenant, user = self.current_tenant(), self.current_user
        inbox.mark_read(tenant, user, [item_id])
        found = next((i for i in inbox.latest(tenant, user, 200) if i.id == item_id), None)
        if found is not None and found.ticket_id:
            return redirect(self.get_url("tickets.ticket", ticket_id=found.ticket_id))
        return redirect(self.get_url(".index"))

    @expose("/read", methods=["POST"])
    def read_all(self) -> Any:
        """Mark every item read."""
        inbox.mark_read(self.current_tenant(), self.current_user)
        return redirect(request.referrer or self.get_url(".index"))
