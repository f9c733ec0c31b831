"""The console's forms for SLA policies and business calendars: posted rows ↔ what the API takes.

`policies_from_form` and `calendars_from_form` read the rows of a posted form (inputs named as
in `gongdan.admin.form_rows`) into the body `PUT /api/v1/sla/policies` / `calendars` take, with
the console-language messages of what cannot be read, keyed by input name. `*_entries` give the
template what to show: the stored items, or the rows as posted when the save was refused.
`service_errors` puts the service's own complaints beside the inputs they are about.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gongdan import hooks
from gongdan.admin import form_rows as fr
from gongdan.admin.form_rows import FormErrors, FormRow
from gongdan.models import PRIORITIES, Category, Customer, Tenant

from .models import SlaCalendar
from .policies import ACTIONS, DEFAULT_CALENDAR, TARGETS

CONDITION_LISTS = ("tier", "tags")
ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)
DATE_KINDS = ("closed", "open", "special")

ACTION_LABELS = {
    "notify_assignee": _l("Notify the assignee"),
    "notify_supervisor": _l("Notify the supervisors"),
    "notify_admin": _l("Notify the admins"),
    "raise_priority": _l("Raise the priority"),
    "reassign": _l("Reassign"),
}
TARGET_LABELS = {
    "first_response": _l("First response"),
    "next_response": _l("Next response"),
    "resolution": _l("Resolution"),
}
WEEKDAY_LABELS = (_l("Mon."), _l("Tue."), _l("Wed."), _l("Thu."), _l("Fri."), _l("Sat."), _l("Sun."))
DATE_KIND_LABELS = {"closed": _l("Closed day"), "open": _l("Open with Monday’s hours"), "special": _l("Special hours")}

# the services' English messages, in the console's language
MESSAGES = (
    fr.pattern(r"give at least one target", _l("Give at least one target.")),
    fr.pattern(r"levels must be in increasing order", _l("Escalation levels must come in increasing order of time.")),
    fr.pattern(r"policy names must be unique", _l("Two policies have the same name.")),
    fr.pattern(r"calendar names must be unique", _l("Two calendars have the same name.")),
    fr.pattern(r"no calendar named (?P<name>.+)$", _l("There is no calendar named %(name)s.")),
    fr.pattern(r"intervals overlap", _l("The opening hours of this day overlap.")),
    fr.pattern(r"the start must be before the end", _l("The end must be after the start.")),
    fr.pattern(r"is not a time|after 24:00|bad pair", _l("Give a time of day, 00:00 to 24:00.")),
    fr.pattern(r"is not a date", _l("Give a date.")),
    fr.pattern(
        r"give at least one opening interval", _l("The calendar is never open: give hours for at least one day.")
    ),
    fr.pattern(r"give at least one interval", _l("Give the hours of this date.")),
    fr.pattern(r"one of default, closed, open, special", _l("Pick one of the choices offered.")),
    fr.pattern(r"(?i)time ?zone", _l("Unknown time zone.")),
    fr.pattern(r"(?i)region", _l("Unknown region.")),
)


# --- policies -----------------------------------------------------------------------------


def policy_entry(item: dict[str, Any]) -> dict[str, Any]:
    """A stored policy as the form shows it (texts and lists of picked codes)."""
    conditions = item.get("conditions") or {}
    entry: dict[str, Any] = {
        "name": item.get("name", ""),
        "priority": list(conditions.get("priority", [])),
        "channel": list(conditions.get("channel", [])),
        "tier": ", ".join(conditions.get("tier", [])),
        "tags": ", ".join(conditions.get("tags", [])),
        "category": conditions.get("category", ""),
        "calendar": item.get("calendar") or DEFAULT_CALENDAR,
        "warning_percent": str(item.get("warning_percent") or ""),
        "escalations": [],
        "pause": item.get("pause_when_pending", True),
    }
    for target in TARGETS:
        entry[target], entry[f"{target}_unit"] = fr.shown_duration(item.get(target))
    for level in item.get("escalations") or []:
        after, unit = fr.shown_duration(level["after"])
        entry["escalations"].append({"after": after, "after_unit": unit, "actions": list(level["actions"])})
    return entry


def _posted_entry(row: FormRow, form: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {key: row.get(key) for key in ("name", "tier", "tags", "category", "warning_percent")}
    entry["calendar"] = row.get("calendar", DEFAULT_CALENDAR)
    entry["priority"], entry["channel"] = row.getlist("priority"), row.getlist("channel")
    entry["pause"] = _pauses(row)
    for target in TARGETS:
        entry[target], entry[f"{target}_unit"] = row.get(target), row.get(f"{target}_unit", "min")
    entry["escalations"] = [
        {"after": level.get("after"), "after_unit": level.get("after_unit", "min"), "actions": level.getlist("actions")}
        for level in row.nested(form, "e", ignore=("after_unit",))
    ]
    return entry


POLICY_IGNORE = ("order", "calendar", "after_unit", "pause", *(f"{t}_unit" for t in TARGETS))


def _pauses(row: FormRow) -> bool:
    """The pause box: a hidden 0 is always sent, the box adds 1 when ticked (a new row: ticked)."""
    return "1" in row.getlist("pause") or not row.getlist("pause")


def policy_rows(form: Any) -> list[FormRow]:
    """The posted policies in the order their order numbers give."""
    return fr.renumbered(fr.ordered(fr.rows(form, "p", ignore=POLICY_IGNORE)))


def policies_from_form(form: Any) -> tuple[dict[str, Any], FormErrors, list[dict[str, Any]]]:
    """`({"items": [...]}, errors, entries)` from the posted policy rows.

    Everything the form can check is checked at once (names, numbers, at least one target,
    escalations in order); the service checks again and knows the calendars.
    """
    errors = FormErrors()
    items, entries, names = [], [], set()
    for row in policy_rows(form):
        entries.append(_posted_entry(row, form))
        name = row.get("name")
        if not name:
            errors.add(row.name("name"), gettext("Give the policy a name."))
        elif name in names:
            errors.add(row.name("name"), gettext("Two policies have the same name."))
        names.add(name)
        conditions: dict[str, Any] = {}
        for key in ("priority", "channel"):
            if row.getlist(key):
                conditions[key] = row.getlist(key)
        for key in CONDITION_LISTS:
            if fr.words(row.get(key)):
                conditions[key] = fr.words(row.get(key))
        if row.get("category"):
            conditions["category"] = row.get("category")
        item: dict[str, Any] = {
            "name": name,
            "conditions": conditions,
            "calendar": row.get("calendar") or DEFAULT_CALENDAR,
            "pause_when_pending": _pauses(row),
        }
        for target in TARGETS:
            item[target] = fr.duration(row, target, errors)
        if not any(item[target] for target in TARGETS) and not any(row.name(t) in errors for t in TARGETS):
            errors.add(row.name("first_response"), gettext("Give at least one target."))
        warning = fr.integer(row.get("warning_percent"), row.name("warning_percent"), errors, low=1, high=99)
        item["warning_percent"] = 80 if warning is None else warning
        item["escalations"] = []
        for level in row.nested(form, "e", ignore=("after_unit",)):
            after = fr.duration(level, "after", errors, low=0)
            actions = [a for a in level.getlist("actions") if a in ACTIONS]
            if not level.get("after"):
                errors.add(level.name("after"), gettext("Give the time after the breach."))
            if not actions:
                errors.add(level.name("actions"), gettext("Pick at least one action."))
            if after is not None and actions:
                item["escalations"].append({"after": after, "actions": actions})
        afters = [level["after"] for level in item["escalations"]]
        if afters != sorted(afters):
            errors.add(row.name("escalations"), gettext("Escalation levels must come in increasing order of time."))
        items.append(item)
    return {"items": items}, errors, entries


def policy_error_places(count: int) -> dict[str, str]:
    """Where the service's complaints about policy N go in the form."""
    where = {"items": "p"}
    for n in range(count):
        where[f"items.{n}"] = f"p-{n}-name"
        for key in ("name", "calendar", "warning_percent", "escalations", *TARGETS):
            where[f"items.{n}.{key}"] = f"p-{n}-{key}"
        for key in ("priority", "channel", "tier", "tags", "category"):
            where[f"items.{n}.conditions.{key}"] = f"p-{n}-{key}"
        for level in range(20):
            where[f"items.{n}.escalations.{level}"] = f"p-{n}-e-{level}-after"
            where[f"items.{n}.escalations.{level}.actions"] = f"p-{n}-e-{level}-actions"
    return where


def policy_choices(tenant: Tenant) -> dict[str, Any]:
    """What the policy form offers: priorities, channels, calendars, categories, tiers, actions, targets."""
    from gongdan.admin.labels import CHANNEL_LABELS

    channels = list(CHANNEL_LABELS) + [name for name in hooks.channels() if name not in CHANNEL_LABELS]
    tiers = {row.tier for row in Customer.of(tenant).select(Customer.tier).distinct()} | {"normal", "vip"}
    return {
        "priorities": PRIORITIES,
        "channels": channels,
        "calendars": sorted({c.name for c in SlaCalendar.of(tenant)} | {DEFAULT_CALENDAR}),
        "categories": [c.path for c in Category.of(tenant).order_by(Category.path)],
        "tiers": sorted(t for t in tiers if t),
        "actions": ACTION_LABELS,
        "targets": TARGET_LABELS,
    }


# --- calendars ----------------------------------------------------------------------------


def calendar_entry(item: dict[str, Any]) -> dict[str, Any]:
    """A stored calendar as the form shows it: each weekday's intervals, and its special dates."""
    weekly = {int(day): hours for day, hours in (item.get("weekly") or {}).items()}
    dates = [{"date": d, "kind": "closed"} for d in item.get("closed") or []]
    dates += [{"date": d, "kind": "open"} for d in item.get("open") or []]
    for day, hours in sorted((item.get("special") or {}).items()):
        entry = {"date": str(day), "kind": "special"}
        for number, (start, end) in enumerate(hours[:2], start=1):
            entry[f"start{number}"], entry[f"end{number}"] = start, end
        dates.append(entry)
    dates.sort(key=lambda d: str(d["date"]))
    return {
        "name": item.get("name", ""),
        "tz": item.get("tz") or "Asia/Shanghai",
        "region": item.get("region") or "",
        "weekly": [[list(pair) for pair in weekly.get(day, [])] for day in range(7)],
        "dates": [{k: str(v) for k, v in d.items()} for d in dates],
    }


def _hours(row: FormRow, form: Any, day: int, errors: FormErrors) -> list[list[str]]:
    found = []
    for part in row.nested(form, f"w{day}"):
        pair = fr.interval(part, "start", "end", errors)
        if pair is not None:
            found.append(pair)
    return found


def _posted_calendar(row: FormRow, form: Any) -> dict[str, Any]:
    weekly = [[[p.get("start"), p.get("end")] for p in row.nested(form, f"w{day}")] for day in range(7)]
    dates = [
        {k: d.get(k) for k in ("date", "kind", "start1", "end1", "start2", "end2")}
        for d in row.nested(form, "d", ignore=("kind",))
    ]
    return {"name": row.get("name"), "tz": row.get("tz"), "region": row.get("region"), "weekly": weekly, "dates": dates}


def calendars_from_form(form: Any) -> tuple[dict[str, Any], FormErrors, list[dict[str, Any]]]:
    """`({"items": [...]}, errors, entries)` from the posted calendar rows (weekly hours, dates)."""
    errors = FormErrors()
    items, entries, names = [], [], set()
    for row in fr.renumbered(fr.rows(form, "c", ignore=("tz", "region", "kind"))):
        entries.append(_posted_calendar(row, form))
        name = row.get("name")
        if not name:
            errors.add(row.name("name"), gettext("Give the calendar a name."))
        elif name in names:
            errors.add(row.name("name"), gettext("Two calendars have the same name."))
        names.add(name)
        item: dict[str, Any] = {
            "name": name,
            "tz": row.get("tz") or "Asia/Shanghai",
            "region": row.get("region") or None,
            "weekly": {str(day): _hours(row, form, day, errors) for day in range(7)},
            "closed": [],
            "open": [],
            "special": {},
        }
        seen: set[str] = set()
        for entry in row.nested(form, "d", ignore=("kind",)):
            when = fr.day(entry.get("date"), entry.name("date"), errors)
            kind = entry.get("kind")
            if when is None:
                if not entry.get("date"):
                    errors.add(entry.name("date"), gettext("Give a date."))
                continue
            if when.isoformat() in seen:
                errors.add(entry.name("date"), gettext("This date is listed twice."))
                continue
            seen.add(when.isoformat())
            if kind == "special":
                hours = [fr.interval(entry, f"start{k}", f"end{k}", errors) for k in (1, 2)]
                hours = [pair for pair in hours if pair]
                if not hours and not any(entry.name(f"{p}{k}") in errors for p in ("start", "end") for k in (1, 2)):
                    errors.add(entry.name("start1"), gettext("Give the hours of this date."))
                item["special"][when.isoformat()] = hours
            elif kind in ("closed", "open"):
                item[kind].append(when.isoformat())
            else:
                errors.add(entry.name("kind"), gettext("Pick one of the choices offered."))
        items.append(item)
    return {"items": items}, errors, entries


def calendar_error_places(count: int) -> dict[str, str]:
    """Where the service's complaints about calendar N go in the form (a weekday: its first start)."""
    where = {"items": "c"}
    for n in range(count):
        where[f"items.{n}"] = f"c-{n}-name"
        for key in ("name", "tz", "region"):
            where[f"items.{n}.{key}"] = f"c-{n}-{key}"
        where[f"items.{n}.weekly"] = f"c-{n}-weekly"
        for day in range(7):
            where[f"items.{n}.weekly.{day}"] = f"c-{n}-w{day}"
        for key in ("closed", "open", "special"):
            where[f"items.{n}.{key}"] = f"c-{n}-dates"
    return where


MONTH_PLACES = {"day": "day", "kind": "kind", "hours": "start1", "calendar": "calendar", "items": "day"}
"""Where the service's complaints about one date of the month page go."""


def service_errors(fields: dict[str, list[str]], where: dict[str, str], fallback: str) -> FormErrors:
    """The service's `{field path: [messages]}` beside the form's inputs, in the console's language."""
    errors = FormErrors()
    fr.move_errors(fields, where, errors, MESSAGES, fallback=fallback)
    return errors
