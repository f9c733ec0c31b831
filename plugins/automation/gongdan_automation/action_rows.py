"""The actions of a rule or a macro, edited as rows: one row an action, its inputs as the action's
own labelled fields (a select where the action offers choices, a box for yes/no, text otherwise).

Rows go through the console's shared helper (`gongdan.admin.form_rows`, `console/_rows.html`,
`rows.js`): inputs are named `act-N-action` and `act-N-in-FIELD`. A row's fields are the chosen
action's (`action_inputs.js` swaps them in when the action changes; without JavaScript the form
shown again after saving has them). The posted values are read as the ticket page reads an
action's form (`gongdan.admin.ticket_actions.form_inputs`), checked by the same code as the API
(`rules.check_actions` through the services), and the services' reasons are put beside the input
they belong to, in the console's language.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import get_locale, gettext

from gongdan import actions
from gongdan.models import Tenant

PREFIX = "act"


def _zh() -> bool:
    return str(get_locale() or "en").startswith("zh")


def catalogue(tenant: Tenant) -> list[dict[str, Any]]:
    """The tenant's offered actions for the form: `name`, `label` and `inputs` (labelled fields)."""
    from gongdan.admin.ticket_actions import labelled_inputs

    zh = _zh()
    return [
        {"name": a.name, "label": a.label("zh" if zh else "en"), "inputs": labelled_inputs(tenant, None, a)}
        for a in actions.offered(tenant)
    ]


def _shown(value: Any) -> Any:
    """A stored input's value as its field shows it (lists comma-separated, None blank)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return value


def stored_rows(steps: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Stored steps (`[{"action", "inputs"}]`) as the form's rows: `{"action", "values"}`."""
    return [
        {"action": step.get("action", ""), "values": {k: _shown(v) for k, v in (step.get("inputs") or {}).items()}}
        for step in steps or []
        if isinstance(step, dict)
    ]


def posted(tenant: Tenant, form: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The posted rows as `(steps for the service, rows to show again)`, numbered 0, 1, … as the
    form shows them again (so the service's `actions.N` errors land on row N)."""
    from gongdan.admin import form_rows
    from gongdan.admin.ticket_actions import form_inputs

    known = {a.name: a for a in actions.offered(tenant)}
    steps, shown = [], []
    for row in form_rows.renumbered(form_rows.rows(form, PREFIX)):
        name = row.get("action")
        typed = {key[3:]: row.get(key) for key in row.values if key.startswith("in-")}
        shown.append({"action": name, "values": typed})
        action = known.get(name)
        inputs = form_inputs(actions.inputs_of(tenant, None, action), typed) if action else {}
        steps.append({"action": name, "inputs": inputs})
    return steps, shown


def worded(reason: str) -> str:
    """A service's reason as the API words it for the console's language (`Accept-Language` there,
    the console's locale here): Chinese by the API's table, English as given with a capital."""
    from gongdan.api.error_language import FIELD_FALLBACK, in_chinese

    if re.match(r"^[Mm]ust be one of: ", str(reason)):  # the codes are the form's choices: no codes on screen
        return gettext("Pick one of the choices offered.")
    if _zh():
        return in_chinese(str(reason)) or FIELD_FALLBACK
    text = str(reason)
    return text[:1].upper() + text[1:]


def errors_beside(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """A service's `{field path: [reasons]}` keyed by the form's inputs, worded as the API words
    them: `actions.N.inputs.F` beside `act-N-in-F`, `actions.N…` beside `act-N-action`, any other
    field (`name`, `body_zh`, `conditions.0.op`…) under its own path."""
    errors: dict[str, list[str]] = {}
    for path, reasons in fields.items():
        parts = path.split(".")
        target = path
        if parts[0] == "actions" and len(parts) > 1 and parts[1].isdigit():
            target = f"{PREFIX}-{parts[1]}-action"
            if len(parts) > 3 and parts[2] == "inputs":
                target = f"{PREFIX}-{parts[1]}-in-{parts[3]}"
        reasons = reasons if isinstance(reasons, list) else [reasons]
        errors.setdefault(target, []).extend(worded(str(r)) for r in reasons)
    return errors


def errors_of(exc: Any) -> dict[str, list[str]]:
    """A service's error as the form shows it: each field's reasons beside its input
    (`errors_beside`), or one sentence under `_schema` when the error names no field (worded as
    the API words the error for a Chinese reader: by its shape, else its code's sentence)."""
    if exc.fields:
        return errors_beside(exc.fields)
    from gongdan.api.error_language import BY_CODE, in_chinese

    if _zh():
        return {"_schema": [in_chinese(exc.message) or BY_CODE.get(exc.code, BY_CODE["bad_request"])]}
    return {"_schema": [worded(exc.message)]}


def message_words(text: str) -> str:
    """A failure's message (an action's, an outside system's) for the console's language: as the
    API words it for a Chinese reader, or a plain sentence when it has no wording there."""
    if not _zh():
        return worded(text)
    from gongdan.api.error_language import in_chinese

    return in_chinese(str(text)) or gettext("the action did not succeed")


def sentence(exc: Any) -> str:
    """A service's error as one sentence in the console's language, its fields' reasons after it
    (for a flash message): never the services' English on a Chinese page."""
    found = errors_of(exc)
    reasons = [reason for field_reasons in found.values() for reason in field_reasons]
    if not exc.fields:
        return "；".join(reasons) if _zh() else "; ".join(reasons)
    from gongdan.api.error_language import BY_CODE, in_chinese

    head = (in_chinese(exc.message) or BY_CODE.get(exc.code, BY_CODE["bad_request"])) if _zh() else worded(exc.message)
    return f"{head}（{'；'.join(reasons)}）" if _zh() else f"{head} ({'; '.join(reasons)})"


__all__ = [
    "PREFIX",
    "catalogue",
    "errors_beside",
    "errors_of",
    "message_words",
    "posted",
    "sentence",
    "stored_rows",
    "worded",
]
