"""Rollups kept current incrementally: each ticket's contribution is recomputed and the difference applied.

A ticket contributes, under each of its dimension values (channel, appeal/scene/problem, each
tag, team, agent, customer tier, priority, and `all`), a few `(local day, metric, count, total)`
items: `created`, `open` (still in the backlog, on its creation day), `first_response`,
`first_response_biz`, `resolved`, `resolution_biz`, `reopened`, SLA outcomes (`sla_fr_met`,
`sla_fr_missed`, `sla_res_met`, `sla_res_missed`, on its creation day) and `csat`/`csat_good`.
It also adds its arrival to the hourly table (per UTC quarter hour: exact local hours in any
zone) under its channel. `docs/analytics.md` defines each.

`refresh(tenant, ids)` recomputes those tickets from their rows (and the SLA and portal tables
when the plugins are installed), compares with what `Fact` says was applied, and upserts only
the difference into `Daily`/`Hourly`/`Backlog`, set-based: one statement per table a batch. It
is idempotent. The catch-up job (`catch_up`) calls it
for the tickets with events after its watermark in the event log, in batches: nothing is counted
in the request that changes a ticket, and figures are at most one job interval behind.
Agents' work time is an additive stream of its own (`record_work`), measured per public reply.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import peewee as pw

from gongdan import clock
from gongdan.db import db, is_postgres, write_transaction
from gongdan.models import OPEN_STATUSES, Category, Comment, Customer, Tenant, Ticket, TicketEvent, User

from .models import AgentClock, Backlog, Daily, Fact, Hourly, Watermark

DIMENSIONS = ("channel", "appeal", "scene", "problem", "tag", "team", "agent", "tier", "priority")
"""What a report can be grouped by (besides `day`)."""
CATEGORY_LEVELS = ("appeal", "scene", "problem")
WORK_GAP_MINUTES = 30.0
"""A public reply counts as work since the agent's previous reply when that was at most this long ago."""
BATCH = 500
"""Tickets a recount reads and writes in one transaction on SQLite (one writer at a time: short)."""
PG_BATCH = 2000
"""The same on PostgreSQL, where a transaction locks only its rows: the more tickets a batch has,
the more of their cells merge before the upsert (a first count of 6,000 tickets: 1.3-1.7× the
rate of 500, under load 9)."""
FACT_ROWS = 500
"""Facts written per statement (7 parameters each: SQLite takes at most 32,766)."""
CATCH_UP_SECONDS = 60
"""How often the worker's catch-up job counts the tenants' changes: figures are at most this late."""

Key = tuple[str, ...]


def tz_of(tenant: Tenant) -> ZoneInfo:
    """The tenant's time zone."""
    return ZoneInfo(tenant.timezone or "Asia/Shanghai")


def local_day(at: datetime, tz: ZoneInfo) -> str:
    """The ISO date of `at` in `tz`."""
    return at.astimezone(tz).date().isoformat()


QUARTER = timedelta(minutes=15)
"""The hourly table's step. Every zone's UTC offset since 1979 is a whole number of quarter hours
(+05:30 India, +05:45 Nepal, +09:30/+10:30 Adelaide, +12:45 Chatham), so a local hour or day is
always a whole number of UTC quarter hours and the heat map, the forecast's history and the alerts
are exact in any zone without recounting when a tenant changes its zone."""


def quarter_of(at: datetime) -> datetime:
    """The UTC quarter hour `at` falls in (aware, UTC)."""
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def local_hour_start(at: datetime, tz: ZoneInfo) -> datetime:
    """The start, in UTC, of the local hour in `tz` that `at` falls in (in +05:30, 10:47 UTC → 10:30)."""
    return at.astimezone(tz).replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def hour_of(at: datetime) -> str:
    """The UTC quarter hour `at` falls in, as ISO text (the hourly table's key; named before the
    table was kept per quarter hour)."""
    return quarter_of(at).isoformat()


def minutes(start: datetime, end: datetime) -> float:
    """Calendar minutes from `start` to `end` (never negative)."""
    return max(0.0, (end - start).total_seconds() / 60)


# --- what a ticket contributes ----------------------------------------------------------------


def dims_of(ticket: Ticket, path: str | None, tier: str | None) -> list[list[str]]:
    """`[[dimension, value], ...]` of a ticket; an empty value stands for none (no team, no tag, ...)."""
    parts = path.split("/") if path else []
    found = [
        ["all", ""],
        ["channel", ticket.channel or ""],
        ["priority", ticket.priority or ""],
        ["team", str(ticket.team_id or "")],
        ["agent", str(ticket.assignee_id or "")],
        ["tier", tier or ""],
    ]
    found += [[dim, "/".join(parts[: i + 1]) if len(parts) > i else ""] for i, dim in enumerate(CATEGORY_LEVELS)]
    tags = sorted({str(tag) for tag in ticket.tags or []})
    found += [["tag", tag] for tag in tags] or [["tag", ""]]
    return found


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def sla_outcome(name: str, state: dict[str, Any], ticket: Ticket, now: datetime) -> str | None:
    """`met`, `missed`, or None (not applicable, or not decided yet) for one SLA target.

    A target is met only when what it waits for happened in time. A first-response target whose
    clock stopped without a public reply (the ticket was resolved first) is missed if its due
    time had passed by then and not applicable otherwise; a running target is missed once due, a
    paused one (waiting on the customer) once it has spent its target.
    """
    due = _parse(state.get("due"))
    if state.get("status") == "missed":  # the SLA plugin closed it unmet, after its due time
        return "missed"
    if state.get("status") == "met":
        if name == "first_response" and ticket.first_response_at is None:
            stopped = _parse(state.get("met_at")) or now
            return "missed" if state.get("breached") or (due is not None and due < stopped) else None
        return "missed" if state.get("breached") else "met"
    if state.get("status") in ("running", "paused") and due is not None and due <= now:
        return "missed"
    target, spent = state.get("target"), state.get("spent")
    if state.get("status") == "paused" and target is not None and spent is not None and spent >= target:
        return "missed"  # waiting on the customer after its target ran out (a paused clock has no due time)
    return None


SLA_TARGETS = {"first_response": "sla_fr", "resolution": "sla_res"}


def days_of(
    ticket: Ticket,
    tz: ZoneInfo,
    now: datetime,
    *,
    clocks: dict[str, Any] | None,
    reopened: bool,
    scores: list[tuple[int, datetime]],
) -> list[list[Any]]:
    """`[[local day, metric, count, total], ...]` the ticket contributes (see the module docstring)."""
    created = ticket.created_at
    born = local_day(created, tz)
    items: list[list[Any]] = [[born, "created", 1, 0.0]]
    if ticket.status in OPEN_STATUSES:
        items.append([born, "open", 1, 0.0])
    clocks = clocks or {}
    if ticket.first_response_at is not None:
        day = local_day(ticket.first_response_at, tz)
        items.append([day, "first_response", 1, minutes(created, ticket.first_response_at)])
        state = clocks.get("first_response") or {}
        if state.get("status") == "met" and state.get("spent") is not None:
            items.append([day, "first_response_biz", 1, float(state["spent"])])
    if ticket.resolved_at is not None and ticket.status in ("resolved", "closed"):
        day = local_day(ticket.resolved_at, tz)
        items.append([day, "resolved", 1, minutes(created, ticket.resolved_at)])
        if reopened:
            items.append([day, "reopened", 1, 0.0])
        state = clocks.get("resolution") or {}
        if state.get("status") == "met" and state.get("spent") is not None:
            items.append([day, "resolution_biz", 1, float(state["spent"])])
    for name, prefix in SLA_TARGETS.items():
        state = clocks.get(name)
        outcome = sla_outcome(name, state, ticket, now) if state else None
        if outcome:
            items.append([born, f"{prefix}_{outcome}", 1, 0.0])
    for value, rated_at in scores:
        day = local_day(rated_at, tz)
        items.append([day, "csat", 1, float(value)])
        if value >= 5:
            items.append([day, "csat_good", 1, 0.0])
    return items


def expand(fact: Fact | dict[str, Any]) -> Counter[Key]:
    """The rollup cells a fact adds to, `{cell: [count, total]}`: `("d", day, dim, value, metric)`,
    `("b", day, dim, value)` (backlog) and `("h", hour, channel, metric)`."""
    get = fact.get if isinstance(fact, dict) else lambda name: getattr(fact, name)
    cells: dict[Key, list[float]] = defaultdict(lambda: [0, 0.0])
    for dim, value in get("dims") or []:
        for day, metric, count, total in get("days") or []:
            cell = cells[("b", day, dim, value) if metric == "open" else ("d", day, dim, value, metric)]
            cell[0] += count
            cell[1] += total
    for hour, metric, count, total in get("hours") or []:
        cell = cells[("h", hour, get("channel") or "", metric)]
        cell[0] += count
        cell[1] += total
    return cells  # type: ignore[return-value]


def difference(old: dict[Key, list[float]], new: dict[Key, list[float]]) -> dict[Key, tuple[int, float]]:
    """`new - old`, cell by cell, without the cells that did not change."""
    delta = {}
    for key in set(old) | set(new):
        before, after = old.get(key, (0, 0.0)), new.get(key, (0, 0.0))
        change = (int(after[0] - before[0]), round(after[1] - before[1], 6))
        if change != (0, 0.0):
            delta[key] = change
    return delta


def add_cells(delta: dict[Key, list[float]], fact: dict[str, Any], sign: int) -> None:
    """Add (`sign` 1) or take away (-1) a fact's cells in `delta` (what `expand` gives, without a
    dictionary per ticket: a recount sums every changed ticket's old and new cells into one)."""
    channel = fact.get("channel") or ""
    days = fact.get("days") or []
    for dim, value in fact.get("dims") or []:
        for day, metric, count, total in days:
            cell = delta[("b", day, dim, value) if metric == "open" else ("d", day, dim, value, metric)]
            cell[0] += sign * count
            cell[1] += sign * total
    for hour, metric, count, total in fact.get("hours") or []:
        cell = delta[("h", hour, channel, metric)]
        cell[0] += sign * count
        cell[1] += sign * total


def ids_in(column: pw.Field, ids: list[int]) -> pw.Expression:
    """`column IN (ids)` with the integers written into the SQL (peewee's builder costs ~30 µs a
    parameter: 15 ms for a batch's five reads of 500 ids)."""
    return pw.Expression(column, "IN", pw.SQL("(" + ",".join(str(int(n)) for n in ids) + ")"))


# (model, key columns, summed columns): what `apply` upserts, per kind of cell
TABLES: dict[str, tuple[type[pw.Model], tuple[str, ...], tuple[str, ...]]] = {
    "d": (Daily, ("dim", "day", "value", "metric"), ("count", "total")),
    "h": (Hourly, ("hour", "channel", "metric"), ("count", "total")),
    "b": (Backlog, ("dim", "value", "day"), ("count",)),
}


PG_TYPES = {"day": "date", "hour": "timestamp", "count": "bigint", "total": "float8"}
"""PostgreSQL array types of the rollup columns that are not text (for `unnest`)."""


def _upsert_sql(model: type[pw.Model], keys: tuple[str, ...], sums: tuple[str, ...]) -> str:
    """One statement that adds a whole set of cells to `model`: on PostgreSQL `INSERT ... SELECT
    FROM unnest(arrays) ... ON CONFLICT (tenant, keys) DO UPDATE SET sum = sum + excluded.sum`
    (one parameter per column, however many cells, applied in key order); on SQLite the one-row
    form, run by `executemany` (one prepared statement for every cell)."""
    meta = model._meta
    columns = [meta.fields[k].column_name for k in keys] + list(sums)
    table = meta.table_name
    updates = ", ".join(f'"{c}" = "{table}"."{c}" + excluded."{c}"' for c in sums)
    target = ", ".join(f'"{c}"' for c in ["tenant_id", *columns[: len(keys)]])
    names = ", ".join(f'"{c}"' for c in ["tenant_id", *columns])
    if is_postgres():
        arrays = ", ".join(f"%s::{PG_TYPES.get(c, 'text')}[]" for c in columns)
        source = f"SELECT %s, {', '.join(f'u.c{n}' for n in range(len(columns)))} FROM unnest({arrays}) "
        source += f"WITH ORDINALITY AS u({', '.join(f'c{n}' for n in range(len(columns)))}, n) ORDER BY u.n"
    else:
        source = "VALUES (" + ", ".join([db.param] * (1 + len(columns))) + ")"
    return f'INSERT INTO "{table}" ({names}) {source} ON CONFLICT ({target}) DO UPDATE SET {updates}'


def _db_values(key: Key, sums: tuple[float, ...]) -> tuple[Any, ...]:
    kind = key[0]
    if kind == "d":
        _, day, dim, value, metric = key
        return (dim, day, value[:320], metric, *sums)
    if kind == "h":
        _, hour, channel, metric = key
        return (Hourly.hour.db_value(datetime.fromisoformat(hour)), channel, metric, *sums)
    _, day, dim, value = key
    return (dim, value[:320], day, *sums)


def apply(tenant: Tenant, delta: dict[Key, tuple[int, float]]) -> None:
    """Add `delta` to the rollup tables: one set-based upsert per table (PostgreSQL) or one prepared
    upsert run for every cell (SQLite), in key order (one lock order for concurrent writers)."""
    for kind, (model, keys, sums) in TABLES.items():
        rows: dict[tuple[Any, ...], list[float]] = {}
        for key, (count, total) in delta.items():
            if key[0] == kind:
                row = _db_values(key, ())
                cell = rows.setdefault(row, [0, 0.0])  # values cut to 320 characters may meet
                cell[0] += count
                cell[1] += total
        if not rows:
            continue
        ordered = [(*row, *cell[: len(sums)]) for row, cell in sorted(rows.items())]
        sql = _upsert_sql(model, keys, sums)
        if is_postgres():
            db.execute_sql(sql, [tenant.id, *(list(column) for column in zip(*ordered, strict=True))])
        else:
            db.cursor().executemany(sql, [(tenant.id, *row) for row in ordered])
    if any(key[0] == "b" for key in delta):
        Backlog.delete().where((Backlog.tenant == tenant) & (Backlog.count == 0)).execute()


# --- reading what the tickets need ------------------------------------------------------------


def _sla_clocks(ids: list[int]) -> dict[int, dict[str, Any]]:
    try:
        from gongdan_sla.models import SlaTicket
    except ImportError:
        return {}
    rows = SlaTicket.select(SlaTicket.ticket, SlaTicket.clocks).where(ids_in(SlaTicket.ticket, ids)).tuples()
    return {ticket_id: clocks or {} for ticket_id, clocks in rows}


def _scores(tenant: Tenant, ids: list[int]) -> dict[int, list[tuple[int, datetime]]]:
    try:
        from gongdan_portal.models import Survey
    except ImportError:
        return {}
    rows = (
        Survey.select(Survey.ticket, Survey.score, Survey.rated_at)
        .where((Survey.tenant == tenant) & ids_in(Survey.ticket, ids) & Survey.score.is_null(False))
        .tuples()
    )
    found: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for ticket_id, score, rated_at in rows:
        if rated_at is not None:
            found[ticket_id].append((score, rated_at))
    return found


def _reopened(ids: list[int]) -> set[int]:
    rows = (
        TicketEvent.select(TicketEvent.ticket, TicketEvent.data)
        .where(ids_in(TicketEvent.ticket, ids) & (TicketEvent.kind == "status_changed"))
        .tuples()
    )
    return {
        ticket_id for ticket_id, data in rows if data.get("from") in ("resolved", "closed") and data.get("to") == "open"
    }


class TicketRow(NamedTuple):
    """The columns of a ticket its contribution depends on (read as plain tuples: building a model
    object per ticket cost more than the rest of a recount)."""

    id: int
    channel: str
    priority: str
    team_id: int | None
    assignee_id: int | None
    tags: list[str]
    status: str
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    path: str | None
    tier: str | None


def _ticket_rows(tenant: Tenant, ids: list[int]) -> list[TicketRow]:
    columns = (
        Ticket.id, Ticket.channel, Ticket.priority, Ticket.team, Ticket.assignee, Ticket.tags, Ticket.status,
        Ticket.created_at, Ticket.first_response_at, Ticket.resolved_at, Category.path, Customer.tier,
    )  # fmt: skip
    query = (
        Ticket.select(*columns)
        .join(Category, pw.JOIN.LEFT_OUTER, on=(Ticket.category == Category.id))
        .join_from(Ticket, Customer, pw.JOIN.LEFT_OUTER, on=(Ticket.customer == Customer.id))
        .where((Ticket.tenant == tenant) & ids_in(Ticket.id, ids))
        .tuples()
    )
    return [TicketRow(*row) for row in query]


FACT_COLUMNS = ("tenant_id", "ticket", "channel", "dims", "days", "hours", "updated_at")


def _locked_facts(tenant: Tenant, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The tickets' facts as applied, `{ticket: {channel, dims, days, hours}}`, locked on PostgreSQL."""
    query = (
        Fact.select(Fact.ticket, Fact.channel, Fact.dims, Fact.days, Fact.hours)
        .where((Fact.tenant == tenant) & ids_in(Fact.ticket, ids))
        .order_by(Fact.ticket)
    )
    if is_postgres():
        query = query.for_update()
    return {
        ticket: {"channel": channel, "dims": dims, "days": days, "hours": hours}
        for ticket, channel, dims, days, hours in query.tuples()
    }


def _write_facts(tenant: Tenant, rows: list[tuple[int, dict[str, Any]]], *, known: bool, now: datetime) -> None:
    """Store the tickets' new facts in one statement: an insert for tickets counted for the first
    time (a ticket another worker counted meanwhile fails it, and the batch is rolled back, never
    counted twice), an upsert that always updates for facts already there (locked on PostgreSQL)."""
    if not rows:
        return
    dump = Fact.dims.db_value
    stamp = Fact.updated_at.db_value(now)
    params: list[Any] = []
    for ticket, new in rows:
        params += (tenant.id, ticket, new["channel"], dump(new["dims"]), dump(new["days"]), dump(new["hours"]), stamp)
    row = "(" + ", ".join([db.param] * len(FACT_COLUMNS)) + ")"
    sql = f'INSERT INTO "analytics_fact" ({", ".join(FACT_COLUMNS)}) VALUES {", ".join([row] * len(rows))}'
    if known:
        sql += " ON CONFLICT (tenant_id, ticket) DO UPDATE SET " + ", ".join(
            f"{c} = excluded.{c}" for c in FACT_COLUMNS[2:]
        )
    db.execute_sql(sql, params)


def refresh(tenant: Tenant, ids: Iterable[int]) -> int:
    """Recompute the contribution of tickets `ids` and apply the difference; returns how many changed."""
    wanted = sorted(set(ids))
    changed, size = 0, PG_BATCH if is_postgres() else BATCH
    for start in range(0, len(wanted), size):
        changed += _refresh_batch(tenant, wanted[start : start + size])
    return changed


def _refresh_batch(tenant: Tenant, ids: list[int]) -> int:
    """One batch, set-based: the tickets, clocks, ratings and reopenings read with one query each,
    the differences summed per cell in Python (a ticket's old contribution is its fact), then one
    statement per rollup table and one or two for the facts."""
    tz, now = tz_of(tenant), clock.now()
    tickets = _ticket_rows(tenant, ids)
    clocks, scores, reopened = _sla_clocks(ids), _scores(tenant, ids), _reopened(ids)
    delta: dict[Key, list[float]] = defaultdict(lambda: [0, 0.0])
    fresh: list[tuple[int, dict[str, Any]]] = []
    moved: list[tuple[int, dict[str, Any]]] = []
    with write_transaction():
        facts = _locked_facts(tenant, ids)
        for ticket in tickets:
            new = {
                "channel": ticket.channel or "",
                "dims": dims_of(ticket, ticket.path, ticket.tier),  # type: ignore[arg-type]
                "days": days_of(
                    ticket,  # type: ignore[arg-type]
                    tz,
                    now,
                    clocks=clocks.get(ticket.id),
                    reopened=ticket.id in reopened,
                    scores=sorted(scores.get(ticket.id, [])),
                ),
                "hours": [[hour_of(ticket.created_at), "created", 1, 0.0]],
            }
            fact = facts.get(ticket.id)
            if fact is not None and all(fact[name] == new[name] for name in new):
                continue  # as counted (a fact is JSON of the same lists, floats round-trip exactly)
            if fact is not None:
                add_cells(delta, fact, -1)
            add_cells(delta, new, 1)
            (moved if fact is not None else fresh).append((ticket.id, new))
        for start in range(0, len(fresh), FACT_ROWS):
            _write_facts(tenant, fresh[start : start + FACT_ROWS], known=False, now=now)
        for start in range(0, len(moved), FACT_ROWS):
            _write_facts(tenant, moved[start : start + FACT_ROWS], known=True, now=now)
        cells = {key: (int(count), round(total, 6)) for key, (count, total) in delta.items()}
        apply(tenant, {key: cell for key, cell in cells.items() if cell != (0, 0.0)})
    return len(fresh) + len(moved)


# --- agents' work time ------------------------------------------------------------------------


def work_dims(user: User | None, user_id: int) -> list[list[str]]:
    """The dimension values a reply's work counts under: all, the agent, the agent's team."""
    team = str(user.team_id or "") if user is not None else ""
    return [["all", ""], ["agent", str(user_id)], ["team", team]]


def record_work(tenant: Tenant, comment: Comment) -> float | None:
    """Count the work of one public agent reply: minutes since the agent's previous public reply,
    when that was at most `WORK_GAP_MINUTES` ago. Idempotent per reply; returns the minutes counted."""
    if comment.internal or comment.kind_of_author != "agent" or comment.author_id is None:
        return None
    at, counted = comment.created_at, None
    with write_transaction():
        query = AgentClock.select().where((AgentClock.tenant == tenant) & (AgentClock.user == comment.author_id))
        row = (query.for_update() if is_postgres() else query).first()
        if row is not None and row.last_reply_at is not None and at <= row.last_reply_at:
            return None
        if row is not None and row.last_reply_at is not None:
            gap = minutes(row.last_reply_at, at)
            if gap <= WORK_GAP_MINUTES:
                counted = gap
        if row is None:
            AgentClock.insert(tenant=tenant.id, user=comment.author_id, last_reply_at=at).on_conflict(
                conflict_target=[AgentClock.tenant, AgentClock.user], update={AgentClock.last_reply_at: at}
            ).execute()
        else:
            AgentClock.update(last_reply_at=at).where(AgentClock.id == row.id).execute()
        if counted is not None:
            day = local_day(at, tz_of(tenant))
            user = User.get_or_none(User.id == comment.author_id)
            apply(
                tenant,
                {
                    ("d", day, dim, value, "work"): (1, round(counted, 6))
                    for dim, value in work_dims(user, comment.author_id)
                },
            )
    return counted


# --- catching up from the event log -----------------------------------------------------------


SETTLE_SECONDS = 30
"""How long after its time an event's id is taken as final. PostgreSQL hands out ids when a row is
written, not when it commits, so an event may become visible after one with a higher id: the
watermark stays behind the events of the last `SETTLE_SECONDS`, and the next run looks at them
again (recounting is idempotent; SQLite, with one writer, never shows the gap)."""
RUN_SECONDS = 45.0
"""A run stops taking new batches after this long; the next run goes on from its watermark."""


def _events_after(tenant: Tenant, event_id: int, limit: int) -> list[tuple[int, int | None, datetime]]:
    return list(
        TicketEvent.select(TicketEvent.id, TicketEvent.ticket, TicketEvent.at)
        .where((TicketEvent.tenant == tenant) & (TicketEvent.id > event_id))
        .order_by(TicketEvent.id)
        .limit(limit)
        .tuples()
    )


def catch_up(tenant: Tenant, limit: int = 20_000, budget: float = RUN_SECONDS) -> int:
    """Count every ticket with events after the tenant's watermark: new tickets, their changes,
    SLA breaches, ratings. The worker runs it every `CATCH_UP_SECONDS`, so figures are at most
    that late. When the tenant's time zone is not the one its days were counted in, every ticket
    and reply is recounted first (`recount_days`). Reads `limit` events a batch until none is left
    or `budget` seconds have passed, then moves the watermark to the last event older than
    `SETTLE_SECONDS` and stamps `counted_at`. Returns how many tickets changed."""
    started, now = time.monotonic(), clock.now()
    mark, _ = Watermark.get_or_create(tenant=tenant)
    zone, changed = tz_of(tenant).key, 0
    if mark.zone != zone:  # None: first run, or counted before the zone was recorded
        if mark.zone is not None:
            changed = recount_days(tenant)  # the tenant's zone changed: its local days are cut anew
        Watermark.update(zone=zone).where(Watermark.id == mark.id).execute()
    settled_before = now - timedelta(seconds=SETTLE_SECONDS)
    seen = settled = mark.event_id
    settling = True
    while True:
        rows = _events_after(tenant, seen, limit)
        if not rows:
            break
        ids = sorted({ticket for _, ticket, _ in rows if ticket is not None})
        changed += refresh(tenant, ids) if ids else 0
        for event_id, _, at in rows:
            settling = settling and at is not None and at <= settled_before
            if settling:
                settled = event_id
        seen = rows[-1][0]
        if len(rows) < limit or time.monotonic() - started > budget:
            break
    Watermark.update(event_id=settled, counted_at=now).where(Watermark.id == mark.id).execute()
    return changed


def counted_at(tenant: Tenant) -> datetime | None:
    """When the catch-up last counted `tenant`'s events (None: not yet): figures include every
    change made before then."""
    return Watermark.select(Watermark.counted_at).where(Watermark.tenant == tenant).scalar()


def recount_days(tenant: Tenant) -> int:
    """Recount every ticket and agent reply after the tenant's time zone changed: each ticket's
    local days are recomputed in the new zone and the difference applied (imported arrivals are
    kept, on the days of the zone they were imported in), agents' work time is counted again.
    Hourly rows are per UTC quarter hour and need nothing. Returns how many tickets moved."""
    changed = 0
    for ids in _chunks(_ticket_ids(tenant), 10_000):  # `refresh` cuts them into its batches
        changed += refresh(tenant, ids)
    _recount_work(tenant)
    return changed


def _recount_work(tenant: Tenant) -> None:
    """Agents' work time counted again from their public replies (the day of each in the zone now)."""
    with write_transaction():
        Daily.delete().where((Daily.tenant == tenant) & (Daily.metric == "work")).execute()
        AgentClock.delete().where(AgentClock.tenant == tenant).execute()
    replies = (
        Comment.select()
        .where((Comment.tenant == tenant) & (Comment.internal == False) & Comment.author.is_null(False))  # noqa: E712
        .order_by(Comment.created_at)
    )
    for reply in replies.iterator():
        record_work(tenant, reply)


def rebuild(tenant: Tenant, since: date | None = None) -> int:
    """Recompute from the tickets and the event log: every ticket (`since` None: rollups and work
    time are emptied and rebuilt), or the tickets created or changed since the local day `since`."""
    if since is not None:
        start = datetime.combine(since, datetime.min.time(), tz_of(tenant)).astimezone(UTC)
        created = Ticket.select(Ticket.id).where((Ticket.tenant == tenant) & (Ticket.created_at >= start))
        touched = TicketEvent.select(TicketEvent.ticket).where(
            (TicketEvent.tenant == tenant) & (TicketEvent.at >= start) & TicketEvent.ticket.is_null(False)
        )
        ids = {row[0] for row in created.tuples()} | {row[0] for row in touched.tuples()}
        return refresh(tenant, ids)
    with write_transaction():
        for model in (Fact, Daily, Backlog, Hourly, AgentClock):
            model.delete().where(model.tenant == tenant).execute()
    Watermark.update(zone=tz_of(tenant).key).where(Watermark.tenant == tenant).execute()
    changed = 0
    for ids in _chunks(_ticket_ids(tenant), 10_000):  # `refresh` cuts them into its batches
        changed += refresh(tenant, ids)
    _recount_work(tenant)
    return changed


def _ticket_ids(tenant: Tenant) -> Iterator[int]:
    return (row[0] for row in Ticket.select(Ticket.id).where(Ticket.tenant == tenant).tuples().iterator())


def _chunks(ids: Iterator[int] | Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    chunk: list[int] = []
    for item in ids:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_arrivals(tenant: Tenant, counts: dict[tuple[datetime, str], int]) -> None:
    """Add arrival counts `{(time, channel): tickets}` from before the tenant's tickets (another
    system's history, the demo's weeks; each time counted in its UTC quarter hour, so give the start
    of the local hour) to the hourly table and to the daily `created` counts of `all` and `channel`.
    Not idempotent: import each period once."""
    tz = tz_of(tenant)
    delta: dict[Key, list[float]] = defaultdict(lambda: [0, 0.0])
    for (hour, channel), count in counts.items():
        day = local_day(hour, tz)
        for key in (
            ("h", hour_of(hour), channel, "created"),
            ("d", day, "all", "", "created"),
            ("d", day, "channel", channel, "created"),
        ):
            delta[key][0] += count
    with write_transaction():
        apply(tenant, {key: (int(count), total) for key, (count, total) in delta.items()})
