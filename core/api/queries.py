"""Hot-path reads of the API with their SQL compiled once per query shape.

peewee rebuilds the SQL text of every query, and for the wide joined selects the API runs on
every request (token → user → tenant, ticket → category, team, customer, assignee) that costs
far more than the database spends answering them. A `ShapedQuery` builds its peewee query
once per database kind and shape with placeholder values, remembers which parameter is which,
and afterwards only binds the real values and hydrates rows through the same query object.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from typing import Any

import peewee

from gongdan.db import db

PLACEHOLDER_BASE = 1_900_000_000


class Placeholders:
    """Hands out one placeholder per named value while a query shape is being compiled."""

    def __init__(self) -> None:
        self.names: dict[Any, str] = {}

    def __call__(self, name: str, kind: type = int) -> Any:
        """A placeholder for value `name` (an int, or a str when `kind` is str)."""
        number = PLACEHOLDER_BASE + len(self.names)
        value = number if kind is int else f"\x1egongdan-placeholder-{number}\x1e"
        self.names[value] = name
        return value


class ShapedQuery:
    """A family of peewee SELECTs built by `build(p, *shape)`; `p(name)` marks each varying value."""

    def __init__(self, build: Callable[..., peewee.Query]) -> None:
        self.build = build
        self._compiled: dict[Hashable, tuple[peewee.Query, str, list[tuple[bool, Any]]]] = {}
        self._readers: dict[Hashable, Any] = {}

    def _compile(self, shape: tuple[Any, ...]) -> tuple[peewee.Query, str, list[tuple[bool, Any]]]:
        key = (type(db.obj), shape)
        found = self._compiled.get(key)
        if found is None:
            marks = Placeholders()
            query = self.build(marks, *shape)
            sql, params = query.sql()
            order = [(True, marks.names[p]) if _is_mark(p, marks) else (False, p) for p in params]
            found = self._compiled[key] = (query, sql, order)
        return found

    def cursor(self, shape: tuple[Any, ...], values: dict[str, Any]) -> Any:
        """Run the shape with `values` bound; returns the DB-API cursor."""
        _, sql, order = self._compile(shape)
        return db.execute_sql(sql, [values[item] if named else item for named, item in order])

    def rows(self, shape: tuple[Any, ...], values: dict[str, Any]) -> list[Any]:
        """Run the shape with `values` bound; returns the model instances (joined ones attached).

        peewee's row reader works out, per result, which column feeds which model; that is
        the same for every run of a shape, so the reader of the first run is copied after.
        """
        query, _, _ = self._compile(shape)
        cursor = self.cursor(shape, values)
        key = (type(db.obj), shape)
        reader = self._readers.get(key)
        if reader is None:
            reader = query._get_cursor_wrapper(cursor)
            rows = list(reader)
            if reader.initialized:
                self._readers[key] = copy.copy(reader)
                self._readers[key].cursor, self._readers[key].row_cache = None, []
            return rows
        reader = copy.copy(reader)
        reader.cursor, reader.count, reader.index, reader.populated, reader.row_cache = cursor, 0, 0, False, []
        return list(reader)

    def scalar(self, shape: tuple[Any, ...], values: dict[str, Any]) -> Any:
        """Run the shape with `values` bound; returns the first column of the first row."""
        row = self.cursor(shape, values).fetchone()
        return row[0] if row else None


def _is_mark(param: Any, marks: Placeholders) -> bool:
    try:
        return param in marks.names
    except TypeError:  # unhashable parameter (never a placeholder)
        return False
