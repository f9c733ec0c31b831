"""Console pages (supervisors and admins): reports with drill-down and exports, the week at a glance,
forecast and staffing with the tenant's promotions. Charts are drawn by `static/analytics.js` with
the console's Chart.js, from JSON the page embeds (no inline script: the console's CSP)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Response, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from gongdan.actors import Actor
from gongdan.contributions import ConsoleView
from gongdan.errors import ValidationError
from gongdan.validation import load

from . import exports, reports, service
from .periods import Period, period, today

STATIC = str(Path(__file__).parent / "static")
MENU = _l("Analytics")


def group_labels() -> dict[str, str]:
    """What a person reads for each `group_by`."""
    return {
        "channel": gettext("Channel"),
        "appeal": gettext("Appeal (诉求)"),
        "scene": gettext("Scene (场景)"),
        "problem": gettext("Problem (问题)"),
        "tag": gettext("Tag"),
        "team": gettext("Team"),
        "agent": gettext("Agent"),
        "tier": gettext("Customer tier"),
        "priority": gettext("Priority"),
        "day": gettext("Day"),
    }


DRILL = {
    "channel": "channel",
    "tag": "tag",
    "team": "team",
    "agent": "assignee",
    "tier": "tier",
    "priority": "priority",
}


def drill_down(group_by: str, value: str, span: Period, field: str = "created") -> str:
    """The console ticket list behind a figure: the group's value and the period's days."""
    args: dict[str, str] = {f"{field}_from": span.start.isoformat(), f"{field}_to": span.end.isoformat()}
    if group_by == "day":
        args = {f"{field}_from": value, f"{field}_to": value}
    elif group_by in ("appeal", "scene", "problem") and value:
        args["category"] = value
    elif group_by == "agent" and not value:
        args["assignee"] = "none"
    elif group_by in DRILL and value:
        args[DRILL[group_by]] = value
    return url_for("tickets.index_view") + "?" + urlencode(args)


def presets(day: date, span: Period, group_by: str) -> list[dict[str, Any]]:
    """Quick periods beside the date inputs: the last 7 days, last week (Monday to Sunday), this
    month and last month, each `{label, query, active}` for `day` (today, the tenant's zone)."""
    monday = day - timedelta(days=day.weekday())
    first = day.replace(day=1)
    last_month_end = first - timedelta(days=1)
    spans = [
        (gettext("Last 7 days"), Period(day - timedelta(days=6), day)),
        (gettext("Last week"), Period(monday - timedelta(days=7), monday - timedelta(days=1))),
        (gettext("This month"), Period(first, day)),
        (gettext("Last month"), Period(last_month_end.replace(day=1), last_month_end)),
    ]
    return [
        {
            "label": label,
            "query": {"from": p.start.isoformat(), "to": p.end.isoformat(), "group_by": group_by},
            "active": p == span,
        }
        for label, p in spans
    ]


def _base() -> type:
    from gongdan.admin.base import ConsoleBaseView

    class AnalyticsPage(ConsoleBaseView):
        """A page of the plugin: supervisors and above, plugin enabled."""

        plugin = "analytics"
        role = "supervisor"

        def _args(self, schema: type) -> tuple[dict[str, Any], dict[str, list[str]]]:
            """The query string's values for `schema` (other names ignored), or its defaults and the errors."""
            shape = schema()
            known = {field.data_key or name for name, field in shape.fields.items()}
            try:
                return load(shape, {k: v for k, v in request.args.to_dict().items() if k in known}), {}
            except ValidationError as exc:
                return load(shape, {}), exc.fields or {"_schema": [exc.message]}

    return AnalyticsPage


def _views() -> list[ConsoleView]:
    from flask_login import current_user

    from gongdan.admin.base import has_role

    base = _base()

    class ReportsView(base):
        """Figures per group for a period, with trend, drill-down and exports."""

        @expose("/")
        def index(self) -> Any:
            """The report page: `?from=&to=&group_by=`."""
            tenant = self.current_tenant()
            args, errors = self._args(service.ReportQuery)
            try:
                span = period(tenant, args.get("start"), args.get("end"))
            except ValidationError as exc:
                errors, span = exc.fields or {}, period(tenant, None, None)
            group_by = args["group_by"]
            lang = "zh" if str(get_locale()).startswith("zh") else "en"
            report = reports.summary(tenant, span, group_by, lang)
            for row in report["items"]:
                row["link"] = drill_down(group_by, row["value"], span)
                row["resolved_link"] = drill_down(group_by, row["value"], span, "resolved")
            query = {"from": span.start.isoformat(), "to": span.end.isoformat(), "group_by": group_by}
            page = self.render(
                "analytics/reports.html",
                report=report,
                top=reports.top_problems(tenant, span, 10),
                span=span,
                group_by=group_by,
                groups=group_labels(),
                errors=errors,
                query=query,
                columns=exports.TICKET_COLUMNS,
                static=STATIC,
                drill_problem=lambda value: drill_down("problem", value, span),
                lang=lang,
                presets=presets(today(tenant), span, group_by),
            )
            return (page, 422) if errors else page

        @expose("/export")
        def export(self) -> Any:
            """A report (`?report=summary|daily|top_problems|backlog`) or the ticket list as CSV/Excel."""
            tenant, actor = self.current_tenant(), Actor.of(self.current_user)
            what = request.args.get("report", "summary")
            lang = "zh" if str(get_locale()).startswith("zh") else "en"
            args, errors = self._args(service.ExportQuery)
            if errors:
                text = "\n".join(f"{field}: {'; '.join(why)}" for field, why in errors.items())
                return Response(text, status=422, mimetype="text/plain")
            args = {**args, "lang": lang, "unmasked": request.args.get("unmasked") == "1"}
            if what == "tickets":
                chosen = [c for c in request.args.getlist("column") if c in exports.TICKET_COLUMNS]
                span = period(tenant, args.get("start"), args.get("end"))
                columns = chosen or list(exports.DEFAULT_TICKET_COLUMNS)
                return exports.export_tickets(tenant, actor, columns, {"period": span}, args, request.remote_addr)
            what = what if what in service.TABLE_REPORTS else "summary"
            return exports.export_report(tenant, actor, what, args, request.remote_addr)

    class WeekView(base):
        """The last seven days against the seven before, at a glance."""

        @expose("/")
        def index(self) -> Any:
            """KPIs with trend, new and resolved per day, arrivals by weekday × hour, top problems, backlog."""
            tenant = self.current_tenant()
            week = reports.week(tenant, "zh" if str(get_locale()).startswith("zh") else "en")
            end = today(tenant)
            span = Period(end - timedelta(days=6), end)
            for row in week["daily"]["items"]:
                row["link"] = drill_down("day", row["value"], span)
            for row in week["top_problems"]["items"]:
                row["link"] = drill_down("problem", row["value"], span)
            peak = max((max(r) for r in week["heatmap"]["grid"]), default=0)
            return self.render("analytics/week.html", week=week, span=span, peak=peak, static=STATIC)

    class ForecastView(base):
        """Expected arrivals for 14 days and the agents each hour of a day needs; promotions."""

        @expose("/", methods=("GET", "POST"))
        def index(self) -> Any:
            """The forecast, tomorrow's staffing (or `?date=`), and the promotions form (admins save)."""
            tenant = self.current_tenant()
            errors: dict[str, list[str]] = {}
            if request.method == "POST":
                if not has_role(current_user, "admin"):
                    return self.inaccessible_callback("forecast")
                try:
                    items = _promotions_form(request.form)
                    body = load(service.PromotionsBody(), {"items": items})
                    service.save_promotions(tenant, body["items"], Actor.of(self.current_user))
                except ValidationError as exc:
                    errors = exc.fields or {"_schema": [exc.message]}
                else:
                    flash(gettext("Saved."))
                    return redirect(url_for(".index"))
            args, arg_errors = self._args(service.StaffingQuery)
            day = args.get("day") or today(tenant) + timedelta(days=1)
            page = self.render(
                "analytics/forecast.html",
                plan=service.run(tenant, "forecast", {"start": today(tenant)}),
                staffing=service.run(tenant, "staffing", {"day": day}),
                promotions=service.promotions(tenant),
                can_edit=has_role(current_user, "admin"),
                errors={**errors, **arg_errors},
                static=STATIC,
            )
            return (page, 422) if errors or arg_errors else page

    def view(cls: type, name: Any, endpoint: str, url: str) -> ConsoleView:
        return ConsoleView(
            view=cls(name=name, endpoint=endpoint, url=url, static_folder=STATIC, static_url_path="/_static"),
            menu=MENU,
        )

    from .schedules_console import make_view

    schedules = make_view(base, group_labels)
    return [
        view(WeekView, _l("Week at a glance"), "analytics_week", "analytics/week"),
        view(ReportsView, _l("Reports"), "analytics_reports", "analytics/reports"),
        view(ForecastView, _l("Forecast and staffing"), "analytics_forecast", "analytics/forecast"),
        view(schedules, _l("Scheduled reports"), "analytics_schedules", "analytics/schedules"),
    ]


def _promotions_form(form: Any) -> list[dict[str, Any]]:
    """Rows `name`, `start`, `end`, `uplift` of the promotions form (blank rows skipped)."""
    rows = zip(form.getlist("name"), form.getlist("start"), form.getlist("end"), form.getlist("uplift"), strict=False)
    return [
        {"name": n.strip(), "start": s, "end": e, "uplift": u.strip() or None}
        for n, s, e, u in rows
        if n.strip() or s or e
    ]


def console_views() -> list[ConsoleView]:
    """The plugin's pages, under the "Analytics" menu."""
    return _views()
