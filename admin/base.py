"""`ConsoleBaseView`: the base of every console view, the core's and the plugins'.

A view declares the least role that may open it (`role`) and, for a plugin's view, the plugin
that must be enabled for the current tenant (`plugin`). Anonymous visitors are sent to the
sign-in page; signed-in users without the role, or in a tenant where the plugin is off, get 403
(or 404 for a disabled plugin), whatever URL they type.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, session, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from gongdan.models import Tenant, User
from gongdan.plugins import get_host

ROLE_RANK = {"agent": 1, "supervisor": 2, "admin": 3, "superadmin": 4}
TENANT_KEY = "console_tenant_id"


def has_role(user: Any, role: str) -> bool:
    """Whether `user` (signed in) holds `role` or a higher one."""
    return bool(getattr(user, "is_authenticated", False)) and ROLE_RANK.get(user.role, 0) >= ROLE_RANK[role]


def current_tenant() -> Tenant | None:
    """The tenant the console works in: the user's own, or the one a superadmin switched to."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    user: User = current_user.user
    if user.role == "superadmin":
        chosen = session.get(TENANT_KEY)
        if chosen is not None and chosen != user.tenant_id:
            found = Tenant.get_or_none(Tenant.id == chosen)
            if found is not None:
                return found
    return user.tenant


def plugin_enabled(name: str | None) -> bool:
    """Whether plugin `name` is enabled for the current tenant (True when `name` is None)."""
    if name is None:
        return True
    tenant = current_tenant()
    return tenant is not None and get_host().is_enabled(tenant, name)


class ConsoleBaseView(BaseView):
    """A console page: signed-in users of at least `role`, with `plugin` enabled if set.

    Subclass it, expose methods with `flask_admin.expose`, and render templates that
    `{% extends "console/page.html" %}` (blocks `title` and `body`). `self.current_tenant()`
    is the tenant to show; `self.current_user` the signed-in user.
    """

    role: str = "agent"
    plugin: str | None = None

    @property
    def current_user(self) -> User:
        """The signed-in user."""
        return current_user.user

    def current_tenant(self) -> Tenant:
        """The tenant this request works in (a superadmin's switched tenant or the user's)."""
        tenant = current_tenant()
        if tenant is None:
            abort(401)
        return tenant

    def is_visible(self) -> bool:
        """Show the menu entry only to users allowed to open the view."""
        return self.is_accessible()

    def is_accessible(self) -> bool:
        """Signed in, active, role high enough and plugin enabled for the tenant."""
        return has_role(current_user, self.role) and bool(current_user.is_active) and plugin_enabled(self.plugin)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        """Anonymous: to the sign-in page; a disabled plugin: 404; too low a role: 403."""
        if not getattr(current_user, "is_authenticated", False):
            return redirect(url_for("console_auth.login", next=request.full_path))
        if not plugin_enabled(self.plugin):
            abort(404)
        abort(403)


class TicketPageView(ConsoleBaseView):
    """A view the ticket page's panels post to (a plugin's ticket actions, a message's original):
    no menu entry, and its root leads back to the ticket list."""

    def is_visible(self) -> bool:
        """Not a menu entry: reached from the ticket page."""
        return False

    @expose("/")
    def index(self) -> Any:
        """Nothing to show on its own."""
        return redirect(url_for("tickets.index_view"))
