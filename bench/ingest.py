"""Tickets per second through the ticket service on SQLite, against raw sqlite3 inserts.

    .venv/bin/python -m bench.ingest [--tickets 5000] [--rounds 5]

Five paths, each on its own fresh database, measured in interleaved rounds so that a noisy
neighbour slows them all alike (each figure is the median round):

- a raw `sqlite3` insert of the same rows (ticket + audit event, one transaction per ticket,
  the same pragmas) into two bare tables with no secondary index;
- the same raw insert into gongdan's own tables, created by `gongdan init` with their indexes
  and foreign keys, numbering each ticket as the service does — the physical limit of storing
  these rows in this schema;
- the ticket service (validation, customer and category resolution, numbering, insert, audit
  event, hooks) with no plugin enabled, with the four plugins of issue 15's first figure
  (assignment, sla, knowledge, pdd_connector), and with every installed plugin enabled — the
  hooks fired in the request, right after its commit, as for an API or console create;
- the same two plugin sets ingesting (`tickets.ingesting()`, as the connectors' sync and the
  e-mail fetcher do): the request writes the ticket and its events, and the worker's job
  `core.dispatch` fires the hooks in batches (`gongdan.dispatcher`). After the rounds that job
  is run over every waiting event of those paths and its CPU per ticket printed, with the
  request + worker CPU per ticket beside the inline paths'.

Beside each rate, the CPU time of this process per ticket (SQLite's work included) and the rate
with the time spent waiting for a core taken out (`bench.common.run_queue_wait`): on a shared
machine the wall clock mostly measures the queue for a core. The
all-plugin path's ratio to the no-plugin path is printed for both. Work a plugin moved out of the
request into the worker is measured too, run once over every ticket of the all-plugin path after
the rounds (what the worker spends on them): the search index job's CPU per ticket (the postings
of new tickets, written in batches by `gongdan.search.index_pending`) and the analytics catch-up's.

Prints figures and ratios; passes or fails on nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

from bench.common import run_queue_wait, table, timed
from gongdan import accounts, categories, dispatcher, search, tickets
from gongdan.actors import Actor
from gongdan.db import SQLITE_PRAGMAS, db, open_database
from gongdan.models import Customer, Tenant, Ticket, TicketEvent, TicketIndexPending
from gongdan.plugins import get_host
from gongdan.schema import upgrade

CATEGORY = "售后/退货退款/质量问题"
ISSUE_FOUR = ["assignment", "sla", "knowledge", "pdd_connector"]  # the plugins of issue 15's first figure


def payload(i: int) -> dict:
    """A realistic ticket: subject, description, category, tags and a returning customer."""
    return {
        "subject": f"订单 2611{i:08d} 收到的商品破损，申请退货退款",
        "description": "快递送到时外箱已经压坏，里面的杯子碎了两个，照片已上传，请尽快处理。",
        "channel": "web",
        "priority": ("low", "normal", "high", "urgent")[i % 4],
        "category": CATEGORY,
        "tags": ["破损", "退货"],
        "customer": {"name": f"买家{i % 500}", "email": f"buyer{i % 500}@example.com", "tier": "normal"},
    }


def use(path: Path) -> None:
    """Point gongdan at the SQLite database `path`."""
    if db.obj is not None:
        db.close()
    open_database(f"sqlite:///{path}")
    get_host().forget_tenants()


def fresh(folder: Path, name: str) -> Tenant:
    """A new database with gongdan's schema and a tenant."""
    use(folder / f"{name}.db")
    upgrade(get_host())
    tenant = accounts.create_tenant("bench", "Bench 店")
    categories.ensure(tenant, CATEGORY)
    return tenant


class ServicePath:
    """`tickets.create` on its own database, with or without every installed plugin."""

    def __init__(self, folder: Path, name: str, plugins: bool | list[str], *, ingesting: bool = False) -> None:
        self.path = folder / f"{name}.db"
        self.ingesting = ingesting
        tenant = fresh(folder, name)
        if isinstance(plugins, list):
            self.enabled = [p for p in plugins if p in get_host().loaded]
        else:
            self.enabled = list(get_host().loaded) if plugins else []
        for plugin in self.enabled:
            get_host().set_enabled(tenant, plugin, enabled=True)
        self.actor = Actor.system("bench")
        self.done = 0
        self.run(50)  # warm caches (schemas, channels, compiled statements)

    def run(self, count: int) -> None:
        """Create the next `count` tickets."""
        use(self.path)
        tenant = Tenant.get(Tenant.slug == "bench")
        mode = "worker" if self.ingesting else "inline"
        for i in range(self.done, self.done + count):
            tickets.create(tenant, payload(i), self.actor, dispatch=mode)
        self.done += count


class RawPath:
    """Plain `sqlite3` inserts of ticket + event rows, one transaction per ticket."""

    BARE_TABLES = (
        "CREATE TABLE ticket (id INTEGER PRIMARY KEY, tenant_id INT, number INT, subject TEXT, description TEXT,"
        " channel TEXT, priority TEXT, status TEXT, category_id INT, customer_id INT, tags TEXT,"
        " created_at TEXT, updated_at TEXT, UNIQUE (tenant_id, number))",
        "CREATE TABLE ticket_event (id INTEGER PRIMARY KEY, tenant_id INT, ticket_id INT, kind TEXT,"
        " actor_label TEXT, data TEXT, at TEXT, dispatched_at TEXT)",
    )

    def __init__(self, folder: Path, gongdan_schema: bool) -> None:
        name = "raw-gongdan" if gongdan_schema else "raw-bare"
        if gongdan_schema:
            tenant = fresh(folder, name)
            self.category = categories.find(tenant, CATEGORY).id
            self.customer = Customer.create(tenant=tenant, name="买家", email="buyer@example.com").id
            db.close()
        else:
            self.category = self.customer = 1
        self.gongdan_schema = gongdan_schema
        self.conn = sqlite3.connect(folder / f"{name}.db", isolation_level=None)
        for key, value in SQLITE_PRAGMAS.items():
            self.conn.execute(f"PRAGMA {key} = {value}")
        if not gongdan_schema:
            for statement in self.BARE_TABLES:
                self.conn.execute(statement)
        self.done = 0

    def run(self, count: int) -> None:
        """Insert the next `count` tickets with their events."""
        conn = self.conn
        for i in range(self.done, self.done + count):
            row = payload(i)
            conn.execute("BEGIN IMMEDIATE")
            if self.gongdan_schema:
                number = conn.execute(
                    "UPDATE tenant SET ticket_seq = ticket_seq + 1 WHERE id = 1 RETURNING ticket_seq"
                ).fetchone()[0]
            else:
                number = i + 1
            cur = conn.execute(
                "INSERT INTO ticket (tenant_id, number, subject, description, channel, priority, status, category_id,"
                " customer_id, tags, created_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, 'new', ?, ?, ?,"
                " datetime('now'), datetime('now'))",
                (
                    number,
                    row["subject"],
                    row["description"],
                    row["channel"],
                    row["priority"],
                    self.category,
                    self.customer,
                    json.dumps(row["tags"], ensure_ascii=False),
                ),
            )
            conn.execute(
                "INSERT INTO ticket_event (tenant_id, ticket_id, kind, actor_label, data, at, dispatched_at)"
                " VALUES (1, ?, 'created', 'bench', '{}', datetime('now'), datetime('now'))",
                (cur.lastrowid,),
            )
            conn.execute("COMMIT")
        self.done += count


def rounds(
    paths: dict[str, RawPath | ServicePath], per_round: int, count: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    """Tickets per second, CPU milliseconds per ticket, and tickets per second without the time
    spent waiting for a core, of each path in each of `count` interleaved rounds."""
    rates: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    unqueued: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(count):
        for name, path in paths.items():
            started, waited = time.process_time(), run_queue_wait()
            seconds = timed(partial(path.run, per_round))
            waited = run_queue_wait() - waited
            rates[name].append(per_round / seconds)
            cpu[name].append(1000 * (time.process_time() - started) / per_round)
            unqueued[name].append(per_round / max(seconds - waited, 1e-9))
    return rates, cpu, unqueued


def index_share(path: ServicePath) -> tuple[int, float, float]:
    """(tickets, CPU ms per ticket, wall seconds) of the search index job writing the postings of
    every ticket of `path` still waiting (the work that left the request for the worker)."""
    use(path.path)
    started, wall = time.process_time(), time.perf_counter()
    indexed = search.index_pending()
    seconds = time.perf_counter() - wall
    assert TicketIndexPending.select().count() == 0
    return indexed, 1000 * (time.process_time() - started) / max(indexed, 1), seconds


def dispatch_share(path: ServicePath) -> tuple[int, float, float]:
    """(tickets, CPU ms per ticket, wall seconds) of the worker's job `core.dispatch` firing the
    hooks of every event `path` left waiting (run once after the rounds, batches of
    `gongdan.dispatcher.BATCH`, the events the hooks write included)."""
    use(path.path)
    waiting = TicketEvent.select(TicketEvent.ticket).where(TicketEvent.dispatched_at.is_null()).distinct().count()
    started, wall = time.process_time(), time.perf_counter()
    dispatcher.dispatch_batches()
    seconds = time.perf_counter() - wall
    assert dispatcher.pending_count() == 0
    return waiting, 1000 * (time.process_time() - started) / max(waiting, 1), seconds


def worker_share(path: ServicePath) -> tuple[int, float] | None:
    """(tickets, CPU ms per ticket) of the analytics catch-up job counting every ticket of `path`
    (the work that left the request for the worker); None without the plugin."""
    if "analytics" not in path.enabled:
        return None
    from gongdan_analytics.plugin import catch_up_job

    use(path.path)
    started = time.process_time()
    catch_up_job()
    return path.done, 1000 * (time.process_time() - started) / path.done


def main() -> None:
    """Run the four paths in interleaved rounds and print their median rates with ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000, help="tickets per path, over all rounds")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    per_round = max(1, args.tickets // args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        service_full = ServicePath(folder, "full", plugins=True)
        every = ", ".join(service_full.enabled) or "none installed"
        ingest_four = ServicePath(folder, "four-ingest", ISSUE_FOUR, ingesting=True)
        ingest_full = ServicePath(folder, "full-ingest", plugins=True, ingesting=True)
        paths = {
            "raw sqlite3 insert, bare tables (ticket + event, no secondary index)": RawPath(folder, False),
            "raw sqlite3 insert, gongdan's tables (numbering, ticket + event, their indexes)": RawPath(folder, True),
            "ticket service, no plugin enabled": ServicePath(folder, "bare", plugins=False),
            f"ticket service, issue 15's four: {', '.join(ISSUE_FOUR)}": ServicePath(folder, "four", ISSUE_FOUR),
            f"ticket service, plugins enabled: {every}": service_full,
            f"ingesting (hooks by the worker), issue 15's four: {', '.join(ISSUE_FOUR)}": ingest_four,
            f"ingesting (hooks by the worker), plugins enabled: {every}": ingest_full,
        }
        rates, cpu, unqueued = rounds(paths, per_round, args.rounds)
        stored = {name: path.done for name, path in paths.items() if isinstance(path, ServicePath)}
        for name, path in paths.items():
            if isinstance(path, ServicePath):
                use(path.path)
                assert Ticket.select().count() == TicketEvent.select().where(TicketEvent.kind == "created").count()
                assert Ticket.select().count() == stored[name]
        dispatching = {name: dispatch_share(path) for name, path in (("four", ingest_four), ("every", ingest_full))}
        indexing = index_share(service_full)
        worker = worker_share(service_full)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    free = {name: statistics.median(values) for name, values in unqueued.items()}
    bare, schema = list(medians.values())[:2]
    none = list(paths)[2]
    print(
        f"ingest: {per_round * args.rounds} tickets per path in {args.rounds} interleaved rounds,"
        " SQLite (WAL, synchronous=NORMAL), one process; median round (min-max)"
    )
    print(
        table(
            [
                "path",
                "tickets/s",
                "(min-max)",
                "CPU ms/ticket",
                "tickets/s with a core",
                "rate vs no plugin",
                "vs bare insert",
                "vs insert into gongdan's tables",
            ],
            [
                [
                    name,
                    f"{rate:,.0f}",
                    f"({min(rates[name]):,.0f}-{max(rates[name]):,.0f})",
                    f"{cpu_medians[name]:.3f}",
                    f"{free[name]:,.0f}",
                    f"{rate / medians[none]:.2f}",
                    f"{rate / bare:.2f}",
                    f"{rate / schema:.2f}",
                ]
                for name, rate in medians.items()
            ],
        )
    )
    four, full, ingest_four_name, ingest_full_name = list(paths)[3:7]
    print(
        f"every plugin against no plugin, same run: {medians[full] / medians[none]:.0%} of the rate,"
        f" {free[full] / free[none]:.0%} with a core to itself,"
        f" {cpu_medians[none] / cpu_medians[full]:.0%} by CPU time (no plugin's CPU ÷ every plugin's)"
    )
    for label, inline, ingest_name, key in (
        ("issue 15's four", four, ingest_four_name, "four"),
        ("every plugin", full, ingest_full_name, "every"),
    ):
        fired, dispatch_cpu, dispatch_seconds = dispatching[key]
        print(
            f"ingesting, {label}: the request {medians[ingest_name]:,.0f} tickets/s"
            f" = {medians[ingest_name] / medians[none]:.0%} of no plugin's"
            f" ({free[ingest_name] / free[none]:.0%} with a core; hooks inline: {medians[inline] / medians[none]:.0%});"
            f" the worker's core.dispatch then fired the hooks of its {fired:,} tickets in {dispatch_cpu:.3f} ms CPU"
            f" a ticket ({fired / max(dispatch_seconds, 1e-9):,.0f} tickets/s, batches of {dispatcher.BATCH});"
            f" request + worker {cpu_medians[ingest_name] + dispatch_cpu:.3f} ms CPU a ticket"
            f" against {cpu_medians[inline]:.3f} with the hooks inline"
            f" ({cpu_medians[inline] / (cpu_medians[ingest_name] + dispatch_cpu):.2f}x)"
        )
    print(
        "(tickets/s with a core: wall time less the time the process was runnable but waiting for a core,"
        f" from /proc schedstat; load average {os.getloadavg()[0]:.1f} now)"
    )
    indexed, index_cpu, index_seconds = indexing
    print(
        f"moved to the worker: the search index job wrote the postings of the {indexed:,} tickets of the"
        f" all-plugin path in {index_cpu:.3f} ms CPU a ticket ({indexed / max(index_seconds, 1e-9):,.0f} tickets/s,"
        f" batches of {search.BATCH})"
    )
    if worker is not None:
        tickets_counted, per_ticket = worker
        print(
            f"moved to the worker: the analytics catch-up job counted the {tickets_counted:,} tickets of the"
            f" all-plugin path in {per_ticket:.3f} ms CPU a ticket (once, in batches of 500)"
        )
        print(
            f"request + worker, every plugin: {cpu_medians[full] + index_cpu + per_ticket:.3f} ms CPU a ticket"
            f" (no plugin, request + index job: {cpu_medians[none] + index_cpu:.3f})"
        )


if __name__ == "__main__":
    main()
