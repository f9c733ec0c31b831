"""The audit trail in words: each event's kind, and its data as "field: old → new" lines."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from gongdan import hooks
from gongdan.admin.labels import EVENT_LABELS, plugin_label, priority_label, role_label, status_label
from gongdan.audit import HIDDEN
from gongdan.plugins import REDACTED, REDACTED_NEW

KIND_LABELS = {
    "auth.login": _l("signed in"),
    "auth.login_failed": _l("failed to sign in"),
    "auth.locked": _l("account locked after failed sign-ins"),
    "auth.logout": _l("signed out"),
    "auth.password_changed": _l("changed a password"),
    "token.created": _l("created an API token"),
    "token.revoked": _l("revoked an API token"),
    "user.created": _l("created a user"),
    "user.changed": _l("changed a user"),
    "team.created": _l("created a team"),
    "team.changed": _l("changed a team"),
    "team.deleted": _l("deleted a team"),
    "customer.created": _l("created a customer"),
    "customer.changed": _l("changed a customer"),
    "customer.deleted": _l("deleted a customer"),
    "customer.revealed": _l("revealed a customer's contact details"),
    "category.created": _l("added a category"),
    "category.deleted": _l("deleted a category"),
    "tenant.settings_changed": _l("changed the workspace settings"),
    "sla.policies_changed": _l("changed the SLA policies"),
    "sla.calendars_changed": _l("changed the business calendars"),
    "assignment.rules": _l("changed the assignment rules"),
    "pdd_connector.shop_connected": _l("connected a Pinduoduo shop"),
    "pdd_connector.shop_changed": _l("changed a Pinduoduo shop"),
    "knowledge.article_deleted": _l("deleted a knowledge article"),
    "knowledge.exported": _l("exported the knowledge base"),
}
FIELD_LABELS = {
    "user": _l("User"),
    "email": _l("E-mail"),
    "name": _l("Name"),
    "role": _l("Role"),
    "team": _l("Team"),
    "language": _l("Language"),
    "is_active": _l("Active"),
    "password": _l("Password"),
    "locked": _l("Locked"),
    "tier": _l("Tier"),
    "phone": _l("Phone"),
    "description": _l("Description"),
    "path": _l("Category"),
    "paths": _l("Categories"),
    "plugin": _l("Plugin"),
    "enabled": _l("Enabled"),
    "team_visibility": _l("Agents see only their team's tickets"),
    "shop": _l("Shop"),
    "gateway_url": _l("Gateway URL"),
    "message_url": _l("Message URL"),
    "client_id": _l("Client id"),
    "client_secret": _l("Client secret"),
    "access_token": _l("Access token"),
    "refresh_token": _l("Refresh token"),
    "owner_name": _l("Shop name"),
    "active": _l("Active"),
    "title": _l("Title"),
    "visibility": _l("Visibility"),
    "articles": _l("Number of articles"),
    "ip": _l("IP address"),
    "subject": _l("Subject"),
    "priority": _l("Priority"),
    "category": _l("Category"),
    "tags": _l("Tags"),
    "status": _l("Status"),
    "assignee": _l("Assignee"),
    "reason": _l("Reason"),
    "strategy": _l("How"),
    "prefix": _l("Token"),
    "token": _l("Token"),
    "expires_at": _l("Expires"),
    "why": _l("Reason"),
    # SLA policies and business calendars (`sla.policies_changed`, `sla.calendars_changed`)
    "calendar": _l("Calendar"),
    "conditions": _l("Conditions"),
    "escalations": _l("Escalation levels"),
    "first_response": _l("First response"),
    "next_response": _l("Next response"),
    "resolution": _l("Resolution"),
    "pause_when_pending": _l("Pause the clock while waiting for the customer"),
    "position": _l("Policy order"),
    "warning_percent": _l("Warning threshold (per cent of the target)"),
    "tz": _l("Time zone"),
    "region": _l("Public holidays"),
    "weekly": _l("Opening hours"),
    "closed": _l("Closed dates"),
    "open": _l("Make-up working dates"),
    "special": _l("Dates with their own hours"),
}
WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
REGIONS = {"CN": _l("Mainland China (with make-up days)")}
# said by other keys, or internal references
SKIPPED = frozenset({"comment_id", "settings_changed", "id", "article", "child_id", "internal", "from_customer"})


def kind_label(kind: str) -> str:
    """What the event was, in the console's language (a plugin's unknown kind: its words)."""
    known = KIND_LABELS.get(kind) or EVENT_LABELS.get(kind)
    if known is not None:
        return str(known)
    registered = hooks.event_kinds().get(kind)  # a plugin's own words (gongdan_event_kinds)
    if registered is not None:
        return registered.label_zh if str(get_locale() or "").startswith("zh") else registered.label_en
    return kind.replace("_", " ").replace(".", ": ", 1)


SYSTEM_ACTORS = {
    "cli": _l("command line"),
    "system": _l("the system"),
    "customer": _l("the customer"),
    "demo": _l("the demo"),
}
ACTOR_KINDS = {"plugin": _l("plugin %(name)s"), "channel": _l("channel %(name)s")}


def actor_text(label: str) -> str:
    """Who acted when no user did: `cli`, `plugin:sla`, `channel:email` in words."""
    if label in SYSTEM_ACTORS:
        return str(SYSTEM_ACTORS[label])
    kind, colon, name = label.partition(":")
    if colon and kind in ACTOR_KINDS:
        return ACTOR_KINDS[kind] % {"name": name}
    return label


def field_label(field: str) -> str:
    """A field's name; `policy.field` (one of several named items) reads `policy · field`."""
    if field in FIELD_LABELS:
        return str(FIELD_LABELS[field])
    item, dot, rest = field.rpartition(".")
    if dot:
        return f"{item} · {field_label(rest)}"
    return field.replace("_", " ")


def value_text(field: str, value: Any, users: dict[int, str] | None = None) -> str:
    """A value as people read it: yes/no, roles and statuses translated, secrets as such."""
    if value is None or value == "" or value == []:
        return "—"
    if value == HIDDEN:
        return gettext("(not shown)")
    if value == REDACTED:
        return gettext("(set)")
    if value == REDACTED_NEW:
        return gettext("(new value)")
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    last = field.rpartition(".")[2]
    if last == "weekly" and isinstance(value, dict):
        return _weekly_text(value)
    if last == "region" and value in REGIONS:
        return str(REGIONS[value])
    if isinstance(value, list):
        return ", ".join(value_text(field, item, users) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{field_label(str(k))}: {value_text(str(k), v, users)}" for k, v in value.items())
    translate = {"role": role_label, "status": status_label, "priority": priority_label}.get(field)
    if translate is not None:
        return translate(str(value))
    if field == "plugin":
        return plugin_label(str(value))
    if field == "assignee" and users is not None and isinstance(value, int):
        return users.get(value, f"#{value}")
    return str(value)


def _change(field: str, old: Any, new: Any, users: dict[int, str] | None) -> str:
    if old in (HIDDEN, REDACTED) and new in (HIDDEN, REDACTED, REDACTED_NEW):
        return f"{field_label(field)}: {gettext('changed (not shown)')}"
    return f"{field_label(field)}: {value_text(field, old, users)} → {value_text(field, new, users)}"


def lines(kind: str, data: dict[str, Any], users: dict[int, str] | None = None) -> list[str]:
    """The event's data as lines: each change "field: old → new", then the other facts."""
    rest = dict(data or {})
    out = []
    if "from" in rest and "to" in rest:
        field = {"status_changed": "status", "assigned": "assignee"}.get(kind, "")
        out.append(_change(field or "value", rest.pop("from"), rest.pop("to"), users))
    if "was_enabled" in rest:
        was, now = rest.pop("was_enabled"), rest.pop("enabled", None)
        out.append(
            _change("enabled", was, now, users)
            if was != now
            else f"{field_label('enabled')}: {value_text('enabled', now)}"
        )
    changes = rest.pop("changes", None) or {}
    for field, pair in changes.items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        out.append(_change(field, old, new, users))
    for key, value in rest.items():
        if key not in SKIPPED:
            out.append(f"{field_label(key)}: {value_text(key, value, users)}")
    return out


def _weekly_text(weekly: dict[str, Any]) -> str:
    """A calendar's opening hours `{"0": [["09:00", "12:00"], …], …}` as "Mon 09:00–12:00, 13:30–18:00; …"."""
    days = []
    for key in sorted(weekly, key=lambda k: int(k) if str(k).isdigit() else 99):
        spans = weekly[key] or []
        name = str(WEEKDAYS[int(key)]) if str(key).isdigit() and int(key) < len(WEEKDAYS) else str(key)
        hours = ", ".join("–".join(map(str, span)) if isinstance(span, list | tuple) else str(span) for span in spans)
        days.append(f"{name} {hours or '—'}")
    return "; ".join(days)


__all__ = ["actor_text", "field_label", "kind_label", "lines", "value_text"]
