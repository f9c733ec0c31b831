"""The web console (Flask-Admin) at `/console/`: sign-in, plugins, management, tickets, dashboard.

`init_console(app)` is called by `gongdan.web.create_app`. Plugins add views through
`gongdan_console_views()` and ticket-page panels through `gongdan_ticket_panels()`; see
docs/console.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from gongdan.admin.audit_text import actor_text
from gongdan.admin.auth import CONSOLE_URL, init_auth
from gongdan.admin.base import current_tenant
from gongdan.admin.dashboard import DashboardView
from gongdan.admin.errors import error_page
from gongdan.admin.i18n import LANGUAGES, TRANSLATIONS, init_i18n
from gongdan.admin.inbox_view import unread
from gongdan.admin.labels import channel_label, event_label, priority_label, role_label, status_label, tier_label
from gongdan.admin.views import core_views
from gongdan.models import Tenant
from gongdan.plugins import PluginHost, get_host
from gongdan.web.security import csp_nonce


def _tenants_for_switcher() -> list[Tenant]:
    if getattr(current_user, "is_authenticated", False) and current_user.role == "superadmin":
        return list(Tenant.select().order_by(Tenant.name))
    return []


def _plugin_templates(app: Flask, host: PluginHost) -> None:
    """Let plugins' console views find templates in their module's `templates` folder."""
    for name in host.loaded:
        path = getattr(host.records[name].module, "__file__", None)
        folder = Path(path).parent / "templates" if path else None
        if folder is not None and folder.is_dir():
            app.register_blueprint(Blueprint(f"console_templates_{name}", __name__, template_folder=str(folder)))


def local_time(value: datetime | str | None) -> str:
    """`value` (a time, or ISO text such as an API dict carries) in the console tenant's time
    zone, to the minute; text that is not a time is shown as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
        if value.tzinfo is None:
            return value.strftime("%Y-%m-%d %H:%M")
    tenant = current_tenant()
    try:
        zone = ZoneInfo(tenant.timezone) if tenant is not None else ZoneInfo("UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def init_console(app: Flask) -> Admin:
    """Mount the console on `app` under `/console/`."""
    host = app.extensions.get("gongdan_host") or get_host()
    init_i18n(app, host)
    init_auth(app)
    app.jinja_env.globals.update(
        console_tenant=current_tenant,
        console_tenants=_tenants_for_switcher,
        console_languages=LANGUAGES,
        console_locale=lambda: str(get_locale() or "en"),
        role_label=role_label,
        status_label=status_label,
        priority_label=priority_label,
        channel_label=channel_label,
        event_label=event_label,
        console_unread=unread,
        actor_text=actor_text,
        tier_label=tier_label,
    )
    app.jinja_env.filters["local"] = local_time
    app.extensions["gongdan_error_page"] = error_page
    admin = Admin(
        app,
        name="gongdan",
        url=CONSOLE_URL,
        index_view=DashboardView(name=_l("Dashboard"), endpoint="admin", url=CONSOLE_URL),
        theme=Bootstrap4Theme(base_template="console/master.html", fluid=True),
        translations_path=str(TRANSLATIONS),
        csp_nonce_generator=csp_nonce,
    )
    for view in core_views():
        admin.add_view(view)
    _plugin_templates(app, host)
    for plugin, item in host.collect("gongdan_console_views"):
        try:
            if item.menu and not getattr(item.view, "category", None):
                item.view.category = item.menu
            admin.add_view(item.view)
        except Exception as exc:  # noqa: BLE001 - one plugin's broken view must not take the console down
            host.record_failure(plugin, None, "gongdan_console_views", exc)
    return admin
