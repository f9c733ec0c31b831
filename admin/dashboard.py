"""The console's home page: the dashboard with charts (Chart.js, served from `admin/static`)."""

from __future__ import annotations

from typing import Any

from flask_admin import AdminIndexView, expose
from flask_babel import gettext

from gongdan.actors import Actor
from gongdan.admin import stats
from gongdan.admin.base import ConsoleBaseView
from gongdan.admin.labels import channel_label, status_label


class DashboardView(ConsoleBaseView, AdminIndexView):
    """Tickets per day by channel, backlog by status and team, response times, SLA attainment."""

    role = "agent"

    @expose("/")
    def index(self) -> Any:
        """The dashboard."""
        tenant, actor = self.current_tenant(), Actor.of(self.current_user)
        found = stats.dashboard(tenant, actor)
        per_day = dict(found["per_day"])
        per_day["series"] = {channel_label(k): v for k, v in per_day["series"].items()}
        queue = found["backlog"]
        figures = {
            "per_day": per_day,
            "by_status": {status_label(k): v for k, v in queue["by_status"].items()},
            "by_team": {(k if k is not None else gettext("No team")): v for k, v in queue["by_team"].items()},
            "times": found["times"],
            "sla": found["sla"],
            "sla_pending": found["sla_pending"],
            "times_pending": found["times_pending"],
        }
        return self.render("console/dashboard.html", figures=figures, tenant=tenant)
