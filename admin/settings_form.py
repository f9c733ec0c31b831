"""A plugin's settings form, generated from its marshmallow schema.

Each schema field becomes one input: text, number, checkbox, a select for `OneOf`, a
comma-separated line for lists, and JSON for nested values. A field's `metadata` may give
`label_zh`/`label_en` and `description_zh`/`description_en` (else `label`, `description`).
The schema itself validates (through `PluginHost.set_enabled`); its messages are shown beside
the fields, every one at once, in the console's language where marshmallow wrote them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from gongdan.schemas import Secret
from gongdan.validation import flatten_messages

SETTINGS_PREFIX = "settings."
CLEAR_SUFFIX = "__clear"


@dataclass
class SettingInput:
    """One input of the generated form."""

    name: str
    label: str
    kind: str  # text | number | checkbox | select | list | json | password
    value: Any
    required: bool = False
    help: str = ""
    choices: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    is_set: bool = False  # a secret: whether a value is stored (it is never shown)


def _kind(item: fields.Field) -> tuple[str, list[str]]:
    for validator in item.validators:
        if isinstance(validator, validate.OneOf):
            return "select", [str(c) for c in validator.choices]
    if isinstance(item, fields.Boolean):
        return "checkbox", []
    if isinstance(item, (fields.Integer, fields.Float, fields.Decimal)):
        return "number", []
    if isinstance(item, fields.List):
        return "list", []
    if isinstance(item, (fields.Dict, fields.Nested, fields.Mapping)):
        return "json", []
    if isinstance(item, Secret):
        return "password", []
    return "text", []


def _shown(kind: str, value: Any) -> Any:
    if value is None or kind == "password":
        return ""
    if kind == "list":
        return ", ".join(str(v) for v in value)
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, indent=2, default=str)
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
        inputs.append(
            SettingInput(
                name=key,
                label=_localized(item.metadata, "label") or name.replace("_", " ").capitalize(),
                kind=kind,
                value=_shown(kind, dumped.get(key)),
                required=item.required,
                help=_localized(item.metadata, "description"),
                choices=choices,
                is_set=bool((secrets or {}).get(key)),
            )
        )
    return inputs


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
        elif item.kind == "json":
            try:
                data[item.name] = json.loads(raw) if raw.strip() else None
            except ValueError:
                errors[item.name] = [gettext("Not valid JSON.")]
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


def attach_errors(inputs: list[SettingInput], fields_errors: dict[str, list[str]]) -> list[str]:
    """Put each message beside its field; returns the messages that belong to no field."""
    by_name = {item.name: item for item in inputs}
    rest: list[str] = []
    for key, messages in fields_errors.items():
        name = key[len(SETTINGS_PREFIX) :] if key.startswith(SETTINGS_PREFIX) else key
        top = name.split(".", 1)[0]
        if top in by_name:
            by_name[top].errors.extend(console_message(str(m)) for m in messages)
        else:
            rest.extend(console_message(str(m)) for m in messages)
    return rest
