"""Running a marshmallow schema and turning its complaints into a `gongdan.errors.ValidationError`."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError as MarshmallowValidationError

from gongdan.errors import ValidationError
from gongdan.quickload import compile_schema


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


_quick: dict[Hashable, Callable[[Any], dict | None] | None] = {}


def _quick_loader(schema: Schema, partial: bool) -> Callable[[Any], dict | None] | None:
    """The compiled fast path of `schema` (one per schema class, options and partial)."""
    key = (type(schema), schema.many, schema.only, tuple(schema.exclude), schema.unknown, schema.partial, partial)
    if key not in _quick:
        _quick[key] = compile_schema(schema, partial=partial) if not schema.partial else None
    return _quick[key]


def load(schema: Schema | type[Schema], data: Any, *, partial: bool = False) -> Any:
    """Load `data` through `schema`; a ValidationError names every bad field and why.

    Plainly valid input takes the compiled fast path of `gongdan.quickload`; anything else
    goes through marshmallow, which gives the same result or explains what is wrong.
    """
    instance = schema() if isinstance(schema, type) else schema
    if not isinstance(data, dict) and not instance.many:
        raise ValidationError("the body must be a JSON object", {"_schema": ["expected a JSON object"]})
    quick = _quick_loader(instance, partial)
    loaded = quick(data) if quick is not None else None
    if loaded is not None:
        return loaded
    try:
        return instance.load(data, partial=partial)
    except MarshmallowValidationError as exc:
        fields = flatten_messages(exc.messages)
        names = ", ".join(sorted(fields))
        raise ValidationError(f"invalid input: {names}", fields) from None
