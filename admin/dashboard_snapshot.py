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
import marshal
import math
import sys
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from time import monotonic
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from gongdan import clock
from gongdan.db import db, is_postgres, write_transaction
from gongdan.models import OPEN_STATUSES, DashboardSnapshot, Ticket

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


class Tally:
    """The figures of every row of a snapshot (no team scope), kept up to date row by row.

    Tickets by local day (in `zone`) and channel, open tickets by status and team, and each
    local day's first-response and resolution hours: a dashboard is then counted from a few
    hundred numbers instead of 30,000 rows (see `Snapshot.summary`).
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.days: dict[tuple[int, str], int] = {}
        """(local day's ordinal, channel) → tickets created."""
        self.open: dict[tuple[str, int | None], int] = {}
        """(status, team id) → open tickets."""
        self.times: dict[int, tuple[list[float], list[float | None]]] = {}
        """Local day's ordinal → first-response hours of its answered tickets, and their resolution hours."""

    def day(self, created: datetime) -> int:
        """The local day (ordinal) of a naive-UTC creation time."""
        return created.replace(tzinfo=UTC).astimezone(self.zone).toordinal()

    def add(self, row: Row, sign: int = 1) -> None:
        """Count `row` in (`sign` 1) or out (-1)."""
        day = self.day(row.created_at)
        _bump(self.days, (day, row.channel), sign)
        if row.status in OPEN_STATUSES:
            _bump(self.open, (row.status, row.team_id), sign)
        if row.first_hours is None:
            return
        firsts, resolutions = self.times.setdefault(day, ([], []))
        if sign > 0:
            firsts.append(row.first_hours)
            resolutions.append(row.resolution_hours)
            return
        for n, first in enumerate(firsts):
            if first == row.first_hours and resolutions[n] == row.resolution_hours:
                del firsts[n], resolutions[n]
                break
        if not firsts:
            del self.times[day]

    def dump(self) -> dict[str, Any]:
        """Plain data (`load` reads it back)."""
        return {
            "zone": self.zone.key,
            "days": [(d, c, n) for (d, c), n in self.days.items()],
            "open": [(s, t, n) for (s, t), n in self.open.items()],
            "times": [(d, f, r) for d, (f, r) in self.times.items()],
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Tally:
        """The tally `dump` gave."""
        found = cls(ZoneInfo(data["zone"]))
        found.days = {(d, c): n for d, c, n in data["days"]}
        found.open = {(s, t): n for s, t, n in data["open"]}
        found.times = {d: (list(f), list(r)) for d, f, r in data["times"]}
        return found


def _bump(counts: dict[Any, int], key: Any, sign: int) -> None:
    n = counts.get(key, 0) + sign
    if n:
        counts[key] = n
    else:
        counts.pop(key, None)


EPOCH = datetime(1970, 1, 1)
MICROSECOND = timedelta(microseconds=1)
_CODES = ("q", "q", "h", "q", "q", "h", "d", "d")
"""Array type of each packed column: id, creation (µs since 1970), status, team, assignee,
channel, first-response and resolution hours (the texts by their place in a list; no team or
assignee -1, no hours NaN)."""


class Packed:
    """Rows as typed arrays sorted by ticket id, as saved: loaded by copying bytes rather than
    making Python objects for 40,000 rows, each turned into a `Row` only when asked for."""

    def __init__(self, columns: list[array], statuses: list[str], channels: list[str]) -> None:
        self.columns, self.statuses, self.channels = columns, statuses, channels
        self.ids = columns[0]

    @classmethod
    def of(cls, rows: dict[int, Row]) -> Packed:
        """`rows` packed."""
        order = sorted(rows)
        found = [rows[i] for i in order]
        statuses = sorted({r.status for r in found})
        channels = sorted({r.channel for r in found})
        status_at = {v: n for n, v in enumerate(statuses)}
        channel_at = {v: n for n, v in enumerate(channels)}
        values = (
            order,
            [(r.created_at - EPOCH) // MICROSECOND for r in found],
            [status_at[r.status] for r in found],
            [-1 if r.team_id is None else r.team_id for r in found],
            [-1 if r.assignee_id is None else r.assignee_id for r in found],
            [channel_at[r.channel] for r in found],
            [math.nan if r.first_hours is None else r.first_hours for r in found],
            [math.nan if r.resolution_hours is None else r.resolution_hours for r in found],
        )
        return cls([array(code, column) for code, column in zip(_CODES, values, strict=True)], statuses, channels)

    def dump(self) -> dict[str, Any]:
        """Plain data (`load` reads it back)."""
        columns = [column.tobytes() for column in self.columns]
        return {"order": sys.byteorder, "statuses": self.statuses, "channels": self.channels, "columns": columns}

    @classmethod
    def load(cls, data: dict[str, Any]) -> Packed:
        """What `dump` gave (ValueError when it does not hold rows)."""
        columns = []
        for code, raw in zip(_CODES, data["columns"], strict=True):
            column = array(code)
            column.frombytes(raw)
            if data["order"] != sys.byteorder:
                column.byteswap()
            columns.append(column)
        if len({len(column) for column in columns}) != 1:
            raise ValueError("columns of different lengths")
        return cls(columns, list(data["statuses"]), list(data["channels"]))

    def __len__(self) -> int:
        return len(self.ids)

    def get(self, ticket_id: int) -> Row | None:
        """The row of a ticket, if packed."""
        n = bisect_left(self.ids, ticket_id)
        return self._row(n) if n < len(self.ids) and self.ids[n] == ticket_id else None

    def _row(self, n: int) -> Row:
        _, created, status, team, assignee, channel, first, done = (column[n] for column in self.columns)
        return Row(
            EPOCH + created * MICROSECOND,
            self.statuses[status],
            None if team < 0 else team,
            None if assignee < 0 else assignee,
            self.channels[channel],
            None if math.isnan(first) else first,
            None if math.isnan(done) else done,
        )

    def rows(self) -> dict[int, Row]:
        """Every row, by ticket id."""
        return {self.ids[n]: self._row(n) for n in range(len(self.ids))}


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
        self.tally: Tally | None = None
        self._saved: Packed | None = None
        """A saved snapshot's rows as loaded, turned into `rows` only when a viewer's scope needs them."""

    def _read(self, query: Any) -> None:
        found = db.execute(query).fetchall()
        stamp = _naive if is_postgres() else datetime.fromisoformat  # SQLite: naive UTC text
        rows, changed = self.rows, 0
        for ticket_id, created, status, team, assignee, channel, answered, resolved, _ in found:
            start = stamp(created)
            first = (stamp(answered) - start).total_seconds() / 3600 if answered is not None else None
            done = (stamp(resolved) - start).total_seconds() / 3600 if answered and resolved is not None else None
            row = Row(start, status, team, assignee, channel, first, done)
            old = self._row(ticket_id)
            if old != row:
                rows[ticket_id] = row
                changed += 1
                if self.tally is not None:
                    if old is not None:
                        self.tally.add(old, -1)
                    self.tally.add(row)
        self.version += changed
        if found:
            newest = max(stamp(row[-1]) for row in found)
            self.newest = newest if self.newest is None else max(self.newest, newest)

    def _tickets(self) -> Any:
        return Ticket.select(*_COLUMNS).where(Ticket.tenant == self.tenant_id)

    def rebuild(self) -> None:
        """Read every kept ticket again."""
        self.rows, self.newest, self.tally, self._saved = {}, None, None, None
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
            self._unpack()
            rows = list(self.rows.values())
        if scope is None:
            return rows
        user_id, team_id = scope
        return [r for r in rows if r.assignee_id == user_id or (team_id is not None and r.team_id == team_id)]

    def _row(self, ticket_id: int) -> Row | None:
        """The row kept for a ticket (read from the saved columns if it was not read since)."""
        found = self.rows.get(ticket_id)
        if found is None and self._saved is not None:
            found = self._saved.get(ticket_id)
        return found

    def size(self) -> int:
        """How many tickets it keeps (about: a saved one's changed rows counted twice)."""
        return len(self.rows) + (len(self._saved) if self._saved is not None else 0)

    def _unpack(self) -> None:
        """Every saved row as a `Row` (the ones read since loading win)."""
        if self._saved is None:
            return
        self.rows = self._saved.rows() | self.rows
        self._saved = None

    def summary(
        self, zone: ZoneInfo, dates: list[date], since: date
    ) -> tuple[dict[str, list[int]], dict[str, int], dict[int | None, int], list[float], list[float]]:
        """Every row's figures (no scope): tickets per channel on each of `dates` (local days in
        `zone`), open tickets by status and by team id, and the first-response and resolution
        hours of the answered tickets created on local day `since` or later."""
        with self.lock:
            if self.tally is None or self.tally.zone != zone:
                self._unpack()
                self.tally = Tally(zone)
                for row in self.rows.values():
                    self.tally.add(row)
            tally = self.tally
            index = {d.toordinal(): n for n, d in enumerate(dates)}
            series: dict[str, list[int]] = {}
            for (day, channel), n in tally.days.items():
                if day in index:
                    series.setdefault(channel, [0] * len(dates))[index[day]] += n
            by_status = dict.fromkeys(OPEN_STATUSES, 0)
            by_team: dict[int | None, int] = {}
            for (status, team), n in tally.open.items():
                by_status[status] += n
                by_team[team] = by_team.get(team, 0) + n
            first: list[float] = []
            resolved: list[float] = []
            start = since.toordinal()
            for day, (firsts, resolutions) in tally.times.items():
                if day >= start:
                    first += firsts
                    resolved += [r for r in resolutions if r is not None]
        return dict(sorted(series.items())), by_status, by_team, first, resolved

    def save(self) -> None:
        """Keep this snapshot in the database (`DashboardSnapshot`): another process's first
        dashboard loads it and reads the tickets changed since (`load`)."""
        with self.lock:
            self._unpack()
            if self.tally is None:
                return
            rows = dict(self.rows)
            newest, tally = self.newest, self.tally.dump()
        blob = marshal.dumps({"format": SAVED_FORMAT, "rows": Packed.of(rows).dump(), "tally": tally})
        saved = {"saved_at": clock.now(), "newest": newest, "data": blob}
        with write_transaction():
            query = DashboardSnapshot.insert(tenant=self.tenant_id, **saved)
            query.on_conflict(conflict_target=[DashboardSnapshot.tenant], update=saved).execute()

    @classmethod
    def load(cls, tenant_id: int) -> Snapshot | None:
        """The tenant's saved snapshot (None if there is none, it is older than `SAVED_DAYS`, or
        unreadable); its rows stay as saved columns until a scope needs them."""
        found = DashboardSnapshot.get_or_none(DashboardSnapshot.tenant == tenant_id)
        if found is None or found.newest is None or clock.now() - found.saved_at > timedelta(days=SAVED_DAYS):
            return None
        try:
            data = marshal.loads(bytes(found.data))  # noqa: S302 -- `save` wrote it: plain data, no code run
            if data["format"] != SAVED_FORMAT:
                return None
            fresh = cls(tenant_id)
            fresh.tally = Tally.load(data["tally"])
            fresh._saved = Packed.load(data["rows"])
        except (ValueError, EOFError, TypeError, KeyError):  # another Python's, or damaged
            log.warning("dashboard snapshot of tenant %s unreadable; built again", tenant_id)
            return None
        fresh.newest = found.newest.astimezone(UTC).replace(tzinfo=None)
        fresh.built = monotonic() - (clock.now() - found.saved_at).total_seconds()
        return fresh


_snapshots: dict[tuple[int, int], Snapshot] = {}
_building: set[tuple[int, int]] = set()
_unsaved: set[int] = set()
"""Tenants found with no saved snapshot (not looked up again until one is built here)."""
SAVED_FORMAT = 2
SAVED_DAYS = 1
"""A saved snapshot older than this is not loaded (the figures are counted again)."""
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
    if found is None and tenant_id not in _unsaved:  # saved by an earlier process: its changes since are read below
        found = Snapshot.load(tenant_id)
        if found is not None:
            _keep(key, found)
        else:
            _unsaved.add(tenant_id)
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
        fresh.summary(_zone_of(tenant_id), [], clock.now().date())  # the tally, counted here rather than in a request
        fresh.save()
        _unsaved.discard(tenant_id)
    except Exception:  # the SQL figures stay in use; the next visit tries again
        log.exception("dashboard snapshot of tenant %s", tenant_id)
    finally:
        _building.discard(key)
        if not db.is_closed():
            db.close()  # this thread's connection


def _zone_of(tenant_id: int) -> ZoneInfo:
    """The tenant's time zone (UTC when it names none this machine knows)."""
    from gongdan.models import Tenant

    name = Tenant.select(Tenant.timezone).where(Tenant.id == tenant_id).scalar()
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, TypeError):
        return ZoneInfo("UTC")


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
    """Drop every snapshot kept in memory (tests, the bench's first visit); saved ones stay."""
    _snapshots.clear()
    _unsaved.clear()


__all__ = [
    "OVERLAP",
    "REBUILD_SECONDS",
    "SYNC_ROWS",
    "Row",
    "Snapshot",
    "Tally",
    "backlog",
    "building",
    "forget",
    "hours",
    "per_day",
    "snapshot",
]
