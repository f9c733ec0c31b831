"""Figures the dashboard draws: tickets per day by channel, backlog, response and resolution times.

Each figure counts the tickets the viewer (`actor`) may see: with team visibility on, an
agent's dashboard covers their team's and their own tickets only.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, time, timedelta
from statistics import median
from time import monotonic as _monotonic
from typing import Any
from zoneinfo import ZoneInfo

from peewee import Case, fn

from gongdan import clock, permissions
from gongdan.actors import Actor
from gongdan.admin import dashboard_snapshot, urgency
from gongdan.admin.urgency import sla_outcome
from gongdan.db import db, on_open
from gongdan.models import OPEN_STATUSES, Team, Tenant, Ticket
from gongdan.plugins import get_host
from gongdan.statements import hydrate


def _zone(tenant: Tenant) -> ZoneInfo:
    try:
        return ZoneInfo(tenant.timezone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _tickets(tenant: Tenant, actor: Actor | None) -> Any:
    """The tenant's tickets `actor` may see (all of them for no actor)."""
    query = Ticket.of(tenant)
    return query if actor is None else permissions.visible_tickets(actor, query, tenant)


def tickets_per_day(tenant: Tenant, days: int = 14, actor: Actor | None = None) -> dict[str, Any]:
    """`{"labels": [dates], "series": {channel: [counts]}}` for the last `days` local days.

    Counted in the database, one sum per local day (its bounds in UTC, so any time zone and
    daylight saving are exact), over the index on `(tenant, created_at)`.
    """
    zone = _zone(tenant)
    today = clock.now().astimezone(zone).date()
    dates = [today - timedelta(days=days - 1 - n) for n in range(days)]
    bounds = [datetime.combine(d, time.min, zone) for d in [*dates, today + timedelta(days=1)]]
    sums = [
        fn.SUM(Case(None, [((Ticket.created_at >= bounds[n]) & (Ticket.created_at < bounds[n + 1]), 1)], 0))
        for n in range(days)
    ]
    rows = (
        _tickets(tenant, actor)
        .select(Ticket.channel, *sums)
        .where(Ticket.created_at >= bounds[0])
        .group_by(Ticket.channel)
        .order_by(Ticket.channel)
        .tuples()
    )
    return {
        "labels": [d.isoformat() for d in dates],
        "series": {channel: [int(v or 0) for v in counts] for channel, *counts in rows},
    }


def backlog(tenant: Tenant, actor: Actor | None = None) -> dict[str, Any]:
    """Open tickets by status and by team (`None` team: unrouted)."""
    by_status = dict.fromkeys(OPEN_STATUSES, 0)
    open_tickets = _tickets(tenant, actor).where(Ticket.status.in_(OPEN_STATUSES))
    for row in open_tickets.select(Ticket.status, fn.COUNT(Ticket.id).alias("n")).group_by(Ticket.status):
        by_status[row.status] = row.n
    names = {team.id: team.name for team in Team.of(tenant)}
    by_team: dict[str | None, int] = {}
    for row in open_tickets.select(Ticket.team, fn.COUNT(Ticket.id).alias("n")).group_by(Ticket.team):
        by_team[names.get(row.team_id)] = row.n
    return {"by_status": by_status, "by_team": by_team}


def _hours(hours: list[float]) -> dict[str, float | int | None]:
    values = sorted(hours)
    if not values:
        return {"count": 0, "median": None, "p90": None, "mean": None}
    return {
        "count": len(values),
        "median": round(median(values), 2),
        "p90": round(values[min(len(values) - 1, int(len(values) * 0.9))], 2),
        "mean": round(sum(values) / len(values), 2),
    }


def _moment(value: Any) -> datetime | None:
    """A stored timestamp as a naive UTC datetime (SQLite gives text, PostgreSQL datetimes)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _days_back(tenant: Tenant, days: int) -> datetime:
    """The start (local midnight, aware) of the local day `days` before today."""
    zone = _zone(tenant)
    return datetime.combine(clock.now().astimezone(zone).date() - timedelta(days=days), time.min, zone)


def response_times(tenant: Tenant, days: int = 30, actor: Actor | None = None) -> dict[str, Any]:
    """First-response and resolution times (hours) of tickets created in the last `days` local
    days and today (from the local midnight `days` days ago).

    Resolution counts only answered tickets: a case that arrived already finished (or was closed
    without a reply) has no resolution time to speak of, and would pull the median to 0.
    Only the answered tickets' three timestamps are read, as stored (no model rows).
    """
    since = _days_back(tenant, days)
    query = (
        _tickets(tenant, actor)
        .select(Ticket.created_at, Ticket.first_response_at, Ticket.resolved_at)
        .where((Ticket.created_at >= since) & Ticket.first_response_at.is_null(False))
    )
    first: list[float] = []
    resolved: list[float] = []
    for created, answered, done in db.execute(query).fetchall():
        start = _moment(created)
        first.append((_moment(answered) - start).total_seconds() / 3600)
        if done is not None:
            resolved.append((_moment(done) - start).total_seconds() / 3600)
    return {"first_response": _hours(first), "resolution": _hours(resolved)}


def sla_attainment(tenant: Tenant, days: int = 30, actor: Actor | None = None) -> dict[str, int] | None:
    """Met versus breached among finished SLA clocks of tickets of the last `days` (SLA plugin's block).

    Only the SLA plugin's blocks are asked for, a chunk of tickets at a time; the tickets carry
    their short text columns only (no description, times, tags or references read).
    """
    since = clock.now() - timedelta(days=days)
    fields = [Ticket.id, Ticket.tenant, Ticket.number, Ticket.subject, Ticket.status, Ticket.priority, Ticket.channel]
    query = _tickets(tenant, actor).select(*fields).where(Ticket.created_at >= since)
    names = [f.name for f in fields]
    found = [hydrate(Ticket, dict(zip(names, row, strict=True))) for row in db.execute(query).fetchall()]
    met = breached = 0
    for start in range(0, len(found), SLA_CHUNK):
        chunk = found[start : start + SLA_CHUNK]
        blocks = get_host().gather_from(
            tenant, urgency.SLA_PLUGIN, "gongdan_ticket_blocks", tenant=tenant, tickets=chunk
        )
        for block in (blocks or {}).values():
            outcome = sla_outcome(block)
            if outcome == "breached":
                breached += 1
            elif outcome == "met":
                met += 1
    if met + breached == 0:
        return None
    return {"met": met, "breached": breached}


def dashboard(tenant: Tenant, actor: Actor | None = None) -> dict[str, Any]:
    """Every figure of the dashboard for `actor` (untranslated), cached for a short while.

    Counted from the tenant's `gongdan.admin.dashboard_snapshot` (the open tickets and those of
    the last 31 days, brought up to date by the tickets changed since the last visit), so a
    change shows at once and costs the changed rows only; figures that move with the clock
    alone refresh within `DASHBOARD_SECONDS`. SLA attainment, which asks the SLA plugin about
    every ticket of 30 days, is shown as of at most `SLA_SECONDS` ago (`recent_sla_attainment`);
    `sla_pending` is true while the very first is being computed. While a big tenant's snapshot
    is first built in the background, tickets per day and the backlog are counted in SQL and
    the response times are pending (`times_pending`).
    """
    scope = permissions.ticket_scope(actor, tenant) if actor else None
    snap = dashboard_snapshot.snapshot(tenant.id)
    sla_on = get_host().is_enabled(tenant, urgency.SLA_PLUGIN)
    key = (id(db.obj), tenant.id, tenant.created_at, scope)
    stamp = (snap.version if snap is not None else None, tenant.plugins_rev, sla_on)
    found = _dashboards.get(key)
    now = _monotonic()
    fresh = found is not None and found[0] == stamp and now - found[1] < DASHBOARD_SECONDS
    if fresh and snap is not None and not found[2]["sla_pending"] and not found[2]["times_pending"]:
        return found[2]
    if snap is None:  # being built: the counts in SQL meanwhile, the times once it is there
        figures = {"per_day": tickets_per_day(tenant, actor=actor), "backlog": backlog(tenant, actor)}
        figures |= {"times": {"first_response": _hours([]), "resolution": _hours([])}, "times_pending": True}
        windowed = None
    elif scope is None:  # the snapshot's tally: a few hundred numbers
        figures, windowed = _tallied(tenant, snap) | {"times_pending": False}, snap.size()
    else:
        rows = list(snap.visible(scope))
        figures, windowed = _counted(tenant, rows) | {"times_pending": False}, len(rows)
    sla, pending = recent_sla_attainment(tenant, actor, key, windowed) if sla_on else (None, False)
    figures |= {"sla": sla, "sla_pending": pending}
    _dashboards[key] = (stamp, now, figures)
    return figures


def _tallied(tenant: Tenant, snap: dashboard_snapshot.Snapshot) -> dict[str, Any]:
    """The dashboard's figures of every ticket from the snapshot's tally (as `_counted` counts rows)."""
    zone = _zone(tenant)
    today = clock.now().astimezone(zone).date()
    dates = [today - timedelta(days=13 - n) for n in range(14)]
    series, by_status, by_team, first, resolved = snap.summary(zone, dates, today - timedelta(days=30))
    names = {team.id: team.name for team in Team.of(tenant)} if by_team else {}
    return {
        "per_day": {"labels": [d.isoformat() for d in dates], "series": series},
        "backlog": {"by_status": by_status, "by_team": {names.get(t): n for t, n in by_team.items()}},
        "times": {"first_response": _hours(first), "resolution": _hours(resolved)},
    }


def _counted(tenant: Tenant, rows: list[Any]) -> dict[str, Any]:
    """The dashboard's figures counted from snapshot rows (as the SQL functions above count)."""
    zone = _zone(tenant)
    today = clock.now().astimezone(zone).date()
    dates = [today - timedelta(days=13 - n) for n in range(14)]
    bounds = [datetime.combine(d, time.min, zone) for d in [*dates, today + timedelta(days=1)]]
    by_status, by_team = dashboard_snapshot.backlog(rows)
    names = {team.id: team.name for team in Team.of(tenant)} if by_team else {}
    first, resolved = dashboard_snapshot.hours(rows, _days_back(tenant, 30))
    return {
        "per_day": {"labels": [d.isoformat() for d in dates], "series": dashboard_snapshot.per_day(rows, bounds)},
        "backlog": {"by_status": by_status, "by_team": {names.get(t): n for t, n in by_team.items()}},
        "times": {"first_response": _hours(first), "resolution": _hours(resolved)},
    }


def recent_sla_attainment(
    tenant: Tenant, actor: Actor | None, key: tuple[Any, ...], tickets: int | None = 0
) -> tuple[dict[str, int] | None, bool]:
    """`(sla_attainment, pending)` as of at most `SLA_SECONDS` ago.

    It reads every ticket of 30 days, so it is not recomputed for each change: a figure older
    than `SLA_SECONDS` is still shown while a background thread computes the next (one at a time
    per tenant and viewer). The very first is computed while the viewer waits only for a tenant
    of at most `SLA_WAIT_TICKETS` tickets (`tickets`, the dashboard's; None: not known yet);
    otherwise it is pending (None, True) until the background thread has it.
    """
    found = _sla_figures.get(key)
    if found is None and tickets is not None and tickets <= SLA_WAIT_TICKETS:
        value = sla_attainment(tenant, actor=actor)
        _sla_figures[key] = (_monotonic(), value)
        return value, False
    if (found is None or _monotonic() - found[0] >= SLA_SECONDS) and key not in _sla_refreshing:
        _sla_refreshing.add(key)
        threading.Thread(target=_refresh_sla, args=(tenant, actor, key), daemon=True).start()
    return (None, True) if found is None else (found[1], False)


def _refresh_sla(tenant: Tenant, actor: Actor | None, key: tuple[Any, ...]) -> None:
    try:
        _sla_figures[key] = (_monotonic(), sla_attainment(tenant, actor=actor))
    except Exception:  # the figure stays as it was; the next visit tries again
        log.exception("SLA attainment for the dashboard of tenant %s", tenant.id)
    finally:
        _sla_refreshing.discard(key)
        if not db.is_closed():
            db.close()  # this thread's connection


SLA_CHUNK = 500
SLA_WAIT_TICKETS = 2_000
DASHBOARD_SECONDS = 30.0
SLA_SECONDS = 60.0
_dashboards: dict[tuple[Any, ...], tuple[Any, float, dict[str, Any]]] = {}
_sla_figures: dict[tuple[Any, ...], tuple[float, dict[str, int] | None]] = {}
_sla_refreshing: set[tuple[Any, ...]] = set()
log = logging.getLogger(__name__)


def refreshing() -> bool:
    """Whether SLA attainment is being computed in the background (the bench waits for it)."""
    return bool(_sla_refreshing)


def forget() -> None:
    """Drop every cached figure and snapshot (a database was opened: they were of the last one)."""
    _dashboards.clear()
    _sla_figures.clear()
    dashboard_snapshot.forget()


on_open(forget)
