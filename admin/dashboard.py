"""The console's home page: the dashboard with charts (Chart.js, served from `admin/static`)."""

from __future__ import annotations

from typing import Any

from flask_admin import AdminIndexView, expose
from flask_babel import gettext

from gongdan.actors import Actor
from gongdan.admin import stats, urgency
from gongdan.admin.base import ConsoleBaseView
from gongdan.admin.labels import channel_label, status_label
from gongdan.plugins import get_host


class DashboardView(ConsoleBaseView, AdminIndexView):
    """Tickets per day by channel, backlog by status and team, response times, SLA attainment."""

    role = "agent"

    @expose("/")
    def index(self) -> Any:
        """The dashboard."""
        tenant, actor = self.current_tenant(), Actor.of(self.current_user)
        per_day = stats.tickets_per_day(tenant, actor=actor)
        per_day["series"] = {channel_label(k): v for k, v in per_day["series"].items()}
        queue = stats.backlog(tenant, actor)
        figures = {
            "per_day": per_day,
            "by_status": {status_label(k): v for k, v in queue["by_status"].items()},
            "by_team": {(k if k is not None else gettext("No team")): v for k, v in queue["by_team"].items()},
            "times": stats.response_times(tenant, actor=actor),
            "sla": stats.sla_attainment(tenant, actor=actor)
            if get_host().is_enabled(tenant, urgency.SLA_PLUGIN)
            else None,
        }
        return self.render("console/dashboard.html", figures=figures, tenant=tenant)
