"""Pre-compiled SQL for the ticket service's hot path.

peewee rebuilds the SQL text of every query, which costs more than SQLite spends executing
it; these statements are compiled once per database and reuse peewee's field conversions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import peewee

from gongdan.db import db, is_postgres


class PreparedInsert:
    """`INSERT INTO model (fields...) VALUES (...)` returning the new id."""

    def __init__(self, model: type[peewee.Model], fields: Sequence[str]) -> None:
        self.model = model
        self.fields = [model._meta.fields[name] for name in fields]
        self._sql: dict[type, str] = {}

    def _text(self) -> str:
        kind = type(db.obj)
        sql = self._sql.get(kind)
        if sql is None:
            table = _quote(self.model._meta.table_name)
            columns = ", ".join(_quote(f.column_name) for f in self.fields)
            marks = ", ".join(db.param for _ in self.fields)
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
            if is_postgres():
                sql += f" RETURNING {_quote(self.model._meta.primary_key.column_name)}"
            self._sql[kind] = sql
        return sql

    def execute(self, values: dict[str, Any]) -> int:
        """Insert one row (fields missing from `values` get their defaults); returns its id."""
        params = [f.db_value(values[f.name] if f.name in values else _default(f)) for f in self.fields]
        cursor = db.execute_sql(self._text(), params)
        return cursor.fetchone()[0] if is_postgres() else cursor.lastrowid


class PreparedStatement:
    """Any parameterised statement, written once with `{table}`-style names and `?` marks."""

    def __init__(self, template: str, **tables: type[peewee.Model]) -> None:
        self.template = template
        self.tables = tables
        self._sql: dict[type, str] = {}

    def execute(self, params: Sequence[Any]) -> Any:
        """Run with `params`; returns the cursor."""
        kind = type(db.obj)
        sql = self._sql.get(kind)
        if sql is None:
            names = {key: _quote(model._meta.table_name) for key, model in self.tables.items()}
            sql = self.template.format(**names).replace("?", db.param)
            self._sql[kind] = sql
        return db.execute_sql(sql, list(params))


def _quote(name: str) -> str:
    """A quoted identifier (SQLite and PostgreSQL both take double quotes)."""
    return f'"{name}"'


def _default(field: peewee.Field) -> Any:
    default = field.default
    return default() if callable(default) else default
