"""Running a marshmallow schema and turning its complaints into a `gongdan.errors.ValidationError`."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError as MarshmallowValidationError

from gongdan.errors import ValidationError


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as `{"customer.email": ["Not a valid email address."]}`."""
    if isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "_schema": list(messages)}
        flat: dict[str, list[str]] = {}
        for item in messages:
            for key, value in flatten_messages(item, prefix).items():
                flat.setdefault(key, []).extend(value)
        return flat
    if isinstance(messages, dict):
        flat = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_messages(value, name))
        return flat
    return {prefix or "_schema": [str(messages)]}


def load(schema: Schema | type[Schema], data: Any, *, partial: bool = False) -> Any:
    """Load `data` through `schema`; a ValidationError names every bad field and why."""
    instance = schema() if isinstance(schema, type) else schema
    if not isinstance(data, dict) and not instance.many:
        raise ValidationError("the body must be a JSON object", {"_schema": ["expected a JSON object"]})
    try:
        return instance.load(data, partial=partial)
    except MarshmallowValidationError as exc:
        fields = flatten_messages(exc.messages)
        names = ", ".join(sorted(fields))
        raise ValidationError(f"invalid input: {names}", fields) from None
