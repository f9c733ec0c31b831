"""Saved views of the ticket list: a name for a set of filters and an ordering (the list's query
string), the user's own or shared with the whole tenant (supervisors and admins share)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext

from gongdan import permissions, saved_views
from gongdan.errors import Conflict, GongdanError

KEPT = saved_views.KEPT
clean_query = saved_views.clean_query
visible = saved_views.visible


class SavedViewsMixin:
    """`POST /console/tickets/views` (save the current filters) and `.../views/ID/delete`."""

    @expose("/views", methods=["POST"])
    def save_view(self) -> Any:
        """Save the list's current filters under a name (shared: supervisors and admins)."""
        tenant, user = self.current_tenant(), self.current_user  # type: ignore[attr-defined]
        name = request.form.get("name", "").strip()[:100]
        query = clean_query(request.form.get("query", ""))
        shared = request.form.get("shared") == "1" and permissions.has_role(user, "supervisor")
        back = redirect(self.get_url(".index_view") + ("?" + query if query else ""))  # type: ignore[attr-defined]
        if not name:
            flash(gettext("Give the view a name."), "warning")
            return back
        try:
            saved_views.create(tenant, user, name, query, shared=shared)
        except Conflict:
            flash(gettext("You already have a view called %(name)s.", name=name), "warning")
        else:
            flash(gettext("View %(name)s saved.", name=name), "success")
        return back

    @expose("/views/<int:view_id>/delete", methods=["POST"])
    def delete_view(self, view_id: int) -> Any:
        """Delete a view: its owner, or an admin for a shared one."""
        try:
            view = saved_views.delete(self.current_tenant(), self.current_user, view_id)  # type: ignore[attr-defined]
        except GongdanError:
            return redirect(self.get_url(".index_view"))  # type: ignore[attr-defined]
        flash(gettext("View %(name)s deleted.", name=view.name), "success")
        return redirect(self.get_url(".index_view"))  # type: ignore[attr-defined]
