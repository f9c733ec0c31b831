"""A fast path through simple marshmallow schemas for input that is plainly valid.

marshmallow spends more on loading a ticket (~70 µs) than SQLite spends storing it. For a
schema built only from `String` (and subclasses that merely add validators, such as `Email`),
`Integer`, `Boolean`, `List` and `Nested` fields, with no hooks, data keys or per-field
pre/post-load functions, `compile_schema` builds a plain-Python loader that returns exactly what
`schema.load` returns for valid input, and `None` as soon as anything is off: a missing required
field, a wrong type, an unknown key, a validator that complains. The caller then runs
marshmallow itself, which explains what is wrong. A schema outside that subset compiles to
`None`, and marshmallow does all its loading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, fields, missing
from marshmallow import ValidationError as MarshmallowValidationError

from gongdan.ids import Id

# a converter returns the loaded value, or _OFF when the value is not plainly valid
_OFF = object()
Converter = Callable[[Any], Any]


def compile_schema(schema: Schema, *, partial: bool = False) -> Callable[[Any], dict | None] | None:
    """A loader equivalent to `schema.load(data, partial=partial)` for valid data (None when
    the data needs marshmallow), or None when `schema` is outside the supported subset."""
    convert = _schema_converter(schema, partial)
    if convert is None:
        return None

    def load(data: Any) -> dict | None:
        loaded = convert(data)
        return None if loaded is _OFF else loaded

    return load


def _schema_converter(schema: Schema, partial: bool) -> Converter | None:
    if any(schema._hooks.values()) or schema.many or schema.unknown not in (RAISE, EXCLUDE):
        return None
    plan: list[tuple[str, fields.Field, Converter]] = []
    for name, field in schema.load_fields.items():
        if field.data_key not in (None, name) or field.attribute not in (None, name):
            return None
        convert = _field_converter(field, partial)
        if convert is None:
            return None
        plan.append((name, field, convert))
    known = frozenset(name for name, _, _ in plan)
    strict = schema.unknown == RAISE

    def convert_schema(data: Any) -> Any:
        if type(data) is not dict or (strict and not known.issuperset(data)):
            return _OFF
        loaded = {}
        for name, field, convert in plan:
            if name in data:
                value = convert(data[name])
                if value is _OFF:
                    return _OFF
                loaded[name] = value
            elif partial:
                continue
            elif field.required:
                return _OFF
            elif field.load_default is not missing:
                default = field.load_default
                loaded[name] = default() if callable(default) else default
        return loaded

    return convert_schema


def _field_converter(field: fields.Field, partial: bool) -> Converter | None:
    if getattr(field, "pre_load", None) or getattr(field, "post_load", None):
        return None
    base = _base_converter(field, partial)
    if base is None:
        return None
    allow_none = field.allow_none
    validators = list(field.validators)

    def convert(value: Any) -> Any:
        if value is None:
            return None if allow_none else _OFF
        loaded = base(value)
        if loaded is _OFF:
            return _OFF
        try:
            for validator in validators:
                if validator(loaded) is False:
                    return _OFF
        except MarshmallowValidationError:
            return _OFF
        return loaded

    return convert


def _base_converter(field: fields.Field, partial: bool) -> Converter | None:
    kind = type(field)
    if kind in (fields.String, fields.Email):
        return _exactly(str)
    if kind in (fields.Integer, Id):
        return _exactly(int)
    if kind is fields.Boolean:
        return _exactly(bool)
    if kind is fields.List:
        return _list_converter(field, partial)
    if kind is fields.Nested and field.only is None and not field.exclude and not field.many and field.unknown is None:
        nested = field.schema
        return _schema_converter(nested, partial) if isinstance(nested, Schema) else None
    return None


def _exactly(kind: type) -> Converter:
    """Values of exactly `kind` load as themselves (marshmallow would coerce the others)."""

    def convert(value: Any) -> Any:
        return value if type(value) is kind else _OFF

    return convert


def _list_converter(field: fields.List, partial: bool) -> Converter | None:
    inner = _field_converter(field.inner, partial)
    if inner is None:
        return None

    def convert(value: Any) -> Any:
        if type(value) is not list:
            return _OFF
        loaded = [inner(item) for item in value]
        return _OFF if any(item is _OFF for item in loaded) else loaded

    return convert
