"""Hot-path reads (API and ticket service) with their SQL compiled once per query shape.

peewee rebuilds the SQL text of every query, and for the wide joined selects the API runs on
every request (token → user → tenant, ticket → category, team, customer, assignee) that costs
far more than the database spends answering them. A `ShapedQuery` builds its peewee query
once per database kind and shape with placeholder values, remembers which parameter is which,
and afterwards only binds the real values and hydrates rows through the same query object.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import peewee

from gongdan.db import db
from gongdan.statements import hydrate

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
        self._plans: dict[Hashable, RowPlan] = {}

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

    def query(self, shape: tuple[Any, ...]) -> peewee.Query:
        """The peewee query compiled for `shape` on the bound database (its columns, in order)."""
        return self._compile(shape)[0]

    def cursor(self, shape: tuple[Any, ...], values: dict[str, Any]) -> Any:
        """Run the shape with `values` bound; returns the DB-API cursor."""
        _, sql, order = self._compile(shape)
        return db.execute_sql(sql, [values[item] if named else item for named, item in order])

    def rows(self, shape: tuple[Any, ...], values: dict[str, Any]) -> list[Any]:
        """Run the shape with `values` bound; returns the model instances (joined ones attached).

        The first run reads rows with peewee; what it worked out (which column feeds which
        field of which model, which joins hang where) is then kept as a `RowPlan` that reads
        the rows of later runs directly into the models' data.
        """
        query, _, _ = self._compile(shape)
        cursor = self.cursor(shape, values)
        key = (type(db.obj), shape)
        plan = self._plans.get(key)
        if plan is not None and plan.readable:
            return [plan.read(row) for row in cursor.fetchall()]
        reader = query._get_cursor_wrapper(cursor)
        rows = list(reader)
        if plan is None and reader.initialized:
            self._plans[key] = RowPlan.of(reader)
        return rows

    def scalar(self, shape: tuple[Any, ...], values: dict[str, Any]) -> Any:
        """Run the shape with `values` bound; returns the first column of the first row."""
        row = self.cursor(shape, values).fetchone()
        return row[0] if row else None


def _is_mark(param: Any, marks: Placeholders) -> bool:
    try:
        return param in marks.names
    except TypeError:  # unhashable parameter (never a placeholder)
        return False


class RowPlan:
    """How to turn one result row of a joined model select into its model instances."""

    def __init__(
        self,
        root: type[peewee.Model],
        columns: list[tuple[type[peewee.Model], list[tuple[int, str, Any]]]],
        joins: list[tuple[type[peewee.Model], str, type[peewee.Model], bool]],
    ) -> None:
        self.root = root
        self.columns = columns
        self.joins = joins
        self.readable = True

    @classmethod
    def of(cls, reader: Any) -> RowPlan:
        """The plan of an initialized peewee `ModelCursorWrapper` (or an unreadable one)."""
        plan = cls(reader.model, [], [])
        by_model: dict[Any, list[tuple[int, str, Any]]] = {}
        for idx, field in enumerate(reader.fields):
            if not isinstance(field, peewee.Field) or isinstance(field, peewee.FieldAlias):
                plan.readable = False
                return plan
            by_model.setdefault(field.model, []).append((idx, field.name, reader.converters[idx]))
        plan.columns = list(by_model.items())
        for src, attr, dest, is_dict, is_outer, is_fk in getattr(reader, "src_to_dest", ()):
            further = getattr(reader, "_dest_reachable", {}).get(dest)
            if is_dict or not is_fk or (is_outer and further) or dest not in by_model:
                plan.readable = False
                return plan
            plan.joins.append((src, attr, dest, is_outer))
        return plan

    def read(self, row: tuple[Any, ...]) -> peewee.Model:
        """The root model instance of `row`, with the joined instances attached."""
        objects: dict[Any, peewee.Model] = {}
        present: set[Any] = set()
        for model, columns in self.columns:
            data = {}
            for idx, name, converter in columns:
                value = row[idx]
                if value is not None:
                    present.add(model)
                data[name] = value if converter is None else converter(value)
            objects[model] = hydrate(model, data)
        for src, attr, dest, is_outer in self.joins:
            joined = objects[dest] if dest in present or not is_outer else None
            objects[src].__rel__[attr] = joined
        return objects[self.root]
