"""Saved views of the ticket list: a name for a set of filters and an ordering (the list's query
string), the user's own or shared with the whole tenant (supervisors and admins share)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext
from peewee import IntegrityError

from gongdan.admin.base import ROLE_RANK
from gongdan.db import write_transaction
from gongdan.models import SavedView, Tenant, User

KEPT = ("q", "tag", "status", "priority", "channel", "assignee", "team", "category", "tier", "sort")


def clean_query(text: str) -> str:
    """The filters and ordering of a list URL's query string (no page, nothing unknown)."""
    return urlencode([(k, v) for k, v in parse_qsl(text.lstrip("?")) if k in KEPT and v])


def visible(tenant: Tenant, user: User) -> list[SavedView]:
    """The user's own views and the tenant's shared ones, by name."""
    query = SavedView.of(tenant).where((SavedView.user == user.id) | (SavedView.shared == True))  # noqa: E712
    return list(query.order_by(SavedView.name, SavedView.id))


def with_counts(tenant: Tenant, user: User, count: Callable[[dict[str, str]], int]) -> list[dict[str, Any]]:
    """Each visible view with how many tickets it holds now (`count(args)` applies the filters)."""
    return [
        {"view": view, "count": count(dict(parse_qsl(view.query))), "mine": view.user_id == user.id}
        for view in visible(tenant, user)
    ]


def _at_least(user: User, role: str) -> bool:
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK[role]


class SavedViewsMixin:
    """`POST /console/tickets/views` (save the current filters) and `.../views/ID/delete`."""

    @expose("/views", methods=["POST"])
    def save_view(self) -> Any:
        """Save the list's current filters under a name (shared: supervisors and admins)."""
        tenant, user = self.current_tenant(), self.current_user  # type: ignore[attr-defined]
        name = request.form.get("name", "").strip()[:100]
        query = clean_query(request.form.get("query", ""))
        shared = request.form.get("shared") == "1" and _at_least(user, "supervisor")
        if not name:
            flash(gettext("Give the view a name."), "warning")
            return redirect(self.get_url(".index_view") + ("?" + query if query else ""))  # type: ignore[attr-defined]
        try:
            with write_transaction():
                SavedView.create(tenant=tenant, user=user, name=name, query=query, shared=shared)
        except IntegrityError:
            flash(gettext("You already have a view called %(name)s.", name=name), "warning")
        else:
            flash(gettext("View %(name)s saved.", name=name), "success")
        return redirect(self.get_url(".index_view") + ("?" + query if query else ""))  # type: ignore[attr-defined]

    @expose("/views/<int:view_id>/delete", methods=["POST"])
    def delete_view(self, view_id: int) -> Any:
        """Delete a view: its owner, or an admin for a shared one."""
        tenant, user = self.current_tenant(), self.current_user  # type: ignore[attr-defined]
        view = SavedView.of(tenant).where(SavedView.id == view_id).first()
        if view is not None and (view.user_id == user.id or (view.shared and _at_least(user, "admin"))):
            view.delete_instance()
            flash(gettext("View %(name)s deleted.", name=view.name), "success")
        return redirect(self.get_url(".index_view"))  # type: ignore[attr-defined]
