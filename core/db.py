"""The database every model is bound to, opened from a URL (SQLite in WAL mode or PostgreSQL)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import peewee
from playhouse.db_url import connect as connect_url

db = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 30_000,
    "cache_size": -32_000,
}


def open_database(url: str) -> peewee.Database:
    """Open the database at `url` and bind every model to it; returns the database."""
    if url.startswith("sqlite"):
        database = connect_url(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    else:
        database = connect_url(url)
    db.initialize(database)
    return database


def is_postgres() -> bool:
    """True when the bound database is PostgreSQL."""
    return isinstance(db.obj, peewee.PostgresqlDatabase)


def sqlite_path() -> str | None:
    """The file of a bound SQLite database, or None (PostgreSQL, or in-memory)."""
    if isinstance(db.obj, peewee.SqliteDatabase) and db.obj.database not in ("", ":memory:"):
        return db.obj.database
    return None


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """A transaction that takes the write lock at once on SQLite (BEGIN IMMEDIATE).

    Taking it up front avoids the deadlock two SQLite writers meet when both upgrade a read
    transaction; on PostgreSQL it is a plain transaction. Nested calls become savepoints.
    """
    if isinstance(db.obj, peewee.SqliteDatabase) and not db.in_transaction():
        with db.atomic("IMMEDIATE"):
            yield
    else:
        with db.atomic():
            yield
