"""Tickets per second through the ticket service on SQLite, against a raw sqlite3 insert.

    .venv/bin/python -m bench.ingest [--tickets 5000]

Three runs on fresh databases in one process: the service with no plugin enabled, the service
with every installed plugin enabled, and a raw `sqlite3` insert of the same rows (ticket +
audit event, one transaction per ticket, the same pragmas) — the physical limit here.
Prints figures; passes or fails on nothing.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
from pathlib import Path

from bench.common import table, timed
from gongdan import accounts, categories, tickets
from gongdan.actors import Actor
from gongdan.db import SQLITE_PRAGMAS, db, open_database
from gongdan.models import Tenant, Ticket
from gongdan.plugins import get_host
from gongdan.schema import upgrade

CATEGORY = "售后/退货退款/质量问题"


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


def fresh(folder: Path, name: str) -> Tenant:
    """A new database with the schema and a tenant."""
    if db.obj is not None:
        db.close()
    open_database(f"sqlite:///{folder / name}.db")
    get_host().forget_tenants()
    upgrade(get_host())
    tenant = accounts.create_tenant("bench", "Bench 店")
    categories.ensure(tenant, CATEGORY)
    return tenant


def service_rate(folder: Path, name: str, count: int, plugins: bool) -> tuple[float, list[str]]:
    """Tickets per second through `tickets.create`."""
    tenant = fresh(folder, name)
    enabled = []
    if plugins:
        for plugin in get_host().loaded:
            get_host().set_enabled(tenant, plugin, enabled=True)
            enabled.append(plugin)
    actor = Actor.system("bench")
    for i in range(50):  # warm caches (schemas, channels, compiled statements)
        tickets.create(tenant, payload(i), actor)
    seconds = timed(lambda: [tickets.create(tenant, payload(i), actor) for i in range(count)])
    assert Ticket.select().count() == count + 50
    return count / seconds, enabled


def raw_rate(folder: Path, count: int) -> float:
    """Rows per second of a plain sqlite3 insert of ticket + event, one transaction each."""
    path = folder / "raw.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for key, value in SQLITE_PRAGMAS.items():
        conn.execute(f"PRAGMA {key} = {value}")
    conn.execute(
        "CREATE TABLE ticket (id INTEGER PRIMARY KEY, tenant_id INT, number INT, subject TEXT, description TEXT,"
        " channel TEXT, priority TEXT, status TEXT, category_id INT, customer_id INT, tags TEXT,"
        " created_at TEXT, updated_at TEXT, UNIQUE (tenant_id, number))"
    )
    conn.execute(
        "CREATE TABLE event (id INTEGER PRIMARY KEY, tenant_id INT, ticket_id INT, kind TEXT, data TEXT, at TEXT)"
    )
    rows = [payload(i) for i in range(count)]

    def insert() -> None:
        for number, row in enumerate(rows, 1):
            conn.execute("BEGIN IMMEDIATE")
            cur = conn.execute(
                "INSERT INTO ticket (tenant_id, number, subject, description, channel, priority, status, category_id,"
                " customer_id, tags, created_at, updated_at) VALUES (1, ?, ?, ?, ?, ?, 'new', 1, 1, ?,"
                " datetime('now'), datetime('now'))",
                (
                    number,
                    row["subject"],
                    row["description"],
                    row["channel"],
                    row["priority"],
                    json.dumps(row["tags"], ensure_ascii=False),
                ),
            )
            conn.execute(
                "INSERT INTO event (tenant_id, ticket_id, kind, data, at)"
                " VALUES (1, ?, 'created', '{}', datetime('now'))",
                (cur.lastrowid,),
            )
            conn.execute("COMMIT")

    seconds = timed(insert)
    conn.close()
    return count / seconds


def main() -> None:
    """Run the three measurements and print them with their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = raw_rate(folder, args.tickets)
        bare, _ = service_rate(folder, "bare", args.tickets, plugins=False)
        full, enabled = service_rate(folder, "full", args.tickets, plugins=True)
    print(f"ingest: {args.tickets} tickets each, SQLite (WAL, synchronous=NORMAL), one process")
    print(
        table(
            ["path", "tickets/s", "share of raw insert"],
            [
                ["raw sqlite3 insert (ticket + event, 1 txn each)", f"{raw:,.0f}", "1.00"],
                ["ticket service, no plugin enabled", f"{bare:,.0f}", f"{bare / raw:.2f}"],
                [
                    f"ticket service, plugins enabled: {', '.join(enabled) or 'none installed'}",
                    f"{full:,.0f}",
                    f"{full / raw:.2f}",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
