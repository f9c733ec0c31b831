"""Ticket events as people read them: labels, named fields and local times, never internals.

Each event kind is described by an `EventKind` that the core or a plugin registered through
`gongdan_event_kinds` (docs/hooks.md). Only the fields a kind lists are shown; ids become
names, codes become labels, times are shown in the tenant's zone. A kind nobody registered
shows its kind and no data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import get_locale, gettext

from gongdan import hooks
from gongdan.models import Team, Tenant, Ticket, TicketEvent, User
from gongdan.plugins import get_host


@dataclass
class Shown:
    """An event ready for the page: who, what, and `(label, value)` pairs."""

    actor: str
    label: str
    fields: list[tuple[str, str]]


def _zh() -> bool:
    return str(get_locale() or "en").startswith("zh")


def _pick(pair: tuple[str, ...]) -> str:
    return pair[0] if _zh() else pair[1]


def _local(value: Any) -> str:
    from gongdan.admin import local_time

    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return local_time(value) if isinstance(value, datetime) else str(value)


class _Names:
    """Users and teams of the tenant by id, read once per page."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self._users: dict[int, str] | None = None
        self._teams: dict[int, str] | None = None

    def user(self, value: Any) -> str:
        if self._users is None:
            self._users = {u.id: u.display_name for u in User.of(self.tenant)}
        return self._users.get(value, gettext("nobody") if value is None else f"#{value}")

    def team(self, value: Any) -> str:
        if self._teams is None:
            self._teams = {t.id: t.name for t in Team.of(self.tenant)}
        return self._teams.get(value, str(value)) if isinstance(value, int) else str(value)


def _code(value: Any, codes: dict[str, tuple[str, str]]) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, dict):
        parts = [f"{_code(k, codes)} {_code(v, codes)}" for k, v in value.items() if v is not None]
        return "; ".join(parts)
    if isinstance(value, list):
        return ", ".join(_code(v, codes) for v in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _pick(codes[value]) if isinstance(value, str) and value in codes else str(value)


def _worded(text: str) -> str:
    """A plugin's free text in the page's language, by the first registered `EventKind.words`
    that knows it (as written when none does)."""
    language = "zh" if _zh() else "en"
    for known in hooks.event_kinds().values():
        if known.words is not None:
            found = known.words(text, language)
            if found is not None:
                return found
    return text


def _value(value: Any, kind: str, codes: dict[str, tuple[str, str]], names: _Names) -> str:
    if kind == "text" and isinstance(value, str):
        return _worded(value)
    if kind == "user":
        return names.user(value)
    if kind == "team":
        return names.team(value)
    if kind == "time":
        return _local(value)
    if kind == "minutes":
        if isinstance(value, dict):
            return "; ".join(f"{_code(k, codes)} {_minutes(v)}" for k, v in value.items())
        return _minutes(value)
    if kind == "targets" and isinstance(value, dict):
        return "; ".join(f"{_code(name, codes)}: {_outcome(state, codes)}" for name, state in value.items())
    if kind == "flag":
        return gettext("yes") if value else gettext("no")
    if kind == "strategy" and value not in codes:
        found = hooks.assignment_strategies().get(value)
        if found is not None:
            return (found.label_zh if _zh() else found.label) or found.label or str(value)
    return _code(value, codes)


def _outcome(state: Any, codes: dict[str, tuple[str, str]]) -> str:
    """An SLA-like target's outcome: `{"outcome": code}` or `{"breached": bool}`."""
    if not isinstance(state, dict):
        return _code(state, codes)
    if state.get("outcome"):
        return _code(state["outcome"], codes)
    return gettext("late") if state.get("breached") else gettext("in time")


def minutes_text(value: Any) -> str:
    """A number of minutes in words of the console's language ("6 小时 30 分钟", "45 min")."""
    return _minutes(value)


def _minutes(value: Any) -> str:
    try:
        minutes = round(float(value))
    except (TypeError, ValueError):
        return str(value)
    hours, rest = divmod(minutes, 60)
    return gettext("%(h)s h %(m)s min", h=hours, m=rest) if hours else gettext("%(m)s min", m=rest)


def actor_name(event: TicketEvent) -> str:
    """The person's name, or the plugin's / channel's label instead of `plugin:sla`."""
    if event.actor_id:
        return event.actor.display_name
    label = event.actor_label or "system"
    kind, _, name = label.partition(":")
    plugin, _, detail = name.partition(":")  # `plugin:automation:<rule>`: the plugin, then what of it
    if kind == "plugin" and plugin in get_host().records:
        info = get_host().records[plugin].as_dict()
        shown = info["label_zh"] if _zh() else info["label"]
        return f"{shown} · {detail}" if detail else shown
    if kind == "channel":
        from gongdan.admin.labels import channel_label

        return channel_label(name)
    if label in ("system", ""):
        return gettext("system")
    from gongdan.admin.audit_text import actor_text

    return actor_text(label)  # `cli`, `customer`: in words


def describe(event: TicketEvent, names: _Names) -> Shown:
    """How `event` reads on the timeline, in the console's language."""
    known = hooks.event_kinds().get(event.kind)
    if known is None:
        return Shown(actor_name(event), event.kind, [])
    data = event.data or {}
    said = known.sentence(data, "zh" if _zh() else "en") if known.sentence is not None else None
    if said:
        return Shown("", said, [])
    fields: list[tuple[str, str]] = []
    for key, (label_zh, label_en, kind) in known.fields.items():
        value = data.get(key)
        if value is None or value in ({}, [], ""):
            continue
        if kind == "changes":
            for changed, (old, new) in value.items():
                name = _pick(known.codes.get(changed, (changed, changed)))
                old_text, new_text = (_code(v, known.codes) if v not in (None, "", []) else "—" for v in (old, new))
                fields.append((name, f"{old_text} → {new_text}"))
            continue
        fields.append((_pick((label_zh, label_en)), _value(value, kind, known.codes, names)))
    return Shown(actor_name(event), _pick((known.label_zh, known.label_en)), fields)


def describer(tenant: Tenant) -> Any:
    """`describe(event)` for one page (names read once)."""
    names = _Names(tenant)
    return lambda event: describe(event, names)


def last_event_id(ticket: Ticket) -> int:
    """The id of the ticket's latest event (0: none)."""
    return (
        TicketEvent.select(TicketEvent.id)
        .where(TicketEvent.ticket == ticket.id)
        .order_by(TicketEvent.id.desc())
        .scalar()
        or 0
    )


def warnings(tenant: Tenant, ticket: Ticket, after_id: int) -> list[str]:
    """Texts of the ticket's events after `after_id` whose registered kind is a warning."""
    kinds = [k for k, v in hooks.event_kinds().items() if v.warning]
    if not kinds:
        return []
    found = TicketEvent.select().where(
        (TicketEvent.ticket == ticket.id) & (TicketEvent.id > after_id) & TicketEvent.kind.in_(kinds)
    )
    names = _Names(tenant)
    texts = []
    for event in found.order_by(TicketEvent.id):
        shown = describe(event, names)
        texts.append(" ".join([shown.label, *(f"{k}: {v}" for k, v in shown.fields)]))
    return texts
