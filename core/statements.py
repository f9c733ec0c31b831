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
    """`INSERT INTO model (fields...) VALUES (...)`, giving back the stored instance."""

    def __init__(self, model: type[peewee.Model], fields: Sequence[str]) -> None:
        self.model = model
        self.fields = [model._meta.fields[name] for name in fields]
        # values of these Python types go to the driver as they are; others through db_value
        self._plan = [(f.name, f, _PLAIN.get(type(_stored(f)))) for f in self.fields]
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

    def insert(self, values: dict[str, Any]) -> peewee.Model:
        """Insert one row from `values` (references as ids; missing fields get their defaults).

        Returns the row as a model instance with its new id, as a read would give it.
        """
        data: dict[str, Any] = {}
        params = []
        for name, field, plain in self._plan:
            value = values[name] if name in values else _default(field)
            data[name] = value
            params.append(value if value is None or type(value) is plain else field.db_value(value))
        cursor = db.execute_sql(self._text(), params)
        data[self.model._meta.primary_key.name] = cursor.fetchone()[0] if is_postgres() else cursor.lastrowid
        return hydrate(self.model, data)


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


def hydrate(model: type[peewee.Model], data: dict[str, Any]) -> peewee.Model:
    """An instance of `model` holding `data` (field name → Python value) as stored: nothing dirty."""
    instance = model(__no_default__=True)
    instance.__data__ = data
    return instance


def attached(instance: peewee.Model, name: str) -> peewee.Model | None:
    """The instance `instance` already holds for its reference `name`, if it is the stored one.

    None when the relation was never set or loaded (reading it would cost a query).
    """
    held = instance.__rel__.get(name)
    return held if held is not None and held.id == getattr(instance, f"{name}_id") else None


_PLAIN = {
    peewee.CharField: str,
    peewee.TextField: str,
    peewee.IntegerField: int,
    peewee.SmallIntegerField: int,
    peewee.BigIntegerField: int,
    peewee.AutoField: int,
}


def _stored(field: peewee.Field) -> peewee.Field:
    """The field whose column type holds `field`'s values (a reference stores the key)."""
    return field.rel_field if isinstance(field, peewee.ForeignKeyField) else field


def _quote(name: str) -> str:
    """A quoted identifier (SQLite and PostgreSQL both take double quotes)."""
    return f'"{name}"'


def _default(field: peewee.Field) -> Any:
    default = field.default
    return default() if callable(default) else default
