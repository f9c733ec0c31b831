"""The console page of jd (a menu entry; 404 where the plugin is off)."""

from __future__ import annotations

from typing import Any

from flask_admin import expose
from flask_babel import lazy_gettext as _l

from gongdan.contributions import ConsoleView
from gongdan.plugins import get_host

from .panel import action_views
from .settings import NAME


def views() -> list[ConsoleView]:
    """The plugin's console views (the classes are made here: the console is optional)."""
    from gongdan.admin.base import ConsoleBaseView

    class StatusView(ConsoleBaseView):
        plugin = NAME
        role = "supervisor"

        @expose("/")
        def index(self) -> Any:
            shown, secrets = get_host().shown_settings(self.current_tenant(), NAME)
            return self.render("jd/index.html", settings=shown, secrets=secrets)

    view = StatusView(name=_l("Status"), endpoint="jd_status", url="/console/jd")
    return [ConsoleView(view=view, menu="Jd"), *action_views()]
