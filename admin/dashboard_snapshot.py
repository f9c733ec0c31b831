"""The dashboard's tickets kept in memory per tenant and brought up to date by what changed.

The dashboard's figures need the tickets of the last 30 days and every open ticket: at 1,000
tickets a day that is 30,000 rows, too many to read again after every change. A `Snapshot`
reads them once (by the `(tenant, created_at)` and `(tenant, status, created_at)` indexes), and
afterwards only the tickets whose `updated_at` moved since the newest it saw (the
`(tenant, updated_at)` index; every change through the ticket service moves it), with a margin
for transactions that committed late, and reads everything again every `REBUILD_SECONDS`. The
figures are then counted in Python from the rows, as the SQL of `gongdan.admin.stats` counts
them (a test compares the two).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from time import monotonic
from typing import Any, NamedTuple

from gongdan import clock
from gongdan.db import db
from gongdan.models import OPEN_STATUSES, Ticket

WINDOW_DAYS = 31
"""Tickets created this many days back are kept (the figures reach 30 days)."""
OVERLAP = timedelta(seconds=15)
"""Changes read again behind the newest seen: a transaction may commit after a later one."""
REBUILD_SECONDS = 600.0
MAX_TENANTS = 64


class Row(NamedTuple):
    """What the dashboard counts of one ticket (naive UTC times)."""

    created_at: datetime
    status: str
    team_id: int | None
    assignee_id: int | None
    channel: str
    first_response_at: datetime | None
    resolved_at: datetime | None


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
        for ticket_id, created, status, team, assignee, channel, answered, resolved, updated in db.execute(query):
            row = Row(_naive(created), status, team, assignee, channel, _naive(answered), _naive(resolved))
            if self.rows.get(ticket_id) != row:
                self.rows[ticket_id] = row
                self.version += 1
            stamp = _naive(updated)
            if stamp is not None and (self.newest is None or stamp > self.newest):
                self.newest = stamp

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
        """Read the tickets changed since the newest change seen (all of them when due)."""
        with self.lock:
            if self.newest is None or monotonic() - self.built >= REBUILD_SECONDS:
                self.rebuild()
                return
            since = self.newest - OVERLAP
            self._read(self._tickets().where(Ticket.updated_at >= since).order_by(Ticket.updated_at))

    def visible(self, scope: tuple[int, int | None] | None) -> Iterable[Row]:
        """The rows a viewer with `scope` (`gongdan.permissions.ticket_scope`) may see."""
        rows = self.rows.values()
        if scope is None:
            return rows
        user_id, team_id = scope
        return [r for r in rows if r.assignee_id == user_id or (team_id is not None and r.team_id == team_id)]


_snapshots: dict[tuple[int, int], Snapshot] = {}


def snapshot(tenant_id: int) -> Snapshot:
    """The tenant's snapshot, brought up to date."""
    key = (id(db.obj), tenant_id)
    found = _snapshots.get(key)
    if found is None:
        if len(_snapshots) >= MAX_TENANTS:
            _snapshots.pop(next(iter(_snapshots)))
        found = _snapshots[key] = Snapshot(tenant_id)
    found.refresh()
    return found


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
    """First-response and resolution hours of the answered tickets created since `since`."""
    start = since.astimezone(UTC).replace(tzinfo=None)
    first: list[float] = []
    resolved: list[float] = []
    for row in rows:
        if row.created_at >= start and row.first_response_at is not None:
            first.append((row.first_response_at - row.created_at).total_seconds() / 3600)
            if row.resolved_at is not None:
                resolved.append((row.resolved_at - row.created_at).total_seconds() / 3600)
    return first, resolved


def forget() -> None:
    """Drop every snapshot (tests, the bench's first visit)."""
    _snapshots.clear()


__all__ = ["OVERLAP", "REBUILD_SECONDS", "Row", "Snapshot", "backlog", "forget", "hours", "per_day", "snapshot"]
