"""Hot-path SQL compiled once per shape (peewee rebuilds query text on every call, which costs
more than SQLite spends running it); `?` marks become the database's own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import peewee

from gongdan.statements import PreparedStatement

_cache: dict[tuple[Any, ...], PreparedStatement] = {}


def run(template: str, params: Sequence[Any], **tables: type[peewee.Model]) -> Any:
    """Execute `template` (`{name}` for each table in `tables`, `?` for parameters); the cursor."""
    key = (template, *sorted(tables))
    statement = _cache.get(key)
    if statement is None:
        statement = _cache[key] = PreparedStatement(template, **tables)
    return statement.execute(params)


def marks(count: int) -> str:
    """`?, ?, ?` for `count` parameters."""
    return ", ".join("?" * count)
