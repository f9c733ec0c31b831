"""The ticket list, search and console at 10k / 100k / 1M tickets in one tenant.

    .venv/bin/python -m bench.scale [--sizes 10000,100000,1000000] [--service-limit 100000] [--samples 30]
    GONGDAN_BENCH_PG_URL=postgresql://... .venv/bin/python -m bench.scale   # PostgreSQL as well

One tenant grows to each size in turn: through the ticket service (validation, numbering,
search postings, events) up to `--service-limit` tickets, by bulk inserts of the same rows and
postings beyond. At each size it prints p50/p95 of `GET /api/v1/tickets` for search (`q=破损`),
an order-number lookup, a deep offset page, a deep cursor page, every sort, status filters,
the agent's queue (`assignee=me`) and the console dashboard, as an admin (the agent for the
queue), through the Flask app in process. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import percentile, table
from gongdan import accounts, clock, search, tickets
from gongdan.actors import Actor
from gongdan.db import db, open_database
from gongdan.models import Tenant, Ticket, TicketEvent, TicketTerm
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


def grow(tenant: Any, have: int, want: int, service_limit: int, agent_id: int) -> None:
    """Add tickets `have`…`want`-1 (the service up to `service_limit`, bulk beyond)."""
    actor = Actor.system("bench")
    n = have
    while n < min(want, service_limit):
        tickets.create(tenant, payload(n), actor)
        n += 1
    if n >= want:
        return
    number = Ticket.select(Ticket.number).where(Ticket.tenant == tenant).order_by(Ticket.number.desc()).scalar() or 0
    now = clock.now()
    while n < want:
        batch = range(n, min(want, n + BULK))
        with db.atomic():
            rows = []
            for i in batch:
                data = payload(i)
                rng = random.Random(-i)
                number += 1
                rows.append(
                    {
                        "tenant": tenant.id,
                        "number": number,
                        "subject": data["subject"],
                        "description": data["description"],
                        "channel": "api",
                        "priority": data["priority"],
                        "status": rng.choice(STATUSES),
                        "assignee": agent_id if rng.random() < 0.05 else None,
                        "tags": [],
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            Ticket.insert_many(rows).execute()
            first = Ticket.select(Ticket.id).where((Ticket.tenant == tenant) & (Ticket.number == rows[0]["number"]))
            first = first.scalar()
            for offset, row in enumerate(rows):
                search.add(tenant.id, first + offset, row["subject"], row["description"])
        n = batch[-1] + 1
    Tenant.update(ticket_seq=number).where(Tenant.id == tenant.id).execute()


def measure(call: Any, samples: int) -> tuple[float, float]:
    """p50 and p95 in ms of `call()` (one warm-up call first)."""
    call()
    took = []
    for _ in range(samples):
        start = time.perf_counter()
        call()
        took.append(time.perf_counter() - start)
    return percentile(took, 50) * 1000, percentile(took, 95) * 1000


def probes(app: Any, admin_token: str, agent_token: str, console: Any, size: int) -> dict[str, Any]:
    """What is measured at each size: name → call."""
    client = app.test_client()

    def api(path: str, token: str = admin_token) -> Any:
        def call() -> None:
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])

        return call

    deep_cursor: dict[str, str] = {}

    def cursor_page() -> None:
        if "c" not in deep_cursor:  # the cursor 5,000 tickets in (page 200 of 25), found once
            path = "/api/v1/tickets?per_page=100"
            for _ in range(min(50, size // 100 - 1)):
                body = client.get(path, headers={"Authorization": f"Bearer {admin_token}"}).get_json()
                path = f"/api/v1/tickets?per_page=100&cursor={body['next_cursor']}"
            deep_cursor["c"] = body["next_cursor"]
        api(f"/api/v1/tickets?cursor={deep_cursor['c']}")()

    found = {
        "q=破损": api("/api/v1/tickets?q=破损"),
        "q=<order number>": api(f"/api/v1/tickets?q={order_sn(size // 2)}"),
        "q=破损&status=open": api("/api/v1/tickets?q=破损&status=open"),
        "page=200": api("/api/v1/tickets?page=200"),
        "cursor 200 pages in": cursor_page,
    }
    for sort in ("-created_at", "created_at", "-updated_at", "updated_at", "-priority", "priority"):
        found[f"sort={sort}"] = api(f"/api/v1/tickets?sort={sort}")
    for status in ("new", "open", "closed"):
        found[f"status={status}"] = api(f"/api/v1/tickets?status={status}")
    found["agent queue (assignee=me)"] = api("/api/v1/tickets?assignee=me", agent_token)
    found["console dashboard"] = lambda: console.text("/console/")
    return found


def run(url: str, label: str, sizes: list[int], service_limit: int, samples: int) -> None:
    """Grow one tenant on `url` through `sizes`, printing a table at each."""
    from gongdan.testing import ConsoleClient
    from gongdan.web import create_app

    os.environ.setdefault("GONGDAN_RATE_LIMIT_PER_MINUTE", "0")
    open_database(url)
    host = get_host()
    if url.startswith("postgres"):
        db.drop_tables(all_models(host), cascade=True)
    upgrade(host)
    tenant = accounts.create_tenant("scale", "规模测试店")
    admin = accounts.create_user(tenant, "admin@scale.example.com", "admin", password=PASSWORD)
    agent = accounts.create_user(tenant, "agent@scale.example.com", "agent", password=PASSWORD)
    _, admin_token = accounts.create_token(admin)
    _, agent_token = accounts.create_token(agent)
    app = create_app()
    console = ConsoleClient(app, admin, password=PASSWORD)
    have = 0
    for size in sizes:
        started = time.perf_counter()
        grow(tenant, have, size, service_limit, agent.id)
        built = time.perf_counter() - started
        print(f"\n{label}: {size:,} tickets (grown {size - have:,} in {built:.0f} s, {(size - have) / built:.0f}/s)")
        have = size
        rows = []
        for name, call in probes(app, admin_token, agent_token, console, size).items():
            p50, p95 = measure(call, samples)
            rows.append((name, f"{p50:.1f}", f"{p95:.1f}"))
        print(table(["request", "p50 ms", "p95 ms"], rows))
        print(f"postings: {TicketTerm.select().count():,} rows; events {TicketEvent.select().count():,}")


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module's docstring."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--service-limit", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as workdir:
        os.environ.setdefault("GONGDAN_KEY_FILE", str(Path(workdir) / "bench.key"))
        os.environ.setdefault("GONGDAN_ATTACHMENTS_DIR", str(Path(workdir) / "files"))
        run(f"sqlite:///{Path(workdir) / 'scale.db'}", "SQLite", sizes, args.service_limit, args.samples)
    pg = os.environ.get("GONGDAN_BENCH_PG_URL")
    if pg:
        run(pg, "PostgreSQL", sizes, args.service_limit, args.samples)


if __name__ == "__main__":
    main()
