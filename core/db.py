"""The database every model is bound to, opened from a URL (SQLite in WAL mode or PostgreSQL)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

import peewee
from playhouse.db_url import connect as connect_url


class _DatabaseProxy(peewee.DatabaseProxy):
    """peewee's proxy, whose transactions and savepoints serve `after_commit` (see below)."""

    def transaction(self, *args: object, **kwargs: object) -> peewee._transaction:
        """The outermost transaction (what `atomic()` opens at depth 0)."""
        return _Transaction(self, *args, **kwargs)

    def savepoint(self) -> peewee._savepoint:
        """A savepoint (what `atomic()` opens inside a transaction)."""
        return _Savepoint(self)


db = _DatabaseProxy()
log = logging.getLogger("gongdan.db")

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": 30_000,
    "cache_size": -32_000,
}


def open_database(url: str) -> peewee.Database:
    """Open the database at `url` and bind every model to it; returns the database.

    Calls the `on_open` callbacks first: what a process keeps of the previous database is stale.
    """
    if url.startswith("sqlite"):
        database = connect_url(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    elif "options=" in url:  # the operator's own server options
        database = connect_url(url)
    else:  # no JIT: it compiled a 1 ms list query for 450 ms whenever the planner's estimate was high
        database = connect_url(url, options="-c jit=off")
    _track_commits(database)
    db.initialize(database)
    for callback in _on_open:
        callback()
    return database


_on_open: list[Callable[[], None]] = []


def on_open(callback: Callable[[], None]) -> None:
    """Call `callback()` whenever a database is opened (to drop in-memory figures of the last one)."""
    if callback not in _on_open:
        _on_open.append(callback)


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


# --- after the outermost commit -----------------------------------------------------------
#
# peewee runs `db.atomic()` as a transaction at depth 0 and as a savepoint inside one; `db` and
# the database behind it hand out our two subclasses of those (`_DatabaseProxy`,
# `_track_commits`), which keep a queue of callbacks per connection (peewee's connection state
# is per thread): the outermost commit runs it, a rollback of the transaction drops it, and a
# rollback to a savepoint drops what was queued since that savepoint began.


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the outermost transaction of this thread's connection has committed.

    Outside a transaction it runs at once. Callbacks run in the order they were queued, outside
    any transaction (each may open its own); a rollback of the transaction, or of the savepoint
    that was open when the callback was queued, drops it unrun. A callback that raises is logged
    (`gongdan.db`) and the others still run: the commit is never undone by what follows it.
    Work that must not be lost if the process dies right after the commit needs its own
    durable record (the ticket service's undispatched events are such a record).
    """
    database = db.obj
    if database is None or not database.in_transaction() or not getattr(database, "_gongdan_tracked", False):
        _run_one(callback)
        return
    _queue(database).append(callback)


def _queue(database: peewee.Database) -> list[Callable[[], None]]:
    state = database._state
    queue = getattr(state, "gongdan_after_commit", None)
    if queue is None:
        queue = state.gongdan_after_commit = []
    return queue


def _run_one(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:  # the commit stands: say what failed and go on
        log.exception("a callback after the commit failed: %r", callback)


def _run_queued(database: peewee.Database) -> None:
    queue = _queue(database)
    todo = list(queue)
    queue.clear()  # a callback's own transaction then runs only what it queued itself, at its commit
    for callback in todo:
        _run_one(callback)


class _Transaction(peewee._transaction):
    """peewee's transaction; after the outermost commit it runs the `after_commit` queue."""

    def commit(self, begin: bool = True) -> None:
        super().commit(begin)
        if self.db.transaction_depth() == 0:
            _run_queued(self.db)

    def rollback(self, begin: bool = True) -> None:
        try:
            super().rollback(begin)
        finally:  # even when the connection is gone: nothing queued in it may run later
            _queue(self.db).clear()


class _Savepoint(peewee._savepoint):
    """peewee's savepoint; rolling back to it drops the callbacks queued since it began."""

    _mark = 0

    def __init__(self, database: peewee.Database, sid: str | None = None) -> None:
        # named by nesting depth, not peewee's random uuid: the same few statements each time,
        # prepared once by the driver's statement cache (a hook batch opens several per ticket)
        super().__init__(database, sid or f"gongdan_sp{database.transaction_depth()}")

    def _begin(self) -> None:
        super()._begin()
        self._mark = len(_queue(self.db))

    def rollback(self, begin: bool = True) -> None:
        mark = self._mark
        super().rollback(begin=False)
        del _queue(self.db)[mark:]
        if begin:
            self._begin()


def _track_commits(database: peewee.Database) -> None:
    """Give `database` the transaction and savepoint classes that serve `after_commit`."""
    database.transaction = lambda *args, **kwargs: _Transaction(database, *args, **kwargs)
    database.savepoint = lambda: _Savepoint(database)
    database._gongdan_tracked = True
