"""Console pieces: the SLA panel on the ticket page, and the pages to edit policies and calendars."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from gongdan import clock
from gongdan.actors import Actor
from gongdan.admin.form_rows import FormErrors, read_date
from gongdan.contributions import ConsoleView
from gongdan.errors import ValidationError
from gongdan.models import Tenant

from . import china_days, console_forms, month, policies
from .calendars import CN_YEARS
from .models import SlaCalendar


def local_time(value: str | None, tz: str) -> str:
    """An ISO 8601 time from the block as `YYYY-MM-DD HH:MM` in the tenant's time zone."""
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


CLOCK_LABELS = {
    "running": _l("running"),
    "paused": _l("paused"),
    "met": _l("met"),
    "idle": _l("waiting for the customer"),
    "not_applicable": _l("not applicable"),
    "missed": _l("missed"),
}
STATE_LABELS = {
    "ok": _l("on time"),
    "warning": _l("due soon"),
    "breached": _l("breached"),
    "paused": _l("paused"),
    "met": _l("met"),
    "not_applicable": _l("not applicable"),
}


def _time_left(minutes: int | None) -> str:
    """Time left in words ("6 h 30 min left"), or past due ("6 h 30 min over"; it read "-390 min left")."""
    from gongdan.admin.timeline import minutes_text

    if minutes is None:
        return ""
    if minutes < 0:
        return gettext("%(time)s over", time=minutes_text(-minutes))
    return gettext("%(time)s left", time=minutes_text(minutes))


def ticket_panel(block: dict[str, Any], tz: str = "Asia/Shanghai") -> str:
    """The ticket page's SLA panel: policy, state, time left, and each target's due time (local),
    in words of the console's language (the codes stay in the element's class)."""
    rows = Markup("").join(
        Markup('<tr class="sla-target-{}"><th>{}</th><td>{}</td><td>{}</td></tr>').format(
            name,
            console_forms.TARGET_LABELS.get(name, name),
            CLOCK_LABELS.get(state["status"], state["status"]),
            local_time(state["due"] or state["met_at"], tz),
        )
        for name, state in block["targets"].items()
    )
    left = _time_left(block["remaining_minutes"])
    return str(
        Markup(
            '<div class="sla-panel sla-{}"><p>{} · <strong>{}</strong> · {}</p>'
            '<table class="table table-sm">{}</table></div>'
        ).format(block["state"], block["policy"] or "—", STATE_LABELS.get(block["state"], block["state"]), left, rows)
    )


def _base() -> type:
    from gongdan.admin.base import ConsoleBaseView

    return ConsoleBaseView


def _editor_class() -> type:
    """`ListEditor`: a page showing a tenant's list in a form of rows (built lazily, because the
    console package is imported only where the console runs)."""
    from gongdan.admin.base import has_role

    class ListEditor(_base()):
        """Shows the tenant's items as a form; admins change and save them, errors beside each input (422)."""

        plugin = "sla"
        role = "supervisor"
        heading: Any = ""
        help_text: Any = ""
        template = ""
        fallback = ""  # the input that takes complaints about the list as a whole

        def entries(self, tenant: Tenant) -> list[dict[str, Any]]:
            """The stored items as the form shows them."""
            raise NotImplementedError

        def parse(self, form: Any) -> tuple[dict[str, Any], FormErrors, list[dict[str, Any]]]:
            """`(body, errors, entries)` from the posted form."""
            raise NotImplementedError

        def places(self, count: int) -> dict[str, str]:
            """Where the service's complaints about each item go."""
            raise NotImplementedError

        def save(self, tenant: Tenant, data: dict[str, Any]) -> None:
            """Validate and store `{"items": [...]}`; raises ValidationError."""
            raise NotImplementedError

        def more(self, tenant: Tenant) -> dict[str, Any]:
            """More values for the template."""
            return {}

        @expose("/", methods=("GET", "POST"))
        def index(self) -> Any:
            """The list as a form; POST (admins) saves it."""
            tenant = self.current_tenant()
            errors = FormErrors()
            entries = self.entries(tenant)
            if request.method == "POST":
                if not has_role(current_user, "admin"):
                    abort(403)
                body, errors, entries = self.parse(request.form)
                if not errors:
                    try:
                        self.save(tenant, body)
                    except ValidationError as exc:
                        fields = exc.fields or {"items": [exc.message]}
                        errors = console_forms.service_errors(fields, self.places(len(entries)), self.fallback)
                if not errors:
                    flash(gettext("Saved."), "success")
                    return redirect(self.get_url(".index"))
            page = self.render(
                self.template,
                heading=self.heading,
                help_text=self.help_text,
                entries=entries,
                errors=errors,
                can_edit=has_role(current_user, "admin"),
                **self.more(tenant),
            )
            return (page, 422) if errors else page

    return ListEditor


def horizon_notice() -> str | None:
    """The console's warning when China's announced holiday schedule ends within 60 days."""
    if china_days.horizon_warning(clock.now().date()) is None:
        return None
    return gettext(
        "China's announced holiday schedule is known up to %(last)s. From %(next)s, until the schedule "
        "is announced, deadlines close the holidays the statutory rules give (with days in lieu when one "
        "falls on a weekend); the make-up working days (调休) are not yet known and the announced "
        "schedule may differ: enter it below as closed and open dates, or upgrade the holiday packages.",
        last=CN_YEARS[1],
        next=CN_YEARS[1] + 1,
    )


def _day_form(form: Any) -> tuple[str, date, str, list[list[str]]]:
    """`(calendar, date, kind, hours)` from the month page's form; ValidationError names the field."""
    day = read_date(form.get("day", ""))
    if day is None:
        raise ValidationError("bad date", {"day": [gettext("Give a date.")]})
    pairs = [(form.get(f"start{n}", ""), form.get(f"end{n}", "")) for n in (1, 2)]
    hours = [[start, end] for start, end in pairs if start and end]
    return form.get("calendar", ""), day, form.get("kind", ""), hours


def _month_view_class() -> type:
    """`CalendarMonthView`: one calendar's month, each date's hours and why; admins override a date."""
    from gongdan.admin.base import has_role

    class CalendarMonthView(_base()):
        """A month grid per calendar; a form sets a date closed, open or to its own hours."""

        plugin = "sla"
        role = "supervisor"

        @expose("/", methods=("GET", "POST"))
        def index(self) -> Any:
            """The month of `?calendar=&month=YYYY-MM` (today's by default); POST (admins) saves a date."""
            tenant = self.current_tenant()
            rows = {row.name: row for row in SlaCalendar.of(tenant).order_by(SlaCalendar.name)}
            names = list(rows)
            name = request.values.get("calendar") or (names[0] if names else "")
            errors: dict[str, list[str]] = {}
            if request.method == "POST":
                if not has_role(current_user, "admin"):
                    abort(403)
                try:
                    name, day, kind, hours = _day_form(request.form)
                except ValidationError as exc:
                    errors = exc.fields or {"day": [exc.message]}
                else:
                    try:
                        policies.set_day(tenant, name, day, kind, hours, actor=Actor.of(self.current_user))
                    except ValidationError as exc:
                        fields = exc.fields or {"day": [exc.message]}
                        errors = console_forms.service_errors(fields, console_forms.MONTH_PLACES, "day")
                if not errors:
                    flash(gettext("Saved."))
                    return redirect(self.get_url(".index", calendar=name, month=day.strftime("%Y-%m")))
            shown = _month_of(request.values.get("month") or request.values.get("day", "")[:7])
            cal = policies.build_calendar(policies.calendar_dict(rows[name])) if name in rows else None
            page = self.render(
                "sla/month.html",
                names=names,
                name=name,
                shown=shown,
                weeks=month.month(cal, shown.year, shown.month) if cal else [],
                previous=(shown - timedelta(days=1)).strftime("%Y-%m"),
                following=(shown + timedelta(days=31)).strftime("%Y-%m"),
                selected=request.values.get("day", ""),
                errors=errors,
                notice=horizon_notice(),
                can_edit=has_role(current_user, "admin"),
                kinds=month.KINDS,
            )
            return (page, 422) if errors else page

    return CalendarMonthView


def _month_of(text: str) -> date:
    """The first day of month `YYYY-MM`, or of this month in the tenant's time zone."""
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        return clock.now().date().replace(day=1)


def console_views() -> list[ConsoleView]:
    """The policies and calendars pages, under the "SLA" menu."""
    editor = _editor_class()

    class PoliciesView(editor):
        """SLA policies, tried in order: the first that matches a ticket applies."""

        heading = _l("SLA policies")
        help_text = _l(
            "Tried in order; the first whose conditions all hold applies (a condition left empty always holds). "
            "Targets count business time on the chosen calendar."
        )
        template = "sla/policies.html"
        fallback = "p"

        def entries(self, tenant: Tenant) -> list[dict[str, Any]]:
            return [console_forms.policy_entry(policies.policy_dict(p)) for p in policies.policies_of(tenant)]

        def parse(self, form: Any) -> tuple[dict[str, Any], FormErrors, list[dict[str, Any]]]:
            return console_forms.policies_from_form(form)

        def places(self, count: int) -> dict[str, str]:
            return console_forms.policy_error_places(count)

        def save(self, tenant: Tenant, data: dict[str, Any]) -> None:
            policies.save_policies(tenant, data, Actor.of(self.current_user))

        def more(self, tenant: Tenant) -> dict[str, Any]:
            return console_forms.policy_choices(tenant)

    class CalendarsView(editor):
        """Business calendars: opening hours per weekday, China's holidays, extra dates."""

        heading = _l("Business calendars")
        help_text = _l(
            "Opening hours per weekday (leave a day empty: closed). With mainland China's holidays, public "
            "holidays are closed and make-up working days (调休) open with Monday's hours; the dates below "
            "override both."
        )
        template = "sla/calendars.html"
        fallback = "c"

        def entries(self, tenant: Tenant) -> list[dict[str, Any]]:
            rows = SlaCalendar.of(tenant).order_by(SlaCalendar.name)
            return [console_forms.calendar_entry(policies.calendar_dict(row)) for row in rows]

        def parse(self, form: Any) -> tuple[dict[str, Any], FormErrors, list[dict[str, Any]]]:
            return console_forms.calendars_from_form(form)

        def places(self, count: int) -> dict[str, str]:
            return console_forms.calendar_error_places(count)

        def save(self, tenant: Tenant, data: dict[str, Any]) -> None:
            policies.save_calendars(tenant, data, Actor.of(self.current_user))

        def more(self, tenant: Tenant) -> dict[str, Any]:
            return {
                "holiday_years": CN_YEARS,
                "notice": horizon_notice(),
                "zones": console_forms.ZONES,
                "weekdays": console_forms.WEEKDAY_LABELS,
                "date_kinds": console_forms.DATE_KIND_LABELS,
            }

    menu = "SLA"
    month_view = _month_view_class()(name=_l("Calendar by month"), endpoint="sla_calendar_month", url="sla/month")
    return [
        ConsoleView(view=month_view, menu=menu),
        ConsoleView(view=PoliciesView(name=_l("Policies"), endpoint="sla_policies", url="sla/policies"), menu=menu),
        ConsoleView(view=CalendarsView(name=_l("Calendars"), endpoint="sla_calendars", url="sla/calendars"), menu=menu),
    ]
