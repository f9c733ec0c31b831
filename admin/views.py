"""The console's own views, in menu order."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from gongdan.admin.account import AccountView
from gongdan.admin.audit_view import AuditView
from gongdan.admin.inbox_view import InboxView
from gongdan.admin.management import CategoriesView, TokensView
from gongdan.admin.model_views import MODEL_VIEWS
from gongdan.admin.notifications import NotificationsView
from gongdan.admin.plugins_view import PluginsView
from gongdan.admin.tenant_settings_view import TenantSettingsView
from gongdan.admin.tickets import TicketsView
from gongdan.admin.workspace import WorkspaceView

MANAGE = _l("Manage")


def core_views() -> list[Any]:
    """Fresh instances of every core console view (one set per app)."""
    views: list[Any] = [
        WorkspaceView(name=_l("My queue"), endpoint="workspace", url="/console/workspace"),
        TicketsView(name=_l("Tickets"), endpoint="tickets", url="/console/tickets"),
        PluginsView(name=_l("Plugins"), endpoint="plugins", url="/console/plugins"),
    ]
    for view_cls, model, name, endpoint in MODEL_VIEWS:
        views.append(view_cls(model, name=name, endpoint=endpoint, url=f"/console/{endpoint}", category=MANAGE))
    views.append(
        CategoriesView(name=_l("Categories"), endpoint="categories", url="/console/categories", category=MANAGE)
    )
    views.append(TokensView(name=_l("API tokens"), endpoint="tokens", url="/console/tokens", category=MANAGE))
    views.append(
        NotificationsView(
            name=_l("Customer notifications"), endpoint="notifications", url="/console/notifications", category=MANAGE
        )
    )
    views.append(AuditView(name=_l("Audit log"), endpoint="audit", url="/console/audit", category=MANAGE))
    views.append(
        TenantSettingsView(name=_l("Workspace settings"), endpoint="settings", url="/console/settings", category=MANAGE)
    )
    views.append(AccountView(name=_l("My account"), endpoint="account", url="/console/account"))
    views.append(InboxView(name=_l("Notifications"), endpoint="inbox", url="/console/inbox"))
    return views
