"""Translated labels of the core's codes (roles, statuses, priorities, event kinds)."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from gongdan import hooks

ROLE_LABELS = {
    "superadmin": _l("Superadmin"),
    "admin": _l("Admin"),
    "supervisor": _l("Supervisor"),
    "agent": _l("Agent"),
}
STATUS_LABELS = {
    "new": _l("New"),
    "open": _l("Open"),
    "pending": _l("Pending"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
TIER_LABELS = {"normal": _l("Regular"), "vip": "VIP"}
CHANNEL_LABELS = {"api": _l("API"), "web": _l("Web"), "email": _l("E-mail"), "phone": _l("Phone")}
TAG_MODE_LABELS = {"set": _l("Replace the tags with"), "add": _l("Add the tags"), "remove": _l("Remove the tags")}
EVENT_LABELS = {
    "created": _l("created the ticket"),
    "updated": _l("changed"),
    "status_changed": _l("changed the status"),
    "assigned": _l("assigned"),
    "commented": _l("commented"),
    "linked": _l("linked a follow-up"),
    "deadline_announced": _l("announced a deadline"),
    "plugin.changed": _l("changed a plugin"),
}


def label(table: dict, code: str | None) -> str:
    """The translated label of `code` in `table`, or the code itself."""
    if code is None:
        return ""
    return str(table.get(code, code))


def role_label(code: str | None) -> str:
    """A role's label."""
    return label(ROLE_LABELS, code)


def status_label(code: str | None) -> str:
    """A status's label."""
    return label(STATUS_LABELS, code)


def tier_label(code: str | None) -> str:
    """A customer tier in words ("VIP", 普通客户); a tier of the shop's own as it is."""
    return label(TIER_LABELS, code)


def priority_label(code: str | None) -> str:
    """A priority's label."""
    return label(PRIORITY_LABELS, code)


def channel_label(code: str | None) -> str:
    """A channel's label: the console's translation, else the label its plugin registered."""
    if code in CHANNEL_LABELS or code is None:
        return label(CHANNEL_LABELS, code)
    registered = hooks.channels().get(code)
    if registered is None:
        return code
    zh = str(get_locale() or "en").startswith("zh")
    return (registered.label_zh if zh else registered.label_en) or registered.label or code


def event_label(code: str | None) -> str:
    """An event kind's label."""
    return label(EVENT_LABELS, code)


def choice_words(choices: list[list[Any]]) -> list[list[Any]]:
    """A select's `[[value, label], ...]` with words for labels that are only the core's codes
    (statuses, priorities, the tag action's modes); other labels are kept as given."""
    codes = {str(value) for value, label in choices if str(label) == str(value)}
    for table in (STATUS_LABELS, PRIORITY_LABELS, TAG_MODE_LABELS):
        if codes and codes <= set(table):
            return [[value, str(table[str(value)]) if str(label) == str(value) else label] for value, label in choices]
    return choices


def plugin_label(name: str | None) -> str:
    """A plugin by its label in the console's language (客户门户 / Customer portal), not its key."""
    from gongdan.plugins import get_host

    record = get_host().records.get(name or "")
    if record is None:
        return name or ""
    info = record.as_dict()
    zh = str(get_locale() or "en").startswith("zh")
    return str((info.get("label_zh") if zh else info.get("label")) or info.get("label") or name)
