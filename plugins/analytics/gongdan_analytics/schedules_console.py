"""Console page "Scheduled reports": list, create, edit, delete, send now (supervisors and admins;
the service decides who may add which recipients)."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from gongdan.actors import Actor
from gongdan.errors import NotFound, ValidationError

from . import scheduled


def _lang() -> str:
    return "zh" if str(get_locale()).startswith("zh") else "en"


def report_labels() -> dict[str, str]:
    """What a person reads for each report that can be scheduled."""
    return {
        "summary": gettext("Figures by group"),
        "daily": gettext("Figures per day"),
        "top_problems": gettext("Top problems"),
        "backlog": gettext("Open tickets and their age"),
    }


def weekday_labels() -> list[str]:
    """Monday to Sunday in the reader's language."""
    return [
        gettext("Monday"), gettext("Tuesday"), gettext("Wednesday"), gettext("Thursday"),
        gettext("Friday"), gettext("Saturday"), gettext("Sunday"),
    ]  # fmt: skip


FIELD_LABELS = {
    "name": _l("Name"),
    "report": _l("Report"),
    "group_by": _l("Group by"),
    "frequency": _l("How often"),
    "weekday": _l("Day of the week"),
    "hour": _l("Hour"),
    "recipients": _l("Recipients"),
    "language": _l("Language"),
    "format": _l("Attachment"),
    "active": _l("Active"),
}


def form_data(form: Any) -> dict[str, Any]:
    """The form's values as the service takes them (recipients: one per line, or separated by commas)."""
    data: dict[str, Any] = {
        key: form.get(key, "") for key in ("name", "report", "group_by", "frequency", "language", "format")
    }
    for key in ("weekday", "hour"):
        data[key] = form.get(key, "")
    data["recipients"] = [r for r in re.split(r"[\s,;，；]+", form.get("recipients", "")) if r]
    data["active"] = form.get("active") == "1"
    return data


def make_view(base: type, groups: Any) -> type:
    """The view class on the plugin's console base `base`; `groups()` labels the dimensions."""

    class SchedulesView(base):  # type: ignore[misc, valid-type]
        """Reports e-mailed daily or weekly to a list of recipients."""

        def _page(self, **context: Any) -> Any:
            tenant = self.current_tenant()
            return self.render(
                "analytics/schedules.html",
                reports=report_labels(),
                groups={k: v for k, v in groups().items() if k != "day"},
                weekdays=weekday_labels(),
                labels=FIELD_LABELS,
                tz=tenant.timezone or "Asia/Shanghai",
                reason=lambda text: scheduled.localized(text, _lang()),
                **context,
            )

        @expose("/")
        def index(self) -> Any:
            """Every subscription with its next run, last send and last error."""
            tenant, actor = self.current_tenant(), Actor.of(self.current_user)
            rows = [scheduled.as_dict(row, tenant) for row in scheduled.listing(tenant, actor)]
            return self._page(rows=rows, mode="list")

        @expose("/new", methods=("GET", "POST"))
        def create(self) -> Any:
            """The form for a new subscription (the signed-in user as first recipient)."""
            return self._edit(None)

        @expose("/<int:subscription_id>/edit", methods=("GET", "POST"))
        def edit(self, subscription_id: int) -> Any:
            """The form for an existing subscription."""
            return self._edit(subscription_id)

        def _edit(self, subscription_id: int | None) -> Any:
            tenant, actor = self.current_tenant(), Actor.of(self.current_user)
            row = self._get(subscription_id) if subscription_id is not None else None
            if request.method == "POST":
                data = form_data(request.form)
                try:
                    scheduled.save(tenant, data, actor, row)
                except ValidationError as exc:
                    page = self._page(
                        mode="form", row=row, values=data, errors=exc.fields or {"_schema": [exc.message]}
                    )
                    return page, 422
                flash(gettext("Saved."))
                return redirect(url_for(".index"))
            language = _lang()
            values = (
                scheduled.as_dict(row, tenant)
                if row
                else {
                    "name": "",
                    "report": "summary",
                    "group_by": "channel",
                    "frequency": "weekly",
                    "weekday": 0,
                    "hour": 8,
                    "recipients": [self.current_user.email],
                    "language": language,
                    "format": "xlsx",
                    "active": True,
                }
            )
            return self._page(mode="form", row=row, values=values, errors={})

        def _get(self, subscription_id: int) -> Any:
            try:
                return scheduled.get(self.current_tenant(), subscription_id, Actor.of(self.current_user))
            except NotFound:
                abort(404)

        @expose("/<int:subscription_id>/delete", methods=("POST",))
        def delete(self, subscription_id: int) -> Any:
            """Remove a subscription."""
            row = self._get(subscription_id)
            scheduled.delete(self.current_tenant(), row, Actor.of(self.current_user))
            flash(gettext("Deleted."))
            return redirect(url_for(".index"))

        @expose("/<int:subscription_id>/send", methods=("POST",))
        def send_now(self, subscription_id: int) -> Any:
            """Send the report now to its recipients (the schedule is unchanged)."""
            tenant, row = self.current_tenant(), self._get(subscription_id)
            reason = scheduled.send_now(tenant, row, Actor.of(self.current_user))
            if reason is None:
                flash(gettext("Sent to %(count)s recipients.", count=len(row.recipients)))
            else:
                flash(gettext("Not sent: %(reason)s", reason=scheduled.localized(reason, _lang())), "error")
            return redirect(url_for(".index"))

    return SchedulesView
