"""The ticket list, search and console at 10k / 100k / 1M tickets in one tenant.

    .venv/bin/python -m bench.scale [--sizes 10000,100000,1000000] [--service-limit 100000] [--samples 30]
        [--db PATH]  # keep the grown SQLite database and measure it again later without growing
    GONGDAN_BENCH_PG_URL=postgresql://... .venv/bin/python -m bench.scale [--pg-sizes 10000,100000]
        [--pg-service-limit 2000] [--pg-keep] [--skip-sqlite]
    [--rounds 3]  # no plugin / every plugin alternated, samples split between the rounds
    [--only REGEX]  # measure only those requests; [--retrofit]: a kept database gets this version's data
    [--baseline-db PATH] [--pg-baseline-url URL]  # a kept small database (10k) measured first, in the
        same run: each p95 is printed with its ratio to that one's (the ÷10k columns)

One size at a time on kept databases (the lead's re-run of the 1M rows):
    .venv/bin/python -m bench.scale --baseline-db /tmp/scale-10k.db --db /tmp/scale-1m.db --sizes 1000000
    GONGDAN_BENCH_PG_URL=postgresql://…/gongdan_scale1m .venv/bin/python -m bench.scale --skip-sqlite \
        --pg-keep --pg-sizes 1000000 --pg-baseline-url postgresql://…/gongdan_scale10k

One tenant grows to each size in turn, as a shop of 1,000 tickets a day would over the years
(ticket n is created n × 86.4 s after the first; the newest is today): through the ticket service
(validation, numbering, search postings, events) up to `--service-limit` tickets, by bulk inserts
of the same rows and postings beyond (COPY of tickets and postings on PostgreSQL, and one
`UPDATE … FROM (VALUES …)` per 20,000 tickets to age them). Tickets older than 14 days are resolved or closed with
their response and resolution times, newer ones are new, open, pending or resolved (for the
service-made part this is written afterwards by a bulk update). At each size it prints p50/p95
of `GET /api/v1/tickets` for search (`q=破损`), an order-number lookup, a deep offset page, a
deep cursor page, every sort, status filters, the agent's queue (`assignee=me`), the console's
ticket list (first page and a page 200 pages in by cursor), My queue, and the dashboard (first
visit: nothing in memory; after a change: a ticket moved between open and pending through the
service, then the dashboard; warm: as a second visitor sees it), and search combined with each filter — once with no
plugin enabled and once with every installed first-party plugin enabled, side by side, through
the Flask app in process. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import random
import re
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import percentile, table
from gongdan import accounts, clock, search, tickets
from gongdan.actors import Actor
from gongdan.admin import dashboard_snapshot, stats
from gongdan.db import db, is_postgres, open_database
from gongdan.models import DashboardSnapshot, Team, Tenant, Ticket, TicketEvent, TicketTerm, User
from gongdan.plugins import get_host
from gongdan.schema import all_models, upgrade

PASSWORD = "bench-password-不要用-0"
SUBJECTS = ("收到的商品破损", "物流太慢还没发货", "申请退货退款", "发票开错了", "尺码不合适想换货", "Refund request")
DETAILS = (
    "外箱压坏，杯子碎了两个",
    "快递三天没有更新",
    "颜色和图片不一样",
    "The parcel arrived late",
    "客服一直不回复",
)
PRIORITIES = ("low", "normal", "normal", "high", "urgent")
STATUSES = ("new", "open", "open", "pending", "resolved", "closed")
BULK = 2_000
COLD_SAMPLES = 8
"""Samples of a first visit (each waits for the background work the previous one started)."""
SPACING = 86.4  # seconds between two tickets: 1,000 a day
RECENT_DAYS = 14  # tickets newer than this may still be open


def order_sn(n: int) -> str:
    """The Pinduoduo-style order number of ticket `n`."""
    return f"2611{n % 100:02d}-{n:015d}"


def payload(n: int) -> dict[str, Any]:
    """Ticket `n`: a subject, a description holding its order number, a priority."""
    rng = random.Random(n)
    return {
        "subject": rng.choice(SUBJECTS),
        "description": f"{rng.choice(DETAILS)}，订单号 {order_sn(n)}",
        "priority": rng.choice(PRIORITIES),
        "channel": "api",
    }


def created_at(origin: datetime, n: int) -> datetime:
    """When ticket `n` was created."""
    return origin + timedelta(seconds=n * SPACING)


def life(n: int, created: datetime, now: datetime) -> dict[str, Any]:
    """Status and times of ticket `n` created at `created`: old ones are finished.

    Seeded apart from `payload` (`random.Random(-n)` is `random.Random(n)`: every 破损 ticket
    was new or resolved, none open, and `q=破损&status=open` had no match at all)."""
    rng = random.Random(f"life-{n}")
    old = now - created > timedelta(days=RECENT_DAYS)
    status = rng.choice(("resolved", "closed", "closed")) if old else rng.choice(STATUSES)
    answered = status not in ("new",)
    finished = status in ("resolved", "closed")
    return {
        "status": status,
        "first_response_at": created + timedelta(minutes=rng.randint(5, 600)) if answered else None,
        "resolved_at": created + timedelta(hours=rng.randint(1, 72)) if finished else None,
        "closed_at": created + timedelta(days=4) if status == "closed" else None,
    }


CHANNELS = ("web", "web", "email", "email", "api", "api", "api", "phone")  # phone: 1 in 8
TEAM_SHARE = (0.3, 0.02)  # the big team's share of tickets, the small team's
TAGS = (("vip", 0.05), ("投诉", 0.005))


def traits(n: int, agent_id: int, teams: list[int]) -> dict[str, Any]:
    """Ticket `n`'s channel, assignee (the bench agent, 1 in 20), team and tags."""
    rng = random.Random(f"traits-{n}")
    pick = rng.random()
    team = teams[0] if pick < TEAM_SHARE[0] else teams[1] if pick < sum(TEAM_SHARE) else None
    return {
        "channel": rng.choice(CHANNELS),
        "assignee": agent_id if rng.random() < 0.05 else None,
        "team": team,
        "tags": [tag for tag, share in TAGS if rng.random() < share],
    }


def age(tenant: Any, origin: datetime, now: datetime, agent_id: int, teams: list[int]) -> None:
    """Move the tenant's tickets back in time so that ticket n was created at `created_at(origin, n)`
    (numbers start at 1), with the status, times and traits of that age (one statement run for
    many rows: a kept database of a million tickets is rewritten in a minute or two)."""
    rows = Ticket.select(Ticket.id, Ticket.number).where(Ticket.tenant == tenant).order_by(Ticket.id).tuples()
    rows = list(rows)
    names = ("created_at", "updated_at", "status", "first_response_at", "resolved_at", "closed_at")
    names += ("channel", "assignee_id", "team_id", "tags")
    mark = db.param
    sql = f"UPDATE {Ticket._meta.table_name} SET {', '.join(f'{n} = {mark}' for n in names)} WHERE id = {mark}"
    stamp = Ticket.created_at.db_value
    for start in range(0, len(rows), BULK * 10):
        params = []
        for ticket_id, number in rows[start : start + BULK * 10]:
            created = created_at(origin, number - 1)
            fate = life(number - 1, created, now)
            kind = traits(number - 1, agent_id, teams)
            times = [stamp(fate[n]) for n in ("first_response_at", "resolved_at", "closed_at")]
            tags = Ticket.tags.db_value(kind["tags"])
            shown = (kind["channel"], kind["assignee"], kind["team"], tags)
            params.append((stamp(created), stamp(created), fate["status"], *times, *shown, ticket_id))
        with db.atomic():
            if is_postgres():  # one statement a chunk (executemany is a round trip a row there)
                _update_from_values(tenant.id, names, params)
            else:
                db.cursor().executemany(sql, params)


def _update_from_values(tenant_id: int, names: tuple[str, ...], params: list[tuple]) -> None:
    """PostgreSQL: `UPDATE ticket … FROM (VALUES …)` of the tenant's rows `(*values of names, id)`."""
    from psycopg2.extras import execute_values

    table_name = Ticket._meta.table_name
    kinds = {"channel": "text", "status": "text", "tags": "text", "assignee_id": "int", "team_id": "int"}
    sets = ", ".join(f"{n} = v.{n}::{kinds.get(n, 'timestamp')}" for n in names)
    sql = f"UPDATE {table_name} AS t SET {sets} FROM (VALUES %s) AS v({', '.join(names)}, id)"
    sql += f" WHERE t.tenant_id = {int(tenant_id)} AND t.id = v.id"
    with db.connection().cursor() as cursor:
        execute_values(cursor, sql, params, page_size=5_000)


def grow(tenant: Any, have: int, want: int, service_limit: int, agent_id: int, teams: list[int]) -> None:
    """Add tickets `have`…`want`-1 (the service up to `service_limit`, bulk beyond); the newest is
    created now, the older ones moved back in time to keep 1,000 a day."""
    if want <= have:
        return
    actor = Actor.system("bench")
    now = clock.now()
    origin = now - timedelta(seconds=(want - 1) * SPACING)
    if have:
        age(tenant, origin, now, agent_id, teams)
    n = have
    made = []
    try:
        while n < min(want, service_limit):
            clock.freeze(created_at(origin, n))
            made.append(tickets.create(tenant, payload(n), actor)[0].id)
            n += 1
    finally:
        clock.unfreeze()
    settle = getattr(search, "index_pending", None)  # postings the service left to the worker's job
    if made and settle is not None:
        settle(tenant.id)
    for start in range(0, len(made), BULK):  # the service makes new tickets; age them as the shop would have
        with db.atomic():
            for offset, ticket_id in enumerate(made[start : start + BULK]):
                i = have + start + offset
                created = created_at(origin, i)
                fate = life(i, created, now) | traits(i, agent_id, teams) | {"updated_at": created}
                Ticket.update(**fate).where(Ticket.id == ticket_id).execute()
    if n >= want:
        retag(tenant)
        return
    number = Ticket.select(Ticket.number).where(Ticket.tenant == tenant).order_by(Ticket.number.desc()).scalar() or 0
    while n < want:
        batch = range(n, min(want, n + BULK))
        with db.atomic():
            rows = []
            for i in batch:
                data = payload(i)
                number += 1
                created = created_at(origin, i)
                rows.append(
                    {
                        "tenant": tenant.id,
                        "number": number,
                        "subject": data["subject"],
                        "description": data["description"],
                        "priority": data["priority"],
                        "created_at": created,
                        "updated_at": created,
                        **traits(i, agent_id, teams),
                        **life(i, created, now),
                    }
                )
            insert_tickets(rows)
            first = Ticket.select(Ticket.id).where((Ticket.tenant == tenant) & (Ticket.number == rows[0]["number"]))
            first = first.scalar()
            postings = [
                (tenant.id, term, first + offset)
                for offset, row in enumerate(rows)
                for term in search.ticket_terms(row["subject"], row["description"])
            ]
            bulk_postings(postings)
        n = batch[-1] + 1
    Tenant.update(ticket_seq=number).where(Tenant.id == tenant.id).execute()
    retag(tenant)


def retag(tenant: Any) -> None:
    """The tag postings of the tenant's tickets written again (their tags were set by bulk updates
    above, past the ticket service): the bench's tags' postings deleted, then `search.index_tags`."""
    gone = TicketTerm.delete().where(
        (TicketTerm.tenant == tenant.id) & TicketTerm.term.in_([search.tag_term(tag) for tag, _ in TAGS])
    )
    gone.execute()
    search.index_tags(tenant.id)


COPIED = (
    "tenant", "number", "subject", "description", "priority", "created_at", "updated_at", "channel", "assignee",
    "team", "tags", "status", "first_response_at", "resolved_at", "closed_at",
)  # fmt: skip


def _copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    text = value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def insert_tickets(rows: list[dict[str, Any]]) -> None:
    """Insert ticket rows (the `COPIED` keys) in one go: COPY on PostgreSQL (peewee's multi-row
    INSERT spent more time building its SQL text than the server writing it), `insert_many` on SQLite."""
    if not is_postgres():
        Ticket.insert_many(rows).execute()
        return
    fields = [Ticket._meta.fields[name] for name in COPIED]
    lines = ("\t".join(_copy_text(f.db_value(row[f.name])) for f in fields) + "\n" for row in rows)
    buffer = io.StringIO("".join(lines))
    columns = ", ".join(f.column_name for f in fields)
    with db.connection().cursor() as cursor:
        cursor.copy_expert(f"COPY {Ticket._meta.table_name} ({columns}) FROM STDIN", buffer)


def bulk_postings(rows: list[tuple[int, str, int]]) -> None:
    """Write search postings as `gongdan.search.add` would: COPY on PostgreSQL, multi-row INSERTs on SQLite."""
    if is_postgres():
        buffer = io.StringIO("".join(f"{tenant}\t{term}\t{ticket}\n" for tenant, term, ticket in rows))
        with db.connection().cursor() as cursor:
            cursor.copy_expert(f"COPY {TicketTerm._meta.table_name} (tenant_id, term, ticket_id) FROM STDIN", buffer)
        return
    for start in range(0, len(rows), search.CHUNK):
        chunk = rows[start : start + search.CHUNK]
        search._insert(len(chunk)).execute([value for row in chunk for value in row])


def timings(call: Any, samples: int) -> tuple[list[float], list[float]]:
    """`samples` durations in ms of `call()`, after one warm-up call (a call that returns a number
    timed its own part, seconds), and the CPU in ms each used (`cpu_used`)."""
    call()
    server = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0] if is_postgres() else None
    took, cpu = [], []
    for _ in range(samples):
        used = cpu_used(server)
        start = time.perf_counter()
        own = call()
        took.append((own if isinstance(own, float) else time.perf_counter() - start) * 1000)
        cpu.append((cpu_used(server) - used) * 1000)
    return took, cpu


def cpu_used(server: int | None) -> float:
    """Seconds of CPU this thread and the PostgreSQL server process `server` (its connection's,
    None on SQLite) have run: the server's from Linux `schedstat` in ns, exact while it waits for
    the next statement (left out when its /proc entry cannot be read). Unlike the wall time, hardly
    moved by other work on a shared machine: the figure that compares two runs there."""
    total = thread_cpu()
    if server is not None:
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{server}/schedstat").read_text().split()[0]) / 1e9
    return total


def thread_cpu() -> float:
    """Seconds of CPU the calling thread has run (`time.thread_time`: exact to the moment, where the
    running thread's `schedstat` moves only at the scheduler's ticks, 4 ms here)."""
    return time.thread_time()


def probes(
    app: Any,
    admin_token: str,
    agent_token: str,
    console: Any,
    agent_console: Any,
    size: int,
    teams: list[int],
    agent_id: int,
) -> dict[str, Any]:
    """What is measured at each size: name → call."""
    client = app.test_client()

    def api(path: str, token: str = admin_token) -> Any:
        def call() -> None:
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])

        return call

    deep_cursor: dict[str, str] = {}
    week_ago = (clock.now() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def cursor_page() -> None:
        if "c" not in deep_cursor:  # the cursor 5,000 tickets in (page 200 of 25), found once
            path = "/api/v1/tickets?per_page=100"
            for _ in range(min(50, size // 100 - 1)):
                body = client.get(path, headers={"Authorization": f"Bearer {admin_token}"}).get_json()
                path = f"/api/v1/tickets?per_page=100&cursor={body['next_cursor']}"
            deep_cursor["c"] = body["next_cursor"]
        api(f"/api/v1/tickets?cursor={deep_cursor['c']}")()

    console_cursor: dict[str, str] = {}

    def console_deep() -> None:
        if "c" not in console_cursor:  # the console's list 200 pages in, by following Next
            path = "/console/tickets/"
            for _ in range(min(200, size // 25 - 1)):
                html = console.text(path)
                path = re.search(r'href="([^"]+)" id="next-page"', html).group(1).replace("&amp;", "&")
            console_cursor["c"] = path
        console.text(console_cursor["c"])

    shop = Tenant.get(Tenant.slug == "scale")
    waiting = Ticket.select().where((Ticket.tenant == shop) & Ticket.status.in_(("open", "pending")))
    newest = waiting.order_by(Ticket.id.desc()).first()

    def dashboard_changed() -> float:  # a ticket moved open <-> pending through the service, then the dashboard
        ticket = Ticket.get_by_id(newest.id)  # (a change the backlog counts: figures counted again)
        tickets.transition(shop, ticket, "pending" if ticket.status == "open" else "open", Actor.system("bench"))
        start = time.perf_counter()
        console.text("/console/")
        return time.perf_counter() - start

    def dashboard_cold() -> float:  # as the first visit after a start: nothing in memory, nothing being built
        quiet()  # the previous sample's background work
        stats.forget()
        start = time.perf_counter()
        console.text("/console/")
        return time.perf_counter() - start

    def dashboard_unsaved() -> float:  # a first visit with no snapshot saved either: counted in SQL
        quiet()
        stats.forget()
        DashboardSnapshot.delete().where(DashboardSnapshot.tenant == shop.id).execute()
        start = time.perf_counter()
        console.text("/console/")
        return time.perf_counter() - start

    found = {
        "q=破损": api("/api/v1/tickets?q=破损"),
        "q=<order number>": api(f"/api/v1/tickets?q={order_sn(size // 2)}"),
        "q=破损&status=open": api("/api/v1/tickets?q=破损&status=open"),
        "q=破损&status=pending (rare)": api("/api/v1/tickets?q=破损&status=pending"),
        "q=破损&status=closed": api("/api/v1/tickets?q=破损&status=closed"),
        "q=破损&priority=urgent": api("/api/v1/tickets?q=破损&priority=urgent"),
        "q=破损&assignee=<agent>": api(f"/api/v1/tickets?q=破损&assignee={agent_id}"),
        "q=破损&assignee=none": api("/api/v1/tickets?q=破损&assignee=none"),
        "q=破损&team=<big team>": api(f"/api/v1/tickets?q=破损&team={teams[0]}"),
        "q=破损&team=<small team>": api(f"/api/v1/tickets?q=破损&team={teams[1]}"),
        "q=破损&tag=vip": api("/api/v1/tickets?q=破损&tag=vip"),
        "q=破损&tag=投诉 (rare)": api("/api/v1/tickets?q=破损&tag=投诉"),
        "q=破损&tag=投诉&status=closed": api("/api/v1/tickets?q=破损&tag=投诉&status=closed"),
        "q=破损&tag=vip&status=pending": api("/api/v1/tickets?q=破损&tag=vip&status=pending"),
        "q=破损 退款 (two common words)": api("/api/v1/tickets?q=破损 退款"),
        "q=破损&channel=phone": api("/api/v1/tickets?q=破损&channel=phone"),
        "q=破损&created last 7 days": api(f"/api/v1/tickets?q=破损&created_from={week_ago}"),
        "q=破损&status=open&priority=high": api("/api/v1/tickets?q=破损&status=open&priority=high"),
        "page=200": api("/api/v1/tickets?page=200"),
        "cursor 200 pages in": cursor_page,
    }
    for sort in ("-created_at", "created_at", "-updated_at", "updated_at", "-priority", "priority"):
        found[f"sort={sort}"] = api(f"/api/v1/tickets?sort={sort}")
    for status in ("new", "open", "closed"):
        found[f"status={status}"] = api(f"/api/v1/tickets?status={status}")
    found["tag=投诉 (rare)"] = api("/api/v1/tickets?tag=投诉")
    found["tag=投诉, page 20"] = api("/api/v1/tickets?tag=投诉&page=20")
    found["tag=投诉&sort=-priority"] = api("/api/v1/tickets?tag=投诉&sort=-priority")
    found["tag=vip"] = api("/api/v1/tickets?tag=vip")
    found["tag=vip&status=open"] = api("/api/v1/tickets?tag=vip&status=open")
    found["tag=vip&channel=phone"] = api("/api/v1/tickets?tag=vip&channel=phone")
    found["channel=phone"] = api("/api/v1/tickets?channel=phone")
    found["agent queue (assignee=me)"] = api("/api/v1/tickets?assignee=me", agent_token)
    found["console ticket list"] = lambda: console.text("/console/tickets/")
    found["console list, 200 pages in (Next)"] = console_deep
    found["console list, status=open"] = lambda: console.text("/console/tickets/?status=open")
    found["console My queue (agent)"] = lambda: agent_console.text("/console/workspace/")
    found["console dashboard, after a change"] = dashboard_changed
    found["console dashboard, warm"] = lambda: console.text("/console/")
    found["console dashboard, first visit"] = dashboard_cold  # last: each leaves background work behind
    found["console dashboard, first visit, none saved"] = dashboard_unsaved
    return found


def quiet() -> None:
    """Wait for the dashboard's background work (a snapshot built, SLA attainment) to end."""
    while dashboard_snapshot.building() or stats.refreshing():
        time.sleep(0.01)


def first_party() -> list[str]:
    """Every installed plugin shipped with gongdan (the ones under plugins/)."""
    ours = {p.name for p in (Path(__file__).resolve().parent.parent / "plugins").iterdir() if p.is_dir()}
    return sorted(name for name in get_host().loaded if name in ours)


def switch(tenant: Any, names: list[str], on: bool) -> None:
    """Enable or disable plugins `names` for `tenant`."""
    for name in names:
        get_host().set_enabled(tenant, name, enabled=on)


def setup(url: str, keep: bool) -> tuple[Any, Any, Any, int, list[int]]:
    """The bench tenant, its admin and agent, how many tickets it has (a kept database's), and
    its two teams (a big one and a small one)."""
    open_database(url)
    host = get_host()
    host.forget_tenants()
    if url.startswith("postgres") and not keep:
        db.drop_tables(all_models(host), cascade=True)
    started = time.perf_counter()
    changes = upgrade(host)
    migrated = [f"{c.owner} {c.before} → {c.after}" for c in changes if c.before is not None and c.before != c.after]
    if migrated:  # e.g. core 2 → 3: every ticket's tags written as postings (progress logged by gongdan.search)
        print(f"schema upgraded ({', '.join(migrated)}) in {time.perf_counter() - started:.1f} s", flush=True)
        if is_postgres():  # the new postings' pages marked all-visible: index-only scans read no heap
            db.execute_sql(f"VACUUM (ANALYZE) {TicketTerm._meta.table_name}")
    tenant = Tenant.get_or_none(Tenant.slug == "scale")
    if tenant is None:
        tenant = accounts.create_tenant("scale", "规模测试店")
        accounts.create_user(tenant, "admin@scale.example.com", "admin", password=PASSWORD)
        accounts.create_user(tenant, "agent@scale.example.com", "agent", password=PASSWORD)
    admin = User.get(User.email == "admin@scale.example.com")
    agent = User.get(User.email == "agent@scale.example.com")
    have = Ticket.select().where(Ticket.tenant == tenant).count()
    teams = [Team.get_or_create(tenant=tenant, name=name)[0].id for name in ("售后组", "大客户组")]
    return tenant, admin, agent, have, teams


def run(
    url: str,
    label: str,
    sizes: list[int],
    service_limit: int,
    samples: int,
    keep: bool = False,
    only: str | None = None,
    retrofit: bool = False,
    baseline: dict[str, Any] | None = None,
    rounds: int = 3,
) -> dict[str, Any] | None:
    """Grow one tenant on `url` through `sizes`, printing a table at each (no plugin / every plugin)
    with each p95's ratio to the `baseline` (`{"size", "figures"}`; by default the first size
    measured); returns that baseline.

    `only`: measure the requests whose name matches this regular expression; `retrofit`: give a
    kept database's tickets this version's statuses and traits first (no growing); `rounds`: the
    samples are taken in that many rounds, each with no plugin and then every plugin."""
    from gongdan.testing import ConsoleClient
    from gongdan.web import create_app

    os.environ.setdefault("GONGDAN_RATE_LIMIT_PER_MINUTE", "0")
    tenant, admin, agent, have, teams = setup(url, keep)
    if retrofit and have:
        started = time.perf_counter()
        now = clock.now()
        age(tenant, now - timedelta(seconds=(have - 1) * SPACING), now, agent.id, teams)
        print(f"retrofitted {have:,} tickets in {time.perf_counter() - started:.0f} s", flush=True)
    _, admin_token = accounts.create_token(admin)
    _, agent_token = accounts.create_token(agent)
    app = create_app()
    console = ConsoleClient(app, admin, password=PASSWORD)
    agent_console = ConsoleClient(app, agent, password=PASSWORD)
    plugins = first_party()
    for size in sizes:
        size = size or have  # 0: the kept database as it is
        if size < have:
            continue
        started = time.perf_counter()
        switch(tenant, plugins, on=False)
        grow(tenant, have, size, service_limit, agent.id, teams)
        if is_postgres():  # as autovacuum would after the load: the planner's statistics
            db.execute_sql("ANALYZE")
        built = time.perf_counter() - started
        rate = f"{(size - have) / built:.0f}/s" if size > have else "kept"
        print(f"\n{label}: {size:,} tickets (grown {size - have:,} in {built:.0f} s, {rate})", flush=True)
        have = size
        taken: dict[str, list[list[float]]] = {}  # wall and CPU, no plugin and every plugin
        for _ in range(rounds):  # no plugin and every plugin alternately: the same moments of the machine
            for on in (False, True):
                switch(tenant, plugins, on=on)
                tenant = Tenant.get_by_id(tenant.id)
                found = probes(app, admin_token, agent_token, console, agent_console, size, teams, agent.id)
                for name, call in found.items():
                    if only and not re.search(only, name):
                        continue
                    few = (
                        min(samples, COLD_SAMPLES) if "first visit" in name else samples
                    )  # each waits for background work
                    wall, cpu = timings(call, max(1, few // rounds))
                    lists = taken.setdefault(name, [[], [], [], []])
                    lists[2 * on].extend(wall)
                    lists[2 * on + 1].extend(cpu)
                quiet()
        switch(tenant, plugins, on=False)
        figures = {
            name: [
                *(percentile(none, 50), percentile(none, 95), percentile(every, 50), percentile(every, 95)),
                *(percentile(none_cpu, 50), percentile(every_cpu, 50)),
            ]
            for name, (none, none_cpu, every, every_cpu) in taken.items()
        }
        if baseline is None:  # the first size measured in this run: what the others are compared to
            baseline = {"size": size, "figures": figures}
        if figures:
            print(report(figures, baseline))
        print(f"plugins: {', '.join(plugins)}; load average {os.getloadavg()[0]:.1f}")
        print(f"postings: {TicketTerm.select().count():,} rows; events {TicketEvent.select().count():,}", flush=True)
    return baseline


def report(figures: dict[str, list[float]], baseline: dict[str, Any]) -> str:
    """The table of one size: p50/p95 without and with every plugin and each p95 ÷ the baseline's,
    then the median CPU a request (this process and the PostgreSQL server) and its ÷ the baseline's."""
    base, rows = baseline["figures"], []
    for name, (p50, p95, all50, all95, cpu, all_cpu) in figures.items():
        then = base.get(name)
        pairs = ((p95, 1), (all95, 3), (cpu, 4), (all_cpu, 5))
        ratios = [f"{now / then[n]:.2f}" if then and then[n] else "-" for now, n in pairs]
        walls = (f"{p50:.1f}", f"{p95:.1f}", ratios[0], f"{all50:.1f}", f"{all95:.1f}", ratios[1])
        rows.append((name, *walls, f"{cpu:.1f}", ratios[2], f"{all_cpu:.1f}", ratios[3]))
    mark = f"÷{baseline['size'] // 1000}k"
    heads = ["request", "p50 ms, no plugin", "p95", mark, "p50 ms, all plugins", "p95", mark]
    heads += ["CPU ms, no plugin", mark, "CPU ms, all plugins", mark]
    return table(heads, rows)


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module's docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--pg-sizes", default=None, help="sizes on PostgreSQL (default: --sizes)")
    parser.add_argument("--service-limit", type=int, default=100_000)
    parser.add_argument("--pg-service-limit", type=int, default=100_000, help="on PostgreSQL (bulk beyond)")
    parser.add_argument("--pg-keep", action="store_true", help="keep the PostgreSQL tables (measure them again)")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3, help="no plugin / every plugin alternated this many times")
    parser.add_argument("--db", default=None, help="SQLite file to grow and keep (grown again only past its size)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--only", default=None, help="measure only the requests matching this regular expression")
    parser.add_argument("--retrofit", action="store_true", help="rewrite a kept database's statuses and traits")
    parser.add_argument("--baseline-db", default=None, help="a kept SQLite database measured first (the ÷ column)")
    parser.add_argument("--pg-baseline-url", default=None, help="a kept PostgreSQL database measured first")
    args = parser.parse_args(argv)
    progress = logging.getLogger("gongdan.search")  # a re-index's progress (the upgrade to core 3)
    progress.setLevel(logging.INFO)
    progress.addHandler(logging.StreamHandler())
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as workdir:
        os.environ.setdefault("GONGDAN_KEY_FILE", str(Path(args.db or workdir).with_suffix(".key")))
        os.environ.setdefault("GONGDAN_ATTACHMENTS_DIR", str(Path(workdir) / "files"))
        if not args.skip_sqlite:
            base = None
            if args.baseline_db:  # a kept small database measured first, in this run
                url = f"sqlite:///{Path(args.baseline_db)}"
                base = run(
                    url, "SQLite baseline", [0], args.service_limit, args.samples, True, args.only, rounds=args.rounds
                )
            path = Path(args.db) if args.db else Path(workdir) / "scale.db"
            url = f"sqlite:///{path}"
            keep = bool(args.db)
            run(
                url,
                "SQLite",
                sizes,
                args.service_limit,
                args.samples,
                keep,
                args.only,
                args.retrofit,
                base,
                args.rounds,
            )
        pg = os.environ.get("GONGDAN_BENCH_PG_URL")
        if pg:
            pg_sizes = sorted(int(s) for s in (args.pg_sizes or args.sizes).split(","))
            limit, base = args.pg_service_limit, None
            if args.pg_baseline_url:
                base = run(
                    args.pg_baseline_url,
                    "PostgreSQL baseline",
                    [0],
                    limit,
                    args.samples,
                    True,
                    args.only,
                    rounds=args.rounds,
                )
            run(
                pg,
                "PostgreSQL",
                pg_sizes,
                limit,
                args.samples,
                args.pg_keep,
                args.only,
                args.retrofit,
                base,
                args.rounds,
            )


if __name__ == "__main__":
    main()
