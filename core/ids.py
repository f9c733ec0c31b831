"""Ids from the outside world: one bound for URLs, query strings, forms and JSON bodies.

Ids are 32-bit serials on PostgreSQL and SQLite refuses integers past 64 bits, so an id a
client sends is checked against `MAX_ID` before it reaches a query: a URL with a larger
(or negative, or non-decimal) id is a 404, a body or form field with one is a validation
error — never an `OverflowError` or a database error.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter, ValidationError

MAX_ID = 2**31 - 1


def parse_id(value: Any) -> int | None:
    """`value` (int or decimal text) as an id in `1..MAX_ID`, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) <= 10):
            return None
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_ID:
        return value
    return None


class BoundedIntConverter(IntegerConverter):
    """Flask's `<int:...>` converter, bounded to what the database can hold (a larger number: 404).

    Registered as the app-wide `int` converter (`gongdan.web.create_app`), so every route of
    the core, the console and the plugins is covered, including routes added later.
    """

    def to_python(self, value: str) -> Any:
        """The number in the URL; a `ValidationError` (so no route matches) past `MAX_ID`."""
        number = super().to_python(value)
        if number > MAX_ID:
            raise ValidationError()
        return number


class Id(fields.Integer):
    """A marshmallow field for an id a client sends: an integer in `1..MAX_ID`."""

    def __init__(self, **kwargs: Any) -> None:
        extra = kwargs.pop("validate", None)
        checks = [validate.Range(min=1, max=MAX_ID, error="not a valid id")]
        if extra is not None:
            checks += extra if isinstance(extra, (list, tuple)) else [extra]
        super().__init__(validate=checks, **kwargs)
