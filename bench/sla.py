"""SLA figures: business-calendar steps, and a sweep over many open tickets on SQLite and PostgreSQL.

    .venv/bin/python -m bench.sla [--tickets 1000000] [--due-percent 1] [--process 2000]
                                  [--steps 20000] [--skip-pg]

1. `add_business_minutes` / `business_minutes_between` latency (p50/p99) over a lunch-break
   calendar with China's holidays, against a 24×7 calendar measured in the same run.
2. A sweep over `--tickets` open tickets of which `--due-percent` are due: the time to find
   the due ones through the `(tenant, next_check_at)` index (against the same query written so
   that no index can answer it), the time to load them as the sweep does (pages of 500 full
   rows), and the time to process `--process` of them (claim, audit event, notification,
   recompute).

PostgreSQL runs when `GONGDAN_BENCH_PG_URL` is set (e.g. postgresql://gongdan:gongdan@127.0.0.1:5432/gongdan_bench_sla);
its tables are dropped and recreated. Figures are printed; nothing passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gongdan_sla.calendars import BusinessCalendar
from gongdan_sla.clocks import iso, new_clock
from gongdan_sla.models import SlaTicket
from gongdan_sla.policies import save_policies
from gongdan_sla.sweep import due_rows, sweep_tenant

# the script's folder goes last on the path: a bench module named like a stdlib one (http.py)
# must not shadow the standard library for the packages imported below
from bench.common import percentile, table
from gongdan import accounts, clock
from gongdan.db import db, is_postgres, open_database
from gongdan.models import Ticket
from gongdan.plugins import get_host
from gongdan.schema import upgrade

SH = ZoneInfo("Asia/Shanghai")
LUNCH = {d: [("09:00", "12:00"), ("13:30", "18:00")] for d in range(5)}
MINUTES = (15, 60, 240, 480, 1440, 2880)
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SH)


# --- calendar steps -----------------------------------------------------------------------


def calendar_latencies(cal: BusinessCalendar, steps: int, seed: int = 7) -> tuple[list[float], list[float]]:
    """Seconds per `add_business_minutes` and per `business_minutes_between` call (warm cache)."""
    rng = random.Random(seed)
    base = datetime(2025, 1, 2, tzinfo=SH)
    starts = [base + timedelta(minutes=rng.randrange(0, 700 * 24 * 60)) for _ in range(steps)]
    amounts = [rng.choice(MINUTES) for _ in range(steps)]
    for start, minutes in zip(starts, amounts, strict=True):  # warm the per-day cache
        cal.add_business_minutes(start, minutes)
    add, between = [], []
    for start, minutes in zip(starts, amounts, strict=True):
        t0 = time.perf_counter()
        due = cal.add_business_minutes(start, minutes)
        t1 = time.perf_counter()
        cal.business_minutes_between(start, due)
        t2 = time.perf_counter()
        add.append(t1 - t0)
        between.append(t2 - t1)
    return add, between


def bench_calendars(steps: int) -> None:
    """Print calendar step latencies, business calendar against 24×7."""
    rows = []
    for label, cal in (
        ("CN holidays, lunch break", BusinessCalendar(weekly=LUNCH, region="CN")),
        ("24x7 (baseline)", BusinessCalendar.always_open()),
    ):
        add, between = calendar_latencies(cal, steps)
        for name, samples in (("add_business_minutes", add), ("business_minutes_between", between)):
            rows.append([label, name, f"{percentile(samples, 50) * 1e6:.1f}", f"{percentile(samples, 99) * 1e6:.1f}"])
    print(f"\n== calendar steps ({steps} random starts in 2025–2026, minutes {MINUTES}) ==")
    print(table(["calendar", "call", "p50 µs", "p99 µs"], rows))
    ratio = float(rows[0][3]) / float(rows[2][3])
    print(f"p99 add_business_minutes, business calendar / 24x7: {ratio:.2f}x   (target p99 <= 50 µs)")


# --- the sweep ----------------------------------------------------------------------------


def _reset(url: str) -> None:
    if db.obj is not None:
        db.close()
    open_database(url)
    if is_postgres():
        db.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    upgrade(get_host())


_SQLITE_SERIES = "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?) SELECT n FROM s)"


def _fill(tenant: object, policy_id: int, count: int, due_percent: float) -> int:
    """Insert `count` open tickets and their SLA rows; every (100/due_percent)-th is overdue."""
    every = max(1, round(100 / due_percent))
    late = new_clock(60, NOW - timedelta(minutes=61))
    late.update(due=iso(NOW - timedelta(minutes=1)), warn_at=iso(NOW - timedelta(minutes=13)))
    fine = new_clock(60, NOW)
    fine.update(due=iso(NOW + timedelta(minutes=60)), warn_at=iso(NOW + timedelta(minutes=48)))
    stamp = Ticket.created_at.db_value(NOW)
    p = db.param
    series = f"generate_series(1, {p}) AS n" if is_postgres() else _SQLITE_SERIES
    db.execute_sql(
        f'INSERT INTO "ticket" (tenant_id, number, subject, description, channel, priority, status, tags, '
        f"created_at, updated_at) SELECT {p}, n, 'bench ' || n, '', 'api', 'normal', 'open', '[]', {p}, {p} "
        f"FROM {series}",
        (tenant.id, stamp, stamp, count),
    )
    soon = SlaTicket.next_check_at.db_value(NOW - timedelta(minutes=13))
    later = SlaTicket.next_check_at.db_value(NOW + timedelta(minutes=48))
    db.execute_sql(
        f'INSERT INTO "sla_ticket" (tenant_id, ticket_id, policy_id, policy_name, state, paused, '
        f"resolution_due, next_check_at, clocks, updated_at) "
        f"SELECT tenant_id, id, {p}, 'Bench', 'ok', {p}, "
        f"CASE WHEN MOD(number, {every}) = 0 THEN {p} ELSE {p} END, "
        f"CASE WHEN MOD(number, {every}) = 0 THEN {p} ELSE {p} END, "
        f"CASE WHEN MOD(number, {every}) = 0 THEN {p} ELSE {p} END, {p} "
        f'FROM "ticket" WHERE tenant_id = {p}',
        (
            policy_id,
            False,
            SlaTicket.resolution_due.db_value(NOW - timedelta(minutes=1)),
            SlaTicket.resolution_due.db_value(NOW + timedelta(minutes=60)),
            soon,
            later,
            json.dumps({"resolution": late}),
            json.dumps({"resolution": fine}),
            stamp,
            tenant.id,
        ),
    )
    db.execute_sql("ANALYZE")
    return count // every


def _find_all(tenant: object) -> int:
    """Page through every due row by the index, as the sweep does; returns how many."""
    found, after = 0, None
    while rows := due_rows(tenant, NOW, after):
        found += len(rows)
        after = (rows[-1].next_check_at, rows[-1].id)
    return found


def _due_ids(tenant: object, *, indexed: bool) -> int:
    """Ids of the due rows, in sweep order; `indexed=False` asks so that no index can answer."""
    p = db.param
    test = "next_check_at <= {p}" if indexed else "COALESCE(next_check_at, {p}) <= {p}"
    sql = f'SELECT id, ticket_id FROM "sla_ticket" WHERE tenant_id = {p} AND {test} ORDER BY next_check_at, id'
    when = SlaTicket.next_check_at.db_value(NOW)
    far = SlaTicket.next_check_at.db_value(NOW + timedelta(days=3650))
    params = (tenant.id, when) if indexed else (tenant.id, far, when)
    return len(db.execute_sql(sql.format(p=p), params).fetchall())


def bench_sweep(label: str, url: str, count: int, due_percent: float, process: int) -> list[str]:
    """Fill a fresh database, then time finding and processing the due rows; one table row."""
    _reset(url)
    clock.freeze(NOW)
    tenant = accounts.create_tenant("bench", "Bench")
    get_host().set_enabled(tenant, "sla", enabled=True)
    policy = save_policies(tenant, {"items": [{"name": "Bench", "resolution": 60}]})[0]
    t0 = time.perf_counter()
    due = _fill(tenant, policy.id, count, due_percent)
    fill = time.perf_counter() - t0
    t0 = time.perf_counter()
    found = _due_ids(tenant, indexed=True)
    find = time.perf_counter() - t0
    t0 = time.perf_counter()
    scanned = _due_ids(tenant, indexed=False)
    scan = time.perf_counter() - t0
    t0 = time.perf_counter()
    paged = _find_all(tenant)
    page = time.perf_counter() - t0
    assert found == due == scanned == paged, (found, due, scanned, paged)
    t0 = time.perf_counter()
    fired = sweep_tenant(tenant, NOW, max_tickets=process)
    work = time.perf_counter() - t0
    handled = len({f.ticket_id for f in fired})
    clock.unfreeze()
    return [
        label,
        f"{count:,}",
        f"{due:,}",
        f"{fill:.1f}",
        f"{find:.3f}",
        f"{scan:.3f}",
        f"{scan / find:.1f}x",
        f"{page:.3f}",
        f"{handled:,} ({len(fired):,} firings)",
        f"{work:.2f}",
        f"{work / max(handled, 1) * 1000:.2f}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the calendar and sweep figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000, help="open tickets (default 1,000,000)")
    parser.add_argument("--due-percent", type=float, default=1.0, help="share of them that is due (default 1)")
    parser.add_argument("--process", type=int, default=2000, help="due tickets to process (default 2000)")
    parser.add_argument("--steps", type=int, default=20000, help="calendar calls to time (default 20000)")
    parser.add_argument("--skip-pg", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)

    bench_calendars(args.steps)

    targets = [("SQLite", f"sqlite:///{tempfile.mkdtemp(prefix='gongdan-bench-sla-')}/bench.db")]
    pg_url = os.environ.get("GONGDAN_BENCH_PG_URL", "")
    if pg_url.startswith("postgres") and not args.skip_pg:
        targets.append(("PostgreSQL", pg_url))
    else:
        print("\n(PostgreSQL skipped: set GONGDAN_BENCH_PG_URL=postgresql://.../gongdan_bench_sla)")
    rows = [bench_sweep(label, url, args.tickets, args.due_percent, args.process) for label, url in targets]
    print(f"\n== sweep: {args.tickets:,} open tickets, {args.due_percent}% due, each with a warning and a breach ==")
    headers = [
        "database",
        "tickets",
        "due",
        "fill s",
        "find s (index)",
        "scan s (baseline)",
        "scan/find",
        "load rows s",
        "processed",
        "process s",
        "ms/ticket",
    ]
    print(table(headers, rows))
    print("target: finding the due 1% in under 0.5 s")
    print(f"(run at {datetime.now(UTC).isoformat(timespec='seconds')}, python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
