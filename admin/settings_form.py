"""A plugin's settings form, generated from its marshmallow schema.

Each schema field becomes one input: text, number, checkbox, a select for `OneOf` or a string
with `metadata["choices"]`, ticks for a list with choices, a comma-separated line for lists of
words; a mapping (`fields.Dict`) becomes rows of key and value,
a list of nested schemas rows of the nested fields, one nested schema a group of its fields —
repeatable rows named as `gongdan.admin.form_rows` reads them (nobody types JSON). A field's `metadata` may give
`label_zh`/`label_en` and `description_zh`/`description_en` (else `label`, `description`), and a
select's words for its codes as `choice_labels_zh`/`choice_labels_en` (else `choice_labels`; the
core's priorities and statuses are worded without it).
The schema itself validates (through `PluginHost.set_enabled`); its messages are shown beside
the fields, every one at once, in the console's language where marshmallow wrote them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from gongdan.admin import form_rows
from gongdan.schemas import Secret
from gongdan.validation import flatten_messages

SETTINGS_PREFIX = "settings."
CLEAR_SUFFIX = "__clear"


@dataclass
class SettingInput:
    """One input of the generated form (or, for `mapping`, `rows` and `group`, a set of rows).

    `parts` are the inputs of one row (a mapping's key and value; a nested schema's fields);
    `rows` the values shown in each row (`{part name: text}`); `single` a group of one row.
    """

    name: str
    label: str
    kind: str  # text | number | checkbox | select | checks | list | password | mapping | rows | group
    value: Any
    required: bool = False
    help: str = ""
    choices: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    is_set: bool = False  # a secret: whether a value is stored (it is never shown)
    parts: list[SettingInput] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    choice_labels: dict[str, str] = field(default_factory=dict)  # a select's code → words shown


def _choice_labels(metadata: dict[str, Any], choices: list[str]) -> dict[str, str]:
    """Words for a select's codes: the field's `choice_labels_zh`/`_en` (or `choice_labels`), else
    the console's own labels when the codes are the core's priorities or statuses."""
    zh = str(get_locale() or "en").startswith("zh")
    given = metadata.get("choice_labels_zh" if zh else "choice_labels_en") or metadata.get("choice_labels") or {}
    if given:
        return {code: str(given.get(code, code)) for code in choices}
    from gongdan.admin.labels import PRIORITY_LABELS, STATUS_LABELS

    for table in (PRIORITY_LABELS, STATUS_LABELS):
        if choices and set(choices) <= set(table):
            return {code: str(table[code]) for code in choices}
    return {}


ROW_KINDS = ("mapping", "rows", "group")


def _one_of(item: fields.Field | None) -> list[str]:
    for validator in getattr(item, "validators", ()) or ():
        if isinstance(validator, validate.OneOf):
            return [str(c) for c in validator.choices]
    return []


def _offered(item: fields.Field) -> list[str] | None:
    """The field's `metadata["choices"]` (a list, or a callable such as the tenant's teams), if any."""
    offered = item.metadata.get("choices")
    if offered is None:
        return None
    return [str(c) for c in (offered() if callable(offered) else offered)]


def _kind(item: fields.Field) -> tuple[str, list[str]]:
    if _one_of(item):
        return "select", _one_of(item)
    if isinstance(item, fields.String) and _offered(item) is not None:
        return "select", _offered(item) or []
    if isinstance(item, fields.Boolean):
        return "checkbox", []
    if isinstance(item, (fields.Integer, fields.Float, fields.Decimal)):
        return "number", []
    if isinstance(item, fields.List) and _offered(item) is not None:
        return "checks", _offered(item) or []
    if isinstance(item, fields.List):
        return ("rows", []) if isinstance(item.inner, fields.Nested) else ("list", [])
    if isinstance(item, fields.Nested):
        return ("rows" if item.many else "group"), []
    if isinstance(item, (fields.Dict, fields.Mapping)):
        return "mapping", []
    if isinstance(item, Secret):
        return "password", []
    return "text", []


def _part(name: str, item: fields.Field | None, label: str = "") -> SettingInput:
    """One input of a row: its kind from the field (text when the field says nothing)."""
    kind, choices = _kind(item) if item is not None else ("text", [])
    if kind in (*ROW_KINDS, "password"):
        kind = "text"  # rows within rows are not offered: their text is read as one value
    metadata = getattr(item, "metadata", {}) or {}
    return SettingInput(
        name=name,
        label=_localized(metadata, "label") or label or name.replace("_", " ").capitalize(),
        kind=kind,
        value="",
        required=bool(getattr(item, "required", False)),
        help=_localized(metadata, "description"),
        choices=choices,
        choice_labels=_choice_labels(metadata, choices),
    )


def _parts(item: fields.Field, kind: str) -> list[SettingInput]:
    if kind == "mapping":
        return [
            _part("key", getattr(item, "key_field", None), str(_l("Key"))),
            _part("value", getattr(item, "value_field", None), str(_l("Value"))),
        ]
    nested = item.inner if isinstance(item, fields.List) else item
    schema = nested.schema  # type: ignore[union-attr]
    return [_part(sub.data_key or sub_name, sub) for sub_name, sub in schema.fields.items() if not sub.dump_only]


def _text(part: SettingInput, value: Any) -> Any:
    if part.kind == "checkbox":
        return bool(value)
    if value is None:
        return ""
    if part.kind == "list":
        return ", ".join(str(v) for v in value)
    return str(value)


def _rows(kind: str, parts: list[SettingInput], value: Any) -> list[dict[str, Any]]:
    if not value or kind not in ROW_KINDS:
        return []
    if kind == "mapping":
        return [{"key": str(k), "value": _text(parts[1], v)} for k, v in value.items()]
    items = [value] if kind == "group" else value
    return [{p.name: _text(p, (item or {}).get(p.name)) for p in parts} for item in items]


def _shown(kind: str, value: Any) -> Any:
    if value is None or kind == "password" or kind in ROW_KINDS:
        return ""
    if kind == "list":
        return ", ".join(str(v) for v in value)
    if kind == "checks":
        return [str(v) for v in value]
    return value


def _localized(metadata: dict[str, Any], key: str) -> str:
    """`metadata[key + "_zh"]` in the Chinese console, else `key + "_en"`, else `key`."""
    zh = str(get_locale() or "en").startswith("zh")
    found = metadata.get(f"{key}_zh") if zh else metadata.get(f"{key}_en")
    return str(found or metadata.get(key) or "")


# marshmallow's own messages, in the console's language (the schema's messages stay English in the API)
MARSHMALLOW_MESSAGES = {
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid number.": _l("Not a valid number."),
    "Not a valid email address.": _l("Not a valid email address."),
    "Not a valid URL.": _l("Not a valid URL."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid mapping type.": _l("Not a valid mapping type."),
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Unknown field.": _l("Unknown field."),
}
RANGE = re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$")


def console_message(message: str) -> str:
    """A schema message in the console's language (unknown messages as they are)."""
    known = MARSHMALLOW_MESSAGES.get(message)
    if known is not None:
        return str(known)
    found = RANGE.match(message)
    if found:
        return gettext("Must be between %(low)s and %(high)s.", low=found.group(1), high=found.group(2))
    for known_pattern in form_rows.COMMON:
        rendered = known_pattern.render(message)
        if rendered is not None:
            return rendered
    return message


def build_inputs(
    schema_cls: type[Schema], current: dict[str, Any], secrets: dict[str, bool] | None = None
) -> list[SettingInput]:
    """The inputs for `schema_cls`, filled with `current` (the settings without secrets).

    `secrets` tells for each secret whether it is set; its value is never put in the form.
    """
    schema = schema_cls()
    dumped = schema.dump(current)
    inputs = []
    for name, item in schema.fields.items():
        if item.dump_only:
            continue
        kind, choices = _kind(item)
        key = item.data_key or name
        if kind == "checks":  # a value no longer offered stays visible (and ticked) until unticked
            choices += [str(v) for v in dumped.get(key) or () if str(v) not in choices]
        elif kind == "select" and dumped.get(key) not in (None, *choices):  # and a chosen one until changed
            choices.append(str(dumped[key]))
        parts = _parts(item, kind) if kind in ROW_KINDS else []
        inputs.append(
            SettingInput(
                name=key,
                label=_localized(item.metadata, "label") or name.replace("_", " ").capitalize(),
                kind=kind,
                value=_shown(kind, dumped.get(key)),
                required=item.required,
                help=_localized(item.metadata, "description"),
                choices=choices,
                choice_labels=_choice_labels(item.metadata, choices),
                is_set=bool((secrets or {}).get(key)),
                parts=parts,
                rows=_rows(kind, parts, dumped.get(key)),
            )
        )
    return inputs


def _read_part(part: SettingInput, row: form_rows.FormRow) -> Any:
    if part.kind == "checkbox":
        return bool(row.getlist(part.name))
    if part.kind == "list":
        return form_rows.words(row.get(part.name))
    text = row.get(part.name)
    return None if text == "" and not part.required and part.kind != "text" else text


def _read_rows(item: SettingInput, form: Any, errors: dict[str, list[str]]) -> Any:
    """A row input's value from its posted rows; the rows as posted stay in `item.rows`."""
    ignore = [p.name for p in item.parts if p.kind in ("select", "checkbox")] if item.kind != "mapping" else []
    found = form_rows.rows(form, item.name, ignore=ignore)
    item.rows = [
        {p.name: (bool(r.getlist(p.name)) if p.kind == "checkbox" else r.get(p.name)) for p in item.parts}
        for r in found
    ]
    if item.kind == "mapping":
        mapping: dict[str, Any] = {}
        for row in found:
            key = row.get("key")
            if not key:
                errors.setdefault(item.name, []).append(gettext("Give each row a key."))
            elif key in mapping:
                errors.setdefault(item.name, []).append(gettext("The key %(key)s is listed twice.", key=key))
            mapping[key] = row.get("value")
        return mapping
    values = [{p.name: _read_part(p, row) for p in item.parts} for row in found]
    values = [{k: v for k, v in value.items() if v is not None} for value in values]
    if item.kind == "group":
        return values[0] if values else None
    return values


def read_form(inputs: list[SettingInput], form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The submitted settings (raw, for the schema to load) and the errors found parsing them.

    A secret left blank is omitted, so the stored value stays; its "clear" box empties it.
    """
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for item in inputs:
        raw = form.get(item.name, "")
        if item.kind == "checkbox":
            data[item.name] = item.name in form
        elif item.kind == "list":
            data[item.name] = [v.strip() for v in raw.replace("，", ",").replace("\n", ",").split(",") if v.strip()]
        elif item.kind == "checks":
            data[item.name] = [v for v in form.getlist(item.name) if v]
            item.value = data[item.name]
            continue
        elif item.kind in ROW_KINDS:
            value = _read_rows(item, form, errors)
            if value is not None or item.required:
                data[item.name] = value
            continue
        elif item.kind == "password" and raw == "":
            if item.name + CLEAR_SUFFIX in form:
                data[item.name] = ""
            continue
        elif raw == "" and not item.required:
            continue
        else:
            data[item.name] = raw
        item.value = raw if item.kind != "checkbox" else data[item.name]
    return data, errors


def all_errors(schema_cls: type[Schema], data: dict[str, Any], parse_errors: dict[str, list[str]]) -> dict:
    """Every error at once: the fields that did not parse, and what the schema says of the rest."""
    found = flatten_messages(schema_cls().validate(data))
    kept = {key: why for key, why in found.items() if key.split(".", 1)[0] not in parse_errors}
    return {**kept, **parse_errors}


def _row_of(item: SettingInput, path: str) -> str:
    """Which row of a row input a message is about, as a prefix: the mapping's key, else the row's number."""
    if item.kind not in ROW_KINDS or not path:
        return ""
    first = path.split(".", 1)[0]
    if item.kind == "mapping":
        return f"{first}: "
    if item.kind == "rows" and first.isdigit():
        return gettext("Row %(n)s: ", n=int(first) + 1)
    return ""


def attach_errors(inputs: list[SettingInput], fields_errors: dict[str, list[str]]) -> list[str]:
    """Put each message beside its field; returns the messages that belong to no field."""
    by_name = {item.name: item for item in inputs}
    rest: list[str] = []
    for key, messages in fields_errors.items():
        name = key[len(SETTINGS_PREFIX) :] if key.startswith(SETTINGS_PREFIX) else key
        top, _, path = name.partition(".")
        if top in by_name:
            where = _row_of(by_name[top], path)
            by_name[top].errors.extend(where + console_message(str(m)) for m in messages)
        else:
            rest.extend(console_message(str(m)) for m in messages)
    return rest
