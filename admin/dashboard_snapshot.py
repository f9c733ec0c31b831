"""The dashboard's tickets kept in memory per tenant and brought up to date by what changed.

The dashboard's figures need the tickets of the last 30 days and every open ticket: at 1,000
tickets a day that is 30,000 rows, too many to read again after every change. A `Snapshot`
reads them once (by the `(tenant, created_at)` and `(tenant, status, created_at)` indexes), and
afterwards only the tickets whose `updated_at` moved since the newest it saw (the
`(tenant, updated_at)` index; every change through the ticket service moves it), with a margin
for transactions that committed late, and reads everything again every `REBUILD_SECONDS`. The
figures are then counted in Python from the rows, as the SQL of `gongdan.admin.stats` counts
them (a test compares the two). A snapshot is built in a background thread: until it is ready
the dashboard counts with that SQL.
"""

from __future__ import annotations

import logging
import threading
from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import Any, NamedTuple

from gongdan import clock
from gongdan.db import db, is_postgres
from gongdan.models import OPEN_STATUSES, Ticket

WINDOW_DAYS = 31
"""Tickets created this many days back are kept (the figures reach 30 days)."""
OVERLAP = timedelta(seconds=15)
"""Changes read again behind the newest seen: a transaction may commit after a later one."""
REBUILD_SECONDS = 600.0
MAX_TENANTS = 64
log = logging.getLogger(__name__)


class Row(NamedTuple):
    """What the dashboard counts of one ticket: its creation (naive UTC), and its first-response
    and resolution times in hours (None when it has none)."""

    created_at: datetime
    status: str
    team_id: int | None
    assignee_id: int | None
    channel: str
    first_hours: float | None
    resolution_hours: float | None


_COLUMNS = (
    Ticket.id,
    Ticket.created_at,
    Ticket.status,
    Ticket.team,
    Ticket.assignee,
    Ticket.channel,
    Ticket.first_response_at,
    Ticket.resolved_at,
    Ticket.updated_at,
)


def _naive(value: Any) -> datetime | None:
    """A stored timestamp as naive UTC (SQLite gives text, PostgreSQL datetimes)."""
    if value is None:
        return None
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found.astimezone(UTC).replace(tzinfo=None) if found.tzinfo is not None else found


class Snapshot:
    """One tenant's open tickets and tickets of the last `WINDOW_DAYS`, by id."""

    def __init__(self, tenant_id: int) -> None:
        self.tenant_id = tenant_id
        self.rows: dict[int, Row] = {}
        self.newest: datetime | None = None
        self.built = 0.0
        self.version = 0
        """Moves whenever a read changed a row."""
        self.lock = threading.Lock()

    def _read(self, query: Any) -> None:
        found = db.execute(query).fetchall()
        stamp = _naive if is_postgres() else datetime.fromisoformat  # SQLite: naive UTC text
        rows, changed = self.rows, 0
        for ticket_id, created, status, team, assignee, channel, answered, resolved, _ in found:
            start = stamp(created)
            first = (stamp(answered) - start).total_seconds() / 3600 if answered is not None else None
            done = (stamp(resolved) - start).total_seconds() / 3600 if answered and resolved is not None else None
            row = Row(start, status, team, assignee, channel, first, done)
            if rows.get(ticket_id) != row:
                rows[ticket_id] = row
                changed += 1
        self.version += changed
        if found:
            newest = max(stamp(row[-1]) for row in found)
            self.newest = newest if self.newest is None else max(self.newest, newest)

    def _tickets(self) -> Any:
        return Ticket.select(*_COLUMNS).where(Ticket.tenant == self.tenant_id)

    def rebuild(self) -> None:
        """Read every kept ticket again."""
        self.rows, self.newest = {}, None
        self.version += 1
        since = clock.now() - timedelta(days=WINDOW_DAYS)
        self._read(self._tickets().where(Ticket.created_at >= since))
        for status in OPEN_STATUSES:  # one index range each; the window's are read already
            self._read(self._tickets().where((Ticket.status == status) & (Ticket.created_at < since)))
        self.built = monotonic()

    def refresh(self) -> None:
        """Read the tickets changed since the newest change seen."""
        with self.lock:
            if self.newest is None:
                return
            since = self.newest - OVERLAP
            self._read(self._tickets().where(Ticket.updated_at >= since).order_by(Ticket.updated_at))

    def visible(self, scope: tuple[int, int | None] | None) -> Iterable[Row]:
        """The rows a viewer with `scope` (`gongdan.permissions.ticket_scope`) may see."""
        with self.lock:  # another request may be reading changes into it
            rows = list(self.rows.values())
        if scope is None:
            return rows
        user_id, team_id = scope
        return [r for r in rows if r.assignee_id == user_id or (team_id is not None and r.team_id == team_id)]


_snapshots: dict[tuple[int, int], Snapshot] = {}
_building: set[tuple[int, int]] = set()
SYNC_ROWS = 5_000
"""A tenant with fewer tickets in the window than this has its snapshot built in the request."""


def snapshot(tenant_id: int) -> Snapshot | None:
    """The tenant's snapshot brought up to date, or None while it is first being built.

    The first call for a tenant with `SYNC_ROWS` tickets in the window or more starts building
    it in a background thread (the caller counts with SQL meanwhile); a smaller one is built at
    once. One older than `REBUILD_SECONDS` is still used and kept up to date while its
    successor is built the same way.
    """
    key = (id(db.obj), tenant_id)
    found = _snapshots.get(key)
    if found is None or monotonic() - found.built >= REBUILD_SECONDS:
        _build(key, tenant_id, small=_window_size(tenant_id) < SYNC_ROWS)
        found = _snapshots.get(key)
    if found is not None:
        found.refresh()
    return found


def _window_size(tenant_id: int) -> int:
    """The tenant's tickets created in the window, counted up to `SYNC_ROWS` (index only)."""
    since = clock.now() - timedelta(days=WINDOW_DAYS)
    inner = Ticket.select(Ticket.id).where((Ticket.tenant == tenant_id) & (Ticket.created_at >= since))
    return inner.limit(SYNC_ROWS).count()


def _build(key: tuple[int, int], tenant_id: int, small: bool) -> None:
    if small:
        fresh = Snapshot(tenant_id)
        fresh.rebuild()
        _keep(key, fresh)
        return
    if key in _building:
        return
    _building.add(key)
    threading.Thread(target=_build_apart, args=(key, tenant_id), daemon=True).start()


def _build_apart(key: tuple[int, int], tenant_id: int) -> None:
    try:
        fresh = Snapshot(tenant_id)
        fresh.rebuild()
        _keep(key, fresh)
    except Exception:  # the SQL figures stay in use; the next visit tries again
        log.exception("dashboard snapshot of tenant %s", tenant_id)
    finally:
        _building.discard(key)
        if not db.is_closed():
            db.close()  # this thread's connection


def _keep(key: tuple[int, int], fresh: Snapshot) -> None:
    if key not in _snapshots and len(_snapshots) >= MAX_TENANTS:
        _snapshots.pop(next(iter(_snapshots)))
    _snapshots[key] = fresh


def building() -> bool:
    """Whether a snapshot is being built in the background (tests poll it)."""
    return bool(_building)


def per_day(rows: Iterable[Row], bounds: list[datetime]) -> dict[str, list[int]]:
    """Tickets per channel in each `[bounds[n], bounds[n+1])` (aware datetimes)."""
    edges = [b.astimezone(UTC).replace(tzinfo=None) for b in bounds]
    series: dict[str, list[int]] = {}
    for row in rows:
        if edges[0] <= row.created_at < edges[-1]:
            day = bisect_right(edges, row.created_at) - 1
            series.setdefault(row.channel, [0] * (len(edges) - 1))[day] += 1
    return dict(sorted(series.items()))


def backlog(rows: Iterable[Row]) -> tuple[dict[str, int], dict[int | None, int]]:
    """Open tickets by status and by team id."""
    by_status = dict.fromkeys(OPEN_STATUSES, 0)
    by_team: dict[int | None, int] = {}
    for row in rows:
        if row.status in by_status:
            by_status[row.status] += 1
            by_team[row.team_id] = by_team.get(row.team_id, 0) + 1
    return by_status, by_team


def hours(rows: Iterable[Row], since: datetime) -> tuple[list[float], list[float]]:
    """First-response and resolution hours of the answered tickets created since `since`
    (resolution: of the answered ones only, as `gongdan.admin.stats.response_times`)."""
    start = since.astimezone(UTC).replace(tzinfo=None)
    recent = [row for row in rows if row.created_at >= start and row.first_hours is not None]
    first = [row.first_hours for row in recent]
    resolved = [row.resolution_hours for row in recent if row.resolution_hours is not None]
    return first, resolved  # type: ignore[return-value]


def forget() -> None:
    """Drop every snapshot (tests, the bench's first visit)."""
    _snapshots.clear()


__all__ = [
    "OVERLAP",
    "REBUILD_SECONDS",
    "SYNC_ROWS",
    "Row",
    "Snapshot",
    "backlog",
    "building",
    "forget",
    "hours",
    "per_day",
    "snapshot",
]
