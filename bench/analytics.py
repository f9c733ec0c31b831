"""Analytics figures: report latency from the rollups against scanning the tickets, export rows/s,
the incremental refresh rate, the forecast's error on a held-back month, Erlang C checks.

    .venv/bin/python -m bench.analytics [--tickets 1000000] [--days 90] [--runs 15] [--skip-pg] [--reuse]
        [--refresh-baseline ROLLUP_PY] [--refresh-only]

1. `--tickets` tickets over `--days` days are inserted directly (one tenant, 5 channels, 120
   problems in a 诉求/场景/问题 tree, 40 tags, 6 teams, 60 agents, customers in 3 tiers, 4
   priorities; 95 % answered and resolved). Their rollups are computed by the plugin's own
   functions (`rollup.dims_of`, `days_of`, `expand`) over the same rows and written with
   `rollup.apply` in one go: running the hooks' path (`rollup.refresh`) for a million tickets
   would take longer than the rest of the benchmark, and its rate is measured separately (4).
2. Each report's p50/p95 over `--runs` runs, read from the rollups, and the same figure computed
   by scanning the tickets (SQL over the ticket table) measured in the same run.
3. Export rows/s: the tickets of the last 7 days as CSV and as Excel (streamed, masked).
4. `rollup.refresh` rate on a 3,000-ticket tenant of its own: the first count (empty rollups, as
   after an import of history), a recount where nothing changed, one ticket at a time; with
   `--refresh-baseline ROLLUP_PY` (e.g. `git show REV:plugins/analytics/gongdan_analytics/rollup.py`)
   that version is timed alternately in the same run. `--refresh-only --tickets 3000`: only this.
5. The forecast's MAPE on a held-back month of synthetic arrivals (weekly, daily and promotion
   peaks, China's holidays) against the seasonal-naive baseline (target: ≤ 0.8× its error).
6. Erlang C against published values.

PostgreSQL runs when `GONGDAN_BENCH_PG_URL` is set; its tables are dropped and recreated
(`--reuse`: a database an earlier run filled is timed again as it is, without the fill).
Figures are printed; nothing passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from gongdan_analytics import erlang, exports, reports, rollup
from gongdan_analytics.forecast import backtest, forecast
from gongdan_analytics.models import Backlog, Daily, Hourly
from gongdan_analytics.periods import Period
from gongdan_analytics.synthetic import HOURS, WEEKDAY, arrivals

# the script's folder goes last on the path (see bench/sla.py)
from bench.common import percentile, table
from gongdan import accounts, categories, clock
from gongdan.actors import Actor
from gongdan.db import db, is_postgres, open_database
from gongdan.models import Customer, Team, Tenant, Ticket, User
from gongdan.plugins import get_host
from gongdan.schema import upgrade
from gongdan.web import create_app  # imported first: a broken tree fails before a long fill

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SH)
CHANNELS = (("web", 0.4), ("email", 0.2), ("phone", 0.1), ("api", 0.1), ("pdd", 0.2))
BATCH = 5000
# held-back months: one whose seasonal-naive week before is the National Day holiday, one after it
SPLITS = (date(2025, 10, 13), date(2025, 10, 20))


def _reset(url: str) -> None:
    if db.obj is not None:
        db.close()
    open_database(url)
    if is_postgres():
        db.execute_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    upgrade(get_host())


def _setup(tenant: object) -> tuple[list[int], list[int], list[int]]:
    """Categories, teams, agents, customers; returns their ids (and the leaf paths)."""
    leaves = [f"诉求{a}/场景{a}-{s}/问题{a}-{s}-{p}" for a in range(8) for s in range(3) for p in range(5)]
    leaf_ids = [categories.ensure(tenant, path)[0].id for path in leaves]
    teams = [Team.create(tenant=tenant, name=f"组{n}").id for n in range(6)]
    agents = [
        User.create(
            tenant=tenant, email=f"agent{n}@{tenant.slug}.bench.cn", name=f"客服{n}", role="agent", team=teams[n % 6]
        ).id
        for n in range(60)
    ]
    tiers = ["normal"] * 8 + ["vip", "svip"]
    rows = [{"tenant": tenant.id, "name": f"客户{n}", "tier": tiers[n % 10]} for n in range(2000)]
    Customer.insert_many(rows).execute()
    customers = [c.id for c in Customer.select(Customer.id).where(Customer.tenant == tenant)]
    return leaf_ids, agents, customers


def _tickets(tenant: object, count: int, days: int, seed: int = 5, rollups: bool = True) -> tuple[int, float]:
    """Insert `count` tickets over `days` days before NOW and (`rollups`) their rollups; returns
    (count, seconds)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    leaf_ids, agents, customers = _setup(tenant)
    team_of = {u.id: u.team_id for u in User.select(User.id, User.team).where(User.tenant == tenant)}
    tags = [f"标签{n}" for n in range(40)]
    end = NOW.astimezone(UTC)
    day_cum = list(accumulate(WEEKDAY[(NOW - timedelta(days=d)).weekday()] for d in range(days)))
    hour_cum = list(accumulate(HOURS))
    channel_cum = list(accumulate(w for _, w in CHANNELS))
    priority_cum = list(accumulate((2, 6, 2, 1)))
    channel_names = [c for c, _ in CHANNELS]
    fields = [
        Ticket.tenant, Ticket.number, Ticket.subject, Ticket.description, Ticket.channel, Ticket.priority,
        Ticket.status, Ticket.assignee, Ticket.team, Ticket.category, Ticket.customer, Ticket.tags, Ticket.created_at,
        Ticket.updated_at, Ticket.first_response_at, Ticket.resolved_at,
    ]  # fmt: skip
    batch = []
    for number in range(1, count + 1):
        back = rng.choices(range(days), cum_weights=day_cum)[0]
        day = (NOW - timedelta(days=back)).date()
        hour = rng.choices(range(24), cum_weights=hour_cum)[0]
        created = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=SH).astimezone(UTC)
        if created >= end:
            created = end - timedelta(minutes=rng.randrange(1, 600))
        channel = rng.choices(channel_names, cum_weights=channel_cum)[0]
        leaf = rng.randrange(len(leaf_ids))
        agent = rng.choice(agents)
        answered = rng.random() < 0.95
        first = created + timedelta(minutes=rng.expovariate(1 / 40)) if answered else None
        resolved = created + timedelta(minutes=rng.expovariate(1 / 600)) if answered else None
        if first and first > end:
            first = resolved = None
        if resolved and resolved > end:
            resolved = None
        status = "resolved" if resolved else ("open" if first else "new")
        customer = rng.choice(customers)
        chosen = rng.sample(tags, rng.choice((0, 1, 1, 2)))
        priority = rng.choices(("low", "normal", "high", "urgent"), cum_weights=priority_cum)[0]
        values = (
            tenant.id, number, f"bench {number}", "", channel, priority, status, agent, team_of[agent],
            leaf_ids[leaf], customer, chosen, created, resolved or first or created, first, resolved,
        )  # fmt: skip
        batch.append(values)
        if len(batch) == BATCH:
            _insert(fields, batch)
            batch = []
    if batch:
        _insert(fields, batch)
    if rollups:
        sql_rollups(tenant)
    db.execute_sql("ANALYZE")
    return count, time.perf_counter() - started


def _insert(fields: list, rows: list[tuple]) -> None:
    """Insert ticket rows with one multi-row statement per 1000 (peewee's builder is too slow here)."""
    names = ", ".join(f'"{f.column_name}"' for f in fields)
    one = "(" + ", ".join([db.param] * len(fields)) + ")"
    with db.atomic():
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            params = [f.db_value(v) for row in chunk for f, v in zip(fields, row, strict=True)]
            db.execute_sql(f'INSERT INTO "ticket" ({names}) VALUES {", ".join([one] * len(chunk))}', params)


# --- rollups by SQL over the generated tickets --------------------------------------------------

DIM_SQL = {
    "all": "''",
    "channel": "t.channel",
    "priority": "t.priority",
    "team": "COALESCE(CAST(t.team_id AS TEXT), '')",
    "agent": "COALESCE(CAST(t.assignee_id AS TEXT), '')",
    "tier": "COALESCE(cu.tier, '')",
    "problem": "COALESCE(c3.path, '')",
    "scene": "COALESCE(c2.path, '')",
    "appeal": "COALESCE(c1.path, '')",
}
JOINS = (
    'LEFT JOIN "customer" cu ON cu.id = t.customer_id LEFT JOIN "category" c3 ON c3.id = t.category_id '
    'LEFT JOIN "category" c2 ON c2.id = c3.parent_id LEFT JOIN "category" c1 ON c1.id = c2.parent_id'
)


def _local_day(column: str) -> str:
    """The Shanghai date of a naive-UTC column (a fixed +8 h: China has no summer time)."""
    return f"CAST(({column} + INTERVAL '8 hours') AS DATE)" if is_postgres() else f"date({column}, '+8 hours')"


def sql_rollups(tenant: object) -> None:
    """The rollups of the bench tickets (every dimension but tags) by GROUP BY in the database:
    what `rollup.refresh` would write, at a fraction of the time for a million tickets (checked
    against the plugin's own rebuild by `check_sql_rollups`)."""
    p = db.param
    metrics = (
        ("created", "t.created_at", "0"),
        ("first_response", "t.first_response_at", _minutes("t.first_response_at", "t.created_at")),
        ("resolved", "t.resolved_at", _minutes("t.resolved_at", "t.created_at")),
    )
    hour = (  # the UTC quarter hour (the hourly table's step)
        "date_trunc('hour', t.created_at) + FLOOR(EXTRACT(MINUTE FROM t.created_at) / 15) * INTERVAL '15 minutes'"
        if is_postgres()
        else "strftime('%Y-%m-%d %H:', t.created_at) || printf('%02d', strftime('%M', t.created_at) / 15 * 15) || ':00'"
    )
    with db.atomic():
        for dim, value in DIM_SQL.items():
            for metric, stamp, total in metrics:
                db.execute_sql(
                    'INSERT INTO "analytics_daily" (tenant_id, dim, day, value, metric, count, total) '
                    f"SELECT t.tenant_id, '{dim}', {_local_day(stamp)}, {value}, '{metric}', COUNT(*), SUM({total}) "
                    f'FROM "ticket" t {JOINS} WHERE t.tenant_id = {p} AND {stamp} IS NOT NULL GROUP BY 1, 3, 4',
                    (tenant.id,),
                )
            db.execute_sql(
                'INSERT INTO "analytics_backlog" (tenant_id, dim, value, day, count) '
                f"SELECT t.tenant_id, '{dim}', {value}, {_local_day('t.created_at')}, COUNT(*) FROM \"ticket\" t "
                f"{JOINS} WHERE t.tenant_id = {p} AND t.status IN ('new', 'open', 'pending') GROUP BY 1, 3, 4",
                (tenant.id,),
            )
        db.execute_sql(
            'INSERT INTO "analytics_hourly" (tenant_id, hour, channel, metric, count, total) '
            f"SELECT t.tenant_id, {hour}, t.channel, 'created', COUNT(*), 0 FROM \"ticket\" t "
            f"WHERE t.tenant_id = {p} GROUP BY 1, 2, 3",
            (tenant.id,),
        )


def _cells(tenant: object) -> dict[tuple, tuple[int, float]]:
    dims = tuple(DIM_SQL)
    daily = Daily.select(Daily.dim, Daily.day, Daily.value, Daily.metric, Daily.count, Daily.total).where(
        (Daily.tenant == tenant) & Daily.dim.in_(dims) & Daily.metric.in_(("created", "first_response", "resolved"))
    )
    backlog = Backlog.select(Backlog.dim, Backlog.value, Backlog.day, Backlog.count).where(
        (Backlog.tenant == tenant) & Backlog.dim.in_(dims) & (Backlog.count != 0)
    )
    hourly = Hourly.select(Hourly.hour, Hourly.channel, Hourly.count).where(Hourly.tenant == tenant)
    return {
        **{("d", r[0], str(r[1]), r[2], r[3]): (r[4], r[5]) for r in daily.tuples() if r[4]},
        **{("b", r[0], r[1], str(r[2])): (r[3], 0.0) for r in backlog.tuples()},
        **{("h", str(r[0]), r[1]): (r[2], 0.0) for r in hourly.tuples() if r[2]},
    }


def check_sql_rollups(tenant: object) -> bool:
    """Whether the SQL rollups equal what the plugin's own `rollup.rebuild` writes (same dimensions)."""
    ours = _cells(tenant)
    rollup.rebuild(tenant)
    theirs = _cells(tenant)  # minutes by julianday() differ from Python's in the 5th digit
    return ours.keys() == theirs.keys() and all(
        ours[k][0] == theirs[k][0] and abs(ours[k][1] - theirs[k][1]) < 0.05 for k in ours
    )


# --- baselines: the same figures by scanning tickets --------------------------------------------


def _minutes(later: str, earlier: str) -> str:
    if is_postgres():
        return f"EXTRACT(EPOCH FROM ({later} - {earlier})) / 60"
    return f"(julianday({later}) - julianday({earlier})) * 1440"


def _group_sql(group_by: str) -> tuple[str, str]:
    if group_by == "problem":
        return "c.path", 'LEFT JOIN "category" c ON c.id = t.category_id'
    if group_by == "agent":
        return "t.assignee_id", ""
    return f"t.{group_by}", ""


def scan_summary(tenant: object, span: Period, group_by: str) -> int:
    """New, first-response and resolution figures per group by scanning tickets; returns the groups."""
    first, after = span.utc_bounds(tenant)
    column, join = _group_sql(group_by)
    p = db.param
    groups = set()
    for stamp, extra in (
        ("created_at", "0"),
        ("first_response_at", _minutes("t.first_response_at", "t.created_at")),
        ("resolved_at", _minutes("t.resolved_at", "t.created_at")),
    ):
        sql = (
            f'SELECT {column}, COUNT(*), AVG({extra}) FROM "ticket" t {join} '
            f"WHERE t.tenant_id = {p} AND t.{stamp} >= {p} AND t.{stamp} < {p} GROUP BY {column}"
        )
        args = (tenant.id, Ticket.created_at.db_value(first), Ticket.created_at.db_value(after))
        groups |= {row[0] for row in db.execute_sql(sql, args).fetchall()}
    return len(groups)


def scan_backlog(tenant: object) -> int:
    """Open tickets per team and their oldest creation, by scanning the open tickets."""
    p = db.param
    sql = (
        f'SELECT team_id, COUNT(*), MIN(created_at) FROM "ticket" WHERE tenant_id = {p} '
        f"AND status IN ('new', 'open', 'pending') GROUP BY team_id"
    )
    return len(db.execute_sql(sql, (tenant.id,)).fetchall())


def scan_times(tenant: object, span: Period) -> int:
    """Created times of the period's tickets, binned by local day and by weekday × hour in Python."""
    first, after = span.utc_bounds(tenant)
    query = Ticket.select(Ticket.created_at).where(
        (Ticket.tenant == tenant) & (Ticket.created_at >= first) & (Ticket.created_at < after)
    )
    grid: dict[tuple[int, int], int] = defaultdict(int)
    for (created,) in query.tuples():
        local = created.astimezone(SH)
        grid[(local.weekday(), local.hour)] += 1
    return len(grid)


def _history_before(tenant: object, until: date, channel: str | None = None, days: int = 56) -> dict:
    """The forecast's history read as before 30 Nov 2026: one row per hour and channel, each
    timestamp converted by the ORM (the baseline of the forecast's figure)."""
    tz = rollup.tz_of(tenant)
    first = until - timedelta(days=days)
    start = datetime.combine(first, datetime.min.time(), tz).astimezone(UTC)
    stop = datetime.combine(until, datetime.min.time(), tz).astimezone(UTC)
    history = {first + timedelta(days=n): [0.0] * 24 for n in range(days)}
    query = Hourly.select(Hourly.hour, Hourly.count).where(
        (Hourly.tenant == tenant) & (Hourly.metric == "created") & (Hourly.hour >= start) & (Hourly.hour < stop)
    )
    for hour, count in query.tuples():
        local = Hourly.hour.python_value(hour).astimezone(tz)
        if local.date() in history:
            history[local.date()][local.hour] += count
    return history


def forecast_before(tenant: object, day: date) -> dict:
    """The forecast with the history read the old way (baseline)."""
    from gongdan_analytics import forecast as module

    current = module.load_history
    module.load_history = _history_before
    try:
        return forecast(tenant, day, 14)
    finally:
        module.load_history = current


def _timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def _reused(url: str) -> object | None:
    """The `bench` tenant of a database an earlier run filled (`--reuse`), or None."""
    if db.obj is not None:
        db.close()
    open_database(url)
    upgrade(get_host())  # columns and tables added to the code since the fill
    return Tenant.get_or_none(Tenant.slug == "bench")


def bench_reports(
    label: str, url: str, count: int, days: int, runs: int, reuse: bool = False, baseline: str | None = None
) -> list[list[str]]:
    """Fill (or, with `reuse`, take what an earlier run filled), then time every report against its
    scan, the exports and the refresh (`baseline`: another rollup.py timed beside it); returns table
    rows."""
    clock.freeze(NOW)
    tenant = _reused(url) if reuse else None
    if tenant is None:
        _reset(url)
        clock.freeze(NOW)
        tenant = accounts.create_tenant("bench", "Bench 旗舰店")
        get_host().set_enabled(tenant, "analytics", enabled=True)
        small = accounts.create_tenant("check", "Check")
        _tickets(small, 2000, days, seed=9)
        print(f"{label}: SQL rollups equal the plugin's own rebuild on 2000 tickets: {check_sql_rollups(small)}")
        made, seconds = _tickets(tenant, count, days)
        print(f"{label}: {made} tickets over {days} days inserted with their rollups in {seconds:.0f} s")
    else:
        made = Ticket.select().where(Ticket.tenant == tenant).count()
        print(f"{label}: reusing the {made} tickets an earlier run inserted")
    end = NOW.date()
    week, month, all_days = (Period(end - timedelta(days=n - 1), end) for n in (7, 30, days))

    def summary(span: Period, group_by: str) -> tuple:
        return (lambda: reports.summary(tenant, span, group_by)), (lambda: scan_summary(tenant, span, group_by))

    cases = [
        ("summary by channel, 7 days", *summary(week, "channel")),
        (f"summary by problem, {days} days", *summary(all_days, "problem")),
        ("summary by agent, 30 days", *summary(month, "agent")),
        ("daily, 30 days", lambda: reports.daily(tenant, month), lambda: scan_times(tenant, month)),
        ("top problems, 7 days", lambda: reports.top_problems(tenant, week), summary(week, "problem")[1]),
        ("backlog by team", lambda: reports.backlog(tenant, "team"), lambda: scan_backlog(tenant)),
        ("heat map, 7 days", lambda: reports.heatmap(tenant, week), lambda: scan_times(tenant, week)),
        ("forecast, 14 days", lambda: forecast(tenant, end, 14), lambda: forecast_before(tenant, end)),
    ]  # fmt: skip
    rows = []
    for name, fast, scan in cases:
        fast()  # warm
        ours = _timed(fast, runs)
        base = _timed(scan, max(3, runs // 3)) if scan else []
        rows.append(
            [
                label,
                name,
                f"{percentile(ours, 50) * 1000:.1f}",
                f"{percentile(ours, 95) * 1000:.1f}",
                f"{percentile(base, 95) * 1000:.0f}" if base else "—",
                f"{percentile(base, 95) / percentile(ours, 95):.0f}×" if base else "—",
            ]
        )
    rows.extend(bench_exports(label, tenant, week))
    rows.extend(bench_refresh(label, baseline=baseline))
    clock.unfreeze()
    return rows


def bench_exports(label: str, tenant: object, span: Period) -> list[list[str]]:
    """Rows per second of the period's ticket list as CSV and as Excel (all columns, masked)."""
    app = create_app()
    admin = User.get_or_none(User.email == "boss@bench.cn") or accounts.create_user(
        tenant, "boss@bench.cn", "admin", "店长", "pw-bench-123456"
    )
    actor = Actor.of(admin)
    columns = list(exports.TICKET_COLUMNS)
    out = []
    for fmt in ("csv", "xlsx"):
        filters = {"period": span}
        args = {"format": fmt, "lang": "zh", "unmasked": False}
        t0 = time.perf_counter()
        with app.test_request_context():
            response = exports.export_tickets(tenant, actor, columns, filters, args, None)
            size = sum(len(chunk) for chunk in response.response)
        seconds = time.perf_counter() - t0
        rows = exports.ticket_query(tenant, actor, filters).count()
        out.append(
            [
                label,
                f"export {fmt}, 7 days, {len(columns)} columns",
                f"{rows} rows",
                f"{rows / seconds:,.0f} rows/s",
                f"{size / 1e6:.1f} MB",
                "",
            ]
        )
    return out


def _baseline_rollup(path: str) -> object:
    """Another version of `gongdan_analytics/rollup.py` (e.g. `git show HEAD~5:...`) loaded as a
    module of the package, to time its `refresh` against today's in the same run."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gongdan_analytics._rollup_baseline", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    module.__package__ = "gongdan_analytics"
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def bench_refresh(label: str, count: int = 3000, baseline: str | None = None, rounds: int = 2) -> list[list[str]]:
    """Tickets per second through `rollup.refresh` (what the catch-up job runs), on a tenant of its
    own: the first count of `count` tickets (empty rollups, as after an import of history or a
    rebuild), a recount where nothing changed, and one ticket at a time. With `baseline` (another
    version's rollup.py) both versions run alternately in the same process, the tables emptied
    before each first count."""
    from gongdan_analytics.models import Fact

    tenant = Tenant.get_or_none(Tenant.slug == "refresh")
    if tenant is None:
        tenant = accounts.create_tenant("refresh", "Refresh")
        _tickets(tenant, count, 30, seed=11, rollups=False)
    ids = [row[0] for row in Ticket.select(Ticket.id).where(Ticket.tenant == tenant).tuples()]
    versions = [("this tree", rollup)] + ([("baseline", _baseline_rollup(baseline))] if baseline else [])
    figures: dict[str, dict[str, list[float]]] = {name: defaultdict(list) for name, _ in versions}
    for _ in range(rounds):
        for name, module in versions:
            with db.atomic():
                for model in (Fact, Daily, Hourly, Backlog):
                    model.delete().where(model.tenant == tenant).execute()
            for step, chosen in (("first", ids), ("again", ids), ("single", ids[:200])):
                wall, cpu = time.perf_counter(), time.process_time()
                if step == "single":
                    for ticket_id in chosen:
                        module.refresh(tenant, [ticket_id])  # type: ignore[attr-defined]
                else:
                    module.refresh(tenant, chosen)  # type: ignore[attr-defined]
                figures[name][step].append(len(chosen) / (time.perf_counter() - wall))
                figures[name][step + " cpu"].append((time.process_time() - cpu) / len(chosen) * 1000)
    rows = []
    base = figures.get("baseline")
    for name, _ in versions:
        got = figures[name]
        for step, title in (("first", "first count"), ("again", "recount, nothing changed"), ("single", "one by one")):
            rate = max(got[step])
            ratio = f"{rate / max(base[step]):.1f}× baseline" if base and name != "baseline" else ""
            rows.append(
                [
                    label,
                    f"rollup.refresh ({name}), {title}, {len(ids) if step != 'single' else 200} tickets",
                    f"{rate:,.0f} tickets/s",
                    f"{min(got[step + ' cpu']):.3f} ms CPU a ticket",
                    ratio,
                    f"load {os.getloadavg()[0]:.1f}",
                ]
            )
    return rows


# --- forecast and Erlang C ---------------------------------------------------------------------


def bench_forecast() -> None:
    """MAPE of the model and of seasonal naive on held-back months of 160 synthetic days."""
    promos = [
        ("618", date(2025, 6, 1), date(2025, 6, 18), 1.8),
        ("开学季", date(2025, 8, 28), date(2025, 8, 31), 1.6),
        ("国庆促销", date(2025, 9, 26), date(2025, 9, 28), 2.0),
        ("双11", date(2025, 11, 10), date(2025, 11, 11), 3.0),
    ]
    rows = []
    cases = [(per_day, seed, split) for per_day, seed in ((300, 3), (3000, 4), (11000, 5)) for split in SPLITS]
    for per_day, seed, split in cases:
        history, marks = arrivals(date(2025, 6, 15), 160, per_day, promos, seed=seed)
        history = {d: v for d, v in history.items() if d < split + timedelta(days=30)}
        result = backtest(history, split, marks)
        ratio = result["mape"] / result["naive_mape"]
        rows.append(
            [
                f"{per_day}/day",
                f"{split} + {result['days']} days",
                f"{result['mape'] * 100:.1f}%",
                f"{result['naive_mape'] * 100:.1f}%",
                f"{ratio:.2f}×",
                f"{result['hourly_wape'] * 100:.1f}% vs {result['naive_hourly_wape'] * 100:.1f}%",
            ]
        )
    print("\nForecast on a held-back month (synthetic: weekly, daily, holiday and promotion peaks; 国庆, 双11 inside)")
    print(
        table(
            ["volume", "held back", "model MAPE", "seasonal naive MAPE", "ratio (target ≤ 0.8×)", "hourly WAPE"], rows
        )
    )


def bench_erlang() -> None:
    """Erlang C results against published values."""
    readme, r_package, call_calc = "pyworkforce README", "R ErlangC", "al911.org Call Calc"
    checks = [
        ("P(wait), 10 erlangs, 14 agents", erlang.erlang_c(14, 10.0), 0.1741319, f"{readme}; {r_package}"),
        ("P(wait), 10 erlangs, 11 agents", erlang.erlang_c(11, 10.0), 0.6821182, r_package),
        ("SL 20 s, 14 agents, AHT 180 s", erlang.service_level(14, 10.0, 180, 20), 0.88835, f"{readme}; {r_package}"),
        ("agents for 80 % in 20 s", erlang.required_agents(200, 3.0, 0.8, 20 / 60), 14, readme),
        ("P(wait > 10 s), 2 × 30/h × 60 s", 1 - erlang.service_level(2, 0.5, 60, 10), 0.08, f"{call_calc}: < 8 %"),
        ("P(wait > 10 s), 2 × 30/h × 80 s", 1 - erlang.service_level(2, 2 / 3, 80, 10), 0.14, f"{call_calc}: 14 %"),
    ]
    print("\nErlang C against published values")
    print(table(["case", "ours", "published", "source"], [[c, f"{o:.6g}", f"{p:.6g}", s] for c, o, p, s in checks]))


def main() -> None:
    """Run every benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-reports", action="store_true", help="only the forecast and Erlang C figures")
    parser.add_argument("--reuse", action="store_true", help="time the tickets an earlier run left (no refill)")
    parser.add_argument(
        "--refresh-baseline",
        metavar="ROLLUP_PY",
        help="another version of gongdan_analytics/rollup.py to time beside this tree's refresh",
    )
    parser.add_argument(
        "--refresh-only", action="store_true", help="only the refresh rates, of --tickets tickets (e.g. 3000)"
    )
    options = parser.parse_args()
    os.environ.setdefault("GONGDAN_KEY_FILE", os.path.join(tempfile.mkdtemp(), "bench.key"))
    targets = [] if options.skip_sqlite else [("SQLite", f"sqlite:///{tempfile.mkdtemp()}/analytics.db")]
    if os.environ.get("GONGDAN_BENCH_PG_URL") and not options.skip_pg:
        targets.append(("PostgreSQL", os.environ["GONGDAN_BENCH_PG_URL"]))
    rows = []
    if options.refresh_only:
        for label, url in targets:
            _reset(url)
            clock.freeze(NOW)
            rows.extend(bench_refresh(label, options.tickets, options.refresh_baseline))
        print(f"\nRefresh rates (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end)")
        print(table(["database", "what", "rate", "CPU", "vs baseline", "load"], rows))
        return
    for label, url in [] if options.skip_reports else targets:
        rows.extend(
            bench_reports(
                label, url, options.tickets, options.days, options.runs, options.reuse, options.refresh_baseline
            )
        )
    if rows:
        print(f"\nReports at {options.tickets} tickets over {options.days} days (ms; target p95 ≤ 300 ms)")
        print(table(["database", "report", "p50", "p95", "scan p95 (baseline)", "faster"], rows))
    bench_forecast()
    bench_erlang()


if __name__ == "__main__":
    main()
