"""The audit log page: the tenant's trail in words, filtered by actor, kind and date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import request
from flask_admin import expose
from flask_babel import gettext

from gongdan import audit, hooks
from gongdan.admin import timeline
from gongdan.admin.audit_text import KIND_LABELS, actor_text, kind_label, lines
from gongdan.admin.base import ConsoleBaseView
from gongdan.admin.form_rows import read_date
from gongdan.models import Tenant, Ticket, User

PER_PAGE = 50


def details(event: Any, users: dict[int, str], describe: Any, registered: dict[str, Any]) -> list[str]:
    """The event's facts as lines: a ticket event a plugin or the core registered (`EventKind`)
    reads as on the ticket's timeline (its listed fields, names for ids, codes in words, times
    in the tenant's zone); the console's own kinds (sign-ins, settings, users) as `lines` says."""
    if event.kind in registered and event.kind not in KIND_LABELS:
        return [f"{name}: {value}" for name, value in describe(event).fields]
    return lines(event.kind, event.data, users)


def who(event: Any, users: dict[int, str]) -> str:
    """The person, else the plugin or channel by its label (not `plugin:sla`)."""
    if event.actor_id in users:
        return users[event.actor_id]
    if (event.actor_label or "").startswith(("plugin:", "channel:")):
        return timeline.actor_name(event)
    return actor_text(event.actor_label)


def _zone(tenant: Tenant) -> ZoneInfo:
    try:
        return ZoneInfo(tenant.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _day(field: str, errors: dict[str, str]) -> date | None:
    text = (request.args.get(field) or "").strip()
    if not text:
        return None
    found = read_date(text)
    if found is None:
        errors[field] = gettext("Write the date as year-month-day, for example 2026-12-01.")
    return found


class AuditView(ConsoleBaseView):
    """Who did what, when, with each change as "field: old → new" (supervisors and up)."""

    role = "supervisor"

    @expose("/")
    def index(self) -> Any:
        """The trail, newest first; the form filters by actor, kind and local dates."""
        tenant = self.current_tenant()
        zone = _zone(tenant)
        errors: dict[str, str] = {}
        first, last = _day("from", errors), _day("to", errors)
        if first and last and last < first:
            errors["to"] = gettext("The end date is before the start date.")
        actor = (request.args.get("actor") or "").strip()[:200]
        kind = (request.args.get("kind") or "").strip()[:64]
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        query = audit.events(
            tenant,
            actor=actor or None,
            kind=kind or None,
            since=datetime.combine(first, time.min, zone) if first and not errors else None,
            until=datetime.combine(last + timedelta(days=1), time.min, zone) if last and not errors else None,
        )
        rows = list(query.paginate(page, PER_PAGE + 1))
        more, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
        users = {u.id: u.display_name for u in User.of(tenant)}
        numbers = {
            t.id: t.number for t in Ticket.of(tenant).where(Ticket.id.in_([e.ticket_id for e in rows if e.ticket_id]))
        }
        describe, registered = timeline.describer(tenant), hooks.event_kinds()
        events = [
            {
                "at": event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                "actor": who(event, users),
                "actor_label": event.actor_label,
                "what": kind_label(event.kind),
                "ticket": (event.ticket_id, numbers.get(event.ticket_id)) if event.ticket_id else None,
                "lines": details(event, users, describe, registered),
            }
            for event in rows
        ]
        kinds = [(code, kind_label(code)) for code in audit.kinds(tenant)]
        args = {k: v for k, v in request.args.items() if k != "page"}
        page_html = self.render(
            "console/audit.html",
            events=events,
            kinds=sorted(kinds, key=lambda item: item[1]),
            actors=audit.actors(tenant),
            args=args,
            errors=errors,
            page=page,
            more=more,
            zone=tenant.timezone,
        )
        return (page_html, 400) if errors else page_html
