"""The console's forms for assignment rules and for an agent's shifts and leave.

`rules_from_form` reads the rule rows (`r-N-…`) and the default (`d-0-…`) into the body that
`PUT /api/v1/assignment/rules` takes; `schedule_from_form` reads shift rows (`s-N-…`) and the
leave inputs into the body of `PUT /api/v1/agents/ID/availability`. Both return the console-
language messages of what cannot be read, keyed by input name, and the entries to show again.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gongdan import hooks
from gongdan.admin import form_rows as fr
from gongdan.admin.form_rows import FormErrors, FormRow
from gongdan.models import PRIORITIES, Category, Customer, Team, Tenant, User
from gongdan_assignment.schemas import DAYS, MAX_LEVEL

CONDITIONS = ("category", "channel", "priority", "customer_tier", "tags")
STRATEGY_LABELS = {
    "least_loaded": _l("Least loaded"),
    "round_robin": _l("Round robin"),
    "weighted": _l("Weighted"),
    "skills": _l("Best skill match"),
    "tier": _l("Tier (most senior)"),
}
STRATEGY_HELP = {
    "least_loaded": _l("The agent with the fewest open tickets relative to capacity."),
    "round_robin": _l("The agent who has waited longest since their last ticket."),
    "weighted": _l("Tickets in proportion to the agents' weights."),
    "skills": _l("The best match of the ticket's skills, ties broken by load."),
    "tier": _l("The most senior agent in the ticket's skills, ties broken by load."),
}
DAY_LABELS = dict(zip(DAYS, (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")), strict=True))

MESSAGES = (
    fr.pattern(r"unknown strategy", _l("Pick one of the strategies offered.")),
    fr.pattern(r"no team (?P<name>.+) in this tenant", _l("There is no team named %(name)s.")),
    fr.pattern(r"have no condition", _l("Give at least one condition, or change the default instead.")),
    fr.pattern(r"a shift must not be empty", _l("The end must differ from the start.")),
    fr.pattern(r"HH:MM", _l("Give a time of day, 00:00 to 24:00.")),
    fr.pattern(r"must not be before from", _l("The last day must not be before the first.")),
    fr.pattern(r"cannot stand in for themself", _l("An agent cannot stand in for themself.")),
    fr.pattern(r"no active user", _l("Pick an active colleague.")),
)


# --- rules --------------------------------------------------------------------------------


def rule_entry(rule: dict[str, Any]) -> dict[str, Any]:
    """A stored rule (or the default) as the form shows it."""
    when = rule.get("when") or {}
    entry = {key: str(when.get(key) or "") for key in ("category", "channel", "priority", "customer_tier")}
    entry["tags"] = ", ".join(when.get("tags") or [])
    entry["strategy"] = rule.get("strategy") or "least_loaded"
    entry["team"] = rule.get("team") or ""
    entry["min_level"] = "" if rule.get("min_level") is None else str(rule["min_level"])
    entry["options"] = [{"key": str(k), "value": _option_text(v)} for k, v in (rule.get("options") or {}).items()]
    return entry


def _option_text(value: Any) -> str:
    """An option's value as the form shows it (`true`/`false`, numbers, text; never a Python value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _option_value(text: str) -> Any:
    """An option's value: `true`/`false`, a number when it reads as one, else the text."""
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _target(row: FormRow, form: Any, errors: FormErrors) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for option in row.nested(form, "o"):
        if not option.get("key"):
            errors.add(option.name("key"), gettext("Give the option a name."))
            continue
        options[option.get("key")] = _option_value(option.get("value"))
    level = fr.integer(row.get("min_level"), row.name("min_level"), errors, low=1, high=MAX_LEVEL)
    return {
        "strategy": row.get("strategy") or "least_loaded",
        "team": row.get("team") or None,
        "min_level": level,
        "options": options,
    }


def _posted_entry(row: FormRow, form: Any) -> dict[str, Any]:
    entry = {key: row.get(key) for key in (*CONDITIONS, "strategy", "team", "min_level")}
    entry["options"] = [{"key": o.get("key"), "value": o.get("value")} for o in row.nested(form, "o")]
    return entry


def rules_from_form(form: Any) -> tuple[dict[str, Any], FormErrors, dict[str, Any]]:
    """`(body, errors, shown)`: the rules and default as the API takes them; `shown` has the
    form's `rules` and `default` entries as posted."""
    errors = FormErrors()
    rules, entries = [], []
    for row in fr.renumbered(fr.ordered(fr.rows(form, "r", ignore=("order", "strategy")))):
        entries.append(_posted_entry(row, form))
        when: dict[str, Any] = {key: row.get(key) for key in ("category", "channel", "priority", "customer_tier")}
        when = {key: value for key, value in when.items() if value}
        if fr.words(row.get("tags")):
            when["tags"] = fr.words(row.get("tags"))
        if not when:
            errors.add(row.name("category"), gettext("Give at least one condition, or change the default instead."))
        rules.append({"when": when, **_target(row, form, errors)})
    default_rows = fr.renumbered(fr.rows(form, "d", ignore=()))
    default_row = default_rows[0] if default_rows else fr.FormRow("d", 0)
    default = _target(default_row, form, errors)
    shown = {"rules": entries, "default": _posted_entry(default_row, form)}
    return {"rules": rules, "default": default}, errors, shown


def rule_error_places(count: int) -> dict[str, str]:
    """Where the service's complaints about rule N (and the default) go in the form."""
    where = {"rules": "r", "default": "d-0-strategy"}
    for key in ("strategy", "team", "min_level", "options"):
        where[f"default.{key}"] = f"d-0-{key}"
    for n in range(count):
        where[f"rules.{n}"] = f"r-{n}-category"
        for key in ("strategy", "team", "min_level", "options"):
            where[f"rules.{n}.{key}"] = f"r-{n}-{key}"
        for key in CONDITIONS:
            where[f"rules.{n}.when.{key}"] = f"r-{n}-{key}"
    return where


def rule_choices(tenant: Tenant, strategies: dict[str, Any]) -> dict[str, Any]:
    """What the rule form offers: strategies (labelled), teams, categories, channels, priorities, tiers."""
    from gongdan.admin.labels import CHANNEL_LABELS

    tiers = {row.tier for row in Customer.of(tenant).select(Customer.tier).distinct()} | {"normal", "vip"}
    return {
        "strategies": [
            {
                "name": name,
                "label": str(STRATEGY_LABELS.get(name) or strategies[name].label or name),
                "help": str(STRATEGY_HELP.get(name) or strategies[name].description or ""),
            }
            for name in sorted(strategies)
        ],
        "teams": [t.name for t in Team.of(tenant).order_by(Team.name)],
        "categories": [c.path for c in Category.of(tenant).order_by(Category.path)],
        "channels": list(CHANNEL_LABELS) + [name for name in hooks.channels() if name not in CHANNEL_LABELS],
        "priorities": PRIORITIES,
        "tiers": sorted(t for t in tiers if t),
        "max_level": MAX_LEVEL,
    }


# --- shifts and leave ---------------------------------------------------------------------


def schedule_entry(availability: dict[str, Any]) -> dict[str, Any]:
    """An agent's shifts and leave (as the API shows them) as the form shows them."""
    leave = availability.get("leave") or {}
    return {
        "shifts": [dict(shift) for shift in availability.get("shifts") or []],
        "leave_from": leave.get("from", ""),
        "leave_until": leave.get("until", ""),
        "replacement": str(leave.get("replacement_id") or ""),
    }


def schedule_from_form(form: Any) -> tuple[dict[str, Any], FormErrors, dict[str, Any]]:
    """`(body, errors, shown)` from the schedule form: weekly shifts and leave (empty dates: none)."""
    errors = FormErrors()
    shifts, shown_shifts = [], []
    for row in fr.renumbered(fr.rows(form, "s", ignore=("day",))):
        shown_shifts.append({key: row.get(key) for key in ("day", "start", "end")})
        day = row.get("day")
        if day not in DAYS:
            errors.add(row.name("day"), gettext("Pick one of the choices offered."))
        start = fr.clock_time(row.get("start"), row.name("start"), errors)
        end = fr.clock_time(row.get("end"), row.name("end"), errors)
        for key in ("start", "end"):
            if not row.get(key):
                errors.add(row.name(key), gettext("Give both the start and the end."))
        if start and end and start == end:
            errors.add(row.name("end"), gettext("The end must differ from the start."))
        if day in DAYS and start and end:
            shifts.append({"day": day, "start": start, "end": end})
    first = fr.day(form.get("leave_from", "").strip(), "leave_from", errors)
    last = fr.day(form.get("leave_until", "").strip(), "leave_until", errors)
    replacement = fr.integer(form.get("replacement", "").strip(), "replacement", errors, low=1, high=2**31 - 1)
    leave = None
    if first or last:
        if not first:
            errors.add("leave_from", gettext("Give the first day of leave."))
        if not last:
            errors.add("leave_until", gettext("Give the last day of leave."))
        if first and last and last < first:
            errors.add("leave_until", gettext("The last day must not be before the first."))
        if first and last:
            leave = {"from": first.isoformat(), "until": last.isoformat(), "replacement_id": replacement}
    shown = {
        "shifts": shown_shifts,
        "leave_from": form.get("leave_from", ""),
        "leave_until": form.get("leave_until", ""),
        "replacement": form.get("replacement", ""),
    }
    return {"shifts": shifts, "leave": leave}, errors, shown


SCHEDULE_PLACES = {
    "shifts": "s",
    "leave": "leave_from",
    "leave.from": "leave_from",
    "leave.until": "leave_until",
    "leave.replacement_id": "replacement",
    **{f"shifts.{n}": f"s-{n}-end" for n in range(50)},
    **{f"shifts.{n}.{key}": f"s-{n}-{key}" for n in range(50) for key in ("day", "start", "end")},
}
"""Where the service's complaints about shifts and leave go in the form."""


def colleagues(tenant: Tenant, agent: User) -> list[User]:
    """Who may stand in for `agent`: the tenant's other active agents and supervisors."""
    query = User.of(tenant).where(
        User.role.in_(("agent", "supervisor")) & (User.is_active == True) & (User.id != agent.id)  # noqa: E712
    )
    return list(query.order_by(User.name, User.id))


AVAILABILITY_LABELS = {"status": _l("Status"), "capacity": _l("Capacity"), "weight": _l("Weight")}


def worded(message: str) -> str:
    """A service's message about one input, in the console's language."""
    return fr.translated(message, MESSAGES)


def service_errors(fields: dict[str, list[str]], where: dict[str, str], fallback: str) -> FormErrors:
    """The service's `{field path: [messages]}` beside the form's inputs, in the console's language."""
    errors = FormErrors()
    fr.move_errors(fields, where, errors, MESSAGES, fallback=fallback)
    return errors
