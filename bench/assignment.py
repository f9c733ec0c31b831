"""Assignment plugin benchmark: decision latency, assignments per second, and a 4-process burst.

    .venv/bin/python -m bench.assignment                # 1,000 agents, 100,000 open tickets, burst 10,000
    .venv/bin/python -m bench.assignment --scale 0.1    # a quick run (a tenth of everything)

PostgreSQL runs too when GONGDAN_BENCH_PG_URL is set (e.g.
postgresql://gongdan:gongdan@127.0.0.1:5432/gongdan_bench_assignment); its tables are emptied.
Prints figures, and ratios against a baseline measured in the same run (the ticket service's
own `tickets.assign` with the plugin off: no decision, no guard); never passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from typing import Any

# bench/ holds scripts, not packages: keep them (e.g. bench/http.py) from shadowing the stdlib
from gongdan_assignment import rules
from gongdan_assignment.models import AgentState
from gongdan_assignment.routing import decide, route
from peewee import fn

from gongdan import accounts, categories, clock, tickets
from gongdan.actors import Actor
from gongdan.db import db, is_postgres, open_database
from gongdan.hooks import assignment_strategies
from gongdan.models import OPEN_STATUSES, AgentSkill, Category, Skill, Tenant, Ticket, TicketEvent, User
from gongdan.plugins import get_host
from gongdan.schema import all_models, upgrade

SKILLS = ("退货退款", "换货", "物流", "催发货", "发票", "尺码", "优惠券", "质量问题", "补寄", "仅退款")
CATEGORIES = ("售后/退货退款/质量问题", "售后/换货/尺码", "物流/催发货", "咨询/发票", "咨询/优惠券")
CHUNK = 1000

WORKER = """
import os, sys, time
from gongdan import tickets
from gongdan.actors import Actor
from gongdan.db import open_database
from gongdan.models import Tenant

open_database(os.environ["GONGDAN_DATABASE_URL"])
slug, count, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
tenant = Tenant.get(Tenant.slug == slug)
time.sleep(max(0.0, start - time.time()))
for i in range(count):
    tickets.create(tenant, {"subject": f"burst {os.getpid()} {i}"}, Actor.system("channel:api"))
"""


def fresh(url: str) -> None:
    """Open `url` with the schema of the core and every plugin, every table empty."""
    if db.obj is not None:
        db.close()
    open_database(url)
    host = get_host()
    upgrade(host)
    models = [m for m in all_models(host) if m._meta.table_name != "schema_version"]
    if is_postgres():
        db.execute_sql("TRUNCATE " + ", ".join(f'"{m._meta.table_name}"' for m in models) + " RESTART IDENTITY CASCADE")
    else:
        with db.atomic():
            for model in reversed(models):
                model.delete().execute()


def make_tenant(slug: str, agents: int, capacity: int, strategy: str) -> tuple[Tenant, list[int]]:
    """A tenant with the plugin on, `agents` online agents with three skills each."""
    tenant = accounts.create_tenant(slug, f"bench {slug}")
    get_host().set_enabled(tenant, "assignment", enabled=True)
    for path in CATEGORIES:
        categories.ensure(tenant, path)
    skills = {name: Skill.create(tenant=tenant, name=name).id for name in SKILLS}
    now = clock.now()
    with db.atomic():
        users = [
            {"tenant": tenant.id, "email": f"a{i}@{slug}.bench", "name": f"坐席{i}", "role": "agent"}
            for i in range(agents)
        ]
        for start in range(0, len(users), CHUNK):
            User.insert_many(users[start : start + CHUNK]).execute()
        ids = [u.id for u in User.of(tenant).where(User.role == "agent").order_by(User.id)]
        rows = [
            {"tenant": tenant.id, "user": i, "status": "online", "capacity": capacity, "updated_at": now} for i in ids
        ]
        links = [
            {"tenant": tenant.id, "user": i, "skill": skills[name], "level": random.randint(1, 5)}
            for i in ids
            for name in random.sample(SKILLS, 3)
        ]
        for start in range(0, len(rows), CHUNK):
            AgentState.insert_many(rows[start : start + CHUNK]).execute()
        for start in range(0, len(links), CHUNK):
            AgentSkill.insert_many(links[start : start + CHUNK]).execute()
    use_strategy(tenant, strategy)
    return tenant, ids


def use_strategy(tenant: Tenant, strategy: str) -> None:
    """Make `strategy` the tenant's default, with no rules."""
    rules.save(
        tenant, {"rules": [], "default": {"strategy": strategy}}, Actor.system("bench"), set(assignment_strategies())
    )


def add_tickets(tenant: Tenant, count: int, assignees: list[int] | None) -> list[int]:
    """Insert `count` open tickets directly (no events), spread over `assignees` or unassigned."""
    cats = [c.id for c in categories_of(tenant)]
    now = clock.now()
    first = Tenant.get_by_id(tenant.id).ticket_seq + 1
    rows = [
        {
            "tenant": tenant.id,
            "number": first + n,
            "subject": f"bench {first + n}",
            "channel": "api",
            "priority": random.choice(("low", "normal", "high", "urgent")),
            "status": "open",
            "category": random.choice(cats),
            "assignee": assignees[n % len(assignees)] if assignees else None,
            "tags": [],
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    with db.atomic():
        for start in range(0, len(rows), CHUNK):
            Ticket.insert_many(rows[start : start + CHUNK]).execute()
        Tenant.update(ticket_seq=first + count - 1).where(Tenant.id == tenant.id).execute()
    if assignees:
        AgentState.update(
            open_count=Ticket.select(fn.COUNT(Ticket.id)).where(
                (Ticket.assignee == AgentState.user) & Ticket.status.in_(OPEN_STATUSES)
            )
        ).where(AgentState.tenant == tenant.id).execute()
    return [t.id for t in Ticket.of(tenant).where(Ticket.number >= first).order_by(Ticket.id)]


def categories_of(tenant: Tenant) -> Any:
    """The tenant's leaf categories."""
    return Category.of(tenant).where(Category.depth >= 2)


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def decisions(tenant: Tenant, ids: list[int], strategy: str) -> list[float]:
    """Milliseconds per `decide` under `strategy`, one per ticket."""
    use_strategy(tenant, strategy)
    times = []
    for ticket_id in ids:
        ticket = Ticket.get_by_id(ticket_id)
        start = time.perf_counter()
        decide(tenant, ticket)
        times.append((time.perf_counter() - start) * 1000)
    return times


def per_second(fn_: Any, ids: list[int]) -> float:
    """How many of `ids` per second `fn_(ticket)` handles."""
    loaded = [Ticket.get_by_id(i) for i in ids]
    start = time.perf_counter()
    for ticket in loaded:
        fn_(ticket)
    return len(ids) / (time.perf_counter() - start)


def steady(url: str, label: str, agents: int, open_tickets: int, sample: int) -> None:
    """Decision latency and assignment rate with `agents` agents holding `open_tickets` tickets."""
    fresh(url)
    capacity = open_tickets // agents + sample // agents + 20
    tenant, ids = make_tenant("steady", agents, capacity, "least_loaded")
    started = time.perf_counter()
    add_tickets(tenant, open_tickets, ids)
    db.execute_sql("ANALYZE")  # planner statistics, as a live database has them
    print(f"[{label}] {agents} agents, {open_tickets} open tickets loaded in {time.perf_counter() - started:.1f} s")
    new = add_tickets(tenant, sample * 3, None)
    for strategy in ("least_loaded", "skills", "round_robin"):
        times = decisions(tenant, new[:sample], strategy)
        print(
            f"[{label}] decide ({strategy:12}): p50 {percentile(times, 0.5):.2f} ms, "
            f"p99 {percentile(times, 0.99):.2f} ms, mean {statistics.mean(times):.2f} ms  (target p99 <= 5 ms)"
        )
    use_strategy(tenant, "least_loaded")
    manual_actor = Actor.system("bench")
    host = get_host()
    host.set_enabled(tenant, "assignment", enabled=False)  # the baseline: the ticket service alone
    baseline = per_second(
        lambda t: tickets.assign(tenant, t, ids[t.id % len(ids)], manual_actor), new[sample : 2 * sample]
    )
    host.set_enabled(tenant, "assignment", enabled=True)
    routed = per_second(lambda t: route(tenant, t), new[2 * sample :])
    print(f"[{label}] tickets.assign alone (baseline: no plugin, no decision): {baseline:.0f}/s")
    print(
        f"[{label}] routed assignment (decide + guarded assign): {routed:.0f}/s "
        f"= {routed / baseline:.2f} x baseline  (target >= 1000/s on SQLite)"
    )


def burst(url: str, label: str, total: int, agents: int) -> None:
    """`total` tickets created by 4 processes at once under least_loaded; check the invariants."""
    fresh(url)
    capacity = total // agents + 10
    tenant, ids = make_tenant("burst", agents, capacity, "least_loaded")
    per_process = total // 4
    env = {**os.environ, "GONGDAN_DATABASE_URL": url}
    start_at = time.time() + 3.0
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, tenant.slug, str(per_process), str(start_at)], env=env)
        for _ in range(4)
    ]
    for proc in procs:
        proc.wait()
    elapsed = time.time() - start_at
    held = dict(
        Ticket.select(Ticket.assignee, fn.COUNT(Ticket.id))
        .where((Ticket.tenant == tenant.id) & Ticket.assignee.is_null(False) & Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assignee)
        .tuples()
    )
    loads = [held.get(i, 0) for i in ids]
    events = Counter(
        e.ticket_id
        for e in TicketEvent.select(TicketEvent.ticket).where(
            (TicketEvent.tenant == tenant.id) & (TicketEvent.kind == "assigned")
        )
    )
    created = Ticket.of(tenant).count()
    print(
        f"[{label}] burst: {created} tickets from 4 processes in {elapsed:.1f} s ({created / elapsed:.0f}/s), "
        f"{sum(loads)} assigned to {agents} agents (capacity {capacity} each)"
    )
    print(
        f"[{label}] burst: capacity violations {sum(1 for n in loads if n > capacity)}, "
        f"double assignments {sum(1 for n in events.values() if n > 1)}, "
        f"least_loaded spread {max(loads) - min(loads)} (max {max(loads)}, min {min(loads)}; target <= 1)"
    )


def main() -> None:
    """Run the benchmark on SQLite, then PostgreSQL if GONGDAN_BENCH_PG_URL is set."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size (default 1.0)")
    parser.add_argument("--sample", type=int, default=1000, help="decisions/assignments measured per figure")
    parser.add_argument("--parts", default="steady,burst", help="which parts to run (default: steady,burst)")
    args = parser.parse_args()
    agents, open_tickets = max(10, int(1000 * args.scale)), max(100, int(100_000 * args.scale))
    burst_total, burst_agents = max(400, int(10_000 * args.scale)), max(10, int(200 * args.scale))
    random.seed(7)
    targets = [("sqlite", f"sqlite:///{tempfile.mkdtemp(prefix='gongdan-bench-')}/assignment.db")]
    if os.environ.get("GONGDAN_BENCH_PG_URL"):
        targets.append(("postgresql", os.environ["GONGDAN_BENCH_PG_URL"]))
    else:
        print("(GONGDAN_BENCH_PG_URL not set: PostgreSQL skipped)")
    parts = set(args.parts.split(","))
    for label, url in targets:
        if "steady" in parts:
            steady(url, label, agents, open_tickets, args.sample)
        if "burst" in parts:
            burst(url, label, burst_total, burst_agents)


if __name__ == "__main__":
    main()
