"""Single PostgreSQL against Citus (coordinator + 2 workers on this machine), and a live rebalance.

    python -m bench.citus --pg postgresql://gongdan_ci:gongdan_ci@127.0.0.1:5432/gongdan_bench \\
        --tenants 200 --tickets 1000000

For each database: tickets are loaded in bulk (`--tickets` over `--tenants`), then measured
through the API (the Flask app in this process, one test client per thread): tickets created per
second by `--clients` threads for `--seconds`, and p50/p95 of the ticket list, a search and the
SLA attainment report, each for random tenants. Then, on Citus only, the rebalance: a third worker
(port 5444) is added and `citus_rebalance_start()` runs while `--clients` threads create and read
tickets; it prints the errors the clients saw, the tickets lost (created, then not found) and
the time the rebalance took. Figures are printed, never asserted; the single PostgreSQL run is the
baseline of the same run. Citus needs `../shared/vendor/citus/build.sh`.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from typing import Any

from bench.common import percentile, table
from gongdan import accounts, citus_cluster, search
from gongdan.db import db, open_database
from gongdan.models import Tenant, Ticket
from gongdan.plugins import get_host
from gongdan.schema import upgrade

WORDS = ["退款", "物流", "破损", "发票", "换货", "尺码", "未收到", "催发货", "少件", "质量"]
BULK = 2_000


def _fresh_pg(url: str) -> None:
    import psycopg2

    base, name = url.rsplit("/", 1)
    admin = psycopg2.connect(f"{base}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def load(tenants: int, tickets: int) -> list[tuple[int, str]]:
    """Tenants with an admin token each and `tickets` tickets spread over them (bulk insert, with
    their search terms); returns (tenant id, token) pairs."""
    host = get_host()
    upgrade(host)
    out = []
    per = max(1, tickets // tenants)
    for t in range(tenants):
        tenant = accounts.create_tenant(f"shop{t}", f"店铺{t}")
        host.set_enabled(tenant, "sla", enabled=True)
        user = accounts.create_user(tenant, f"admin{t}@bench.example", "admin")
        _, token = accounts.create_token(user)
        out.append((tenant.id, token))
        for start in range(0, per, BULK):
            rows = []
            for i in range(start, min(per, start + BULK)):
                rng = random.Random(t * 1_000_003 + i)
                rows.append(
                    {
                        "tenant": tenant.id,
                        "number": i + 1,
                        "subject": f"订单{i} {rng.choice(WORDS)}",
                        "description": f"买家说 {rng.choice(WORDS)} {rng.choice(WORDS)}",
                        "status": rng.choice(["new", "open", "pending", "resolved", "closed"]),
                        "tags": [],
                    }
                )
            with db.atomic():
                ids = [r[0] for r in Ticket.insert_many(rows).returning(Ticket.id).tuples().execute()]
                for ticket_id, row in zip(ids, rows, strict=True):
                    search.add(tenant.id, ticket_id, row["subject"], row["description"])
        Tenant.update(ticket_seq=per).where(Tenant.id == tenant.id).execute()
    return out


def _client(app: Any, token: str) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def creates_per_second(app: Any, tokens: list[tuple[int, str]], clients: int, seconds: float) -> float:
    """Tickets created per second through `POST /api/v1/tickets` by `clients` threads."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def work(k: int) -> None:
        rng = random.Random(k)
        try:
            while time.monotonic() < stop:
                _, token = rng.choice(tokens)
                answer = _client(app, token).post("/api/v1/tickets", json={"subject": f"新工单 {rng.choice(WORDS)}"})
                if answer.status_code == 201:
                    done[k] += 1
        finally:
            db.close()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def p50_p95(app: Any, tokens: list[tuple[int, str]], path: str, samples: int) -> tuple[float, float]:
    rng = random.Random(path)
    took = []
    for _ in range(samples):
        _, token = rng.choice(tokens)
        client = _client(app, token)
        start = time.perf_counter()
        answer = client.get(path.replace("WORD", rng.choice(WORDS)))
        took.append(time.perf_counter() - start)
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.get_data(as_text=True)[:200]}")
    return percentile(took, 50) * 1000, percentile(took, 95) * 1000


def measure(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    if db.obj is not None:
        db.close()
    open_database(url)
    start = time.perf_counter()
    tokens = load(args.tenants, args.tickets)
    loaded = time.perf_counter() - start
    from gongdan.web import create_app

    app = create_app()
    figures: dict[str, Any] = {"label": label, "load_s": loaded, "tokens": tokens, "app": app}
    figures["creates"] = creates_per_second(app, tokens, args.clients, args.seconds)
    figures["list"] = p50_p95(app, tokens, "/api/v1/tickets?status=open", args.samples)
    figures["search"] = p50_p95(app, tokens, "/api/v1/tickets?q=WORD", args.samples)
    figures["report"] = p50_p95(app, tokens, "/api/v1/sla/report", args.samples)
    return figures


def rebalance(app: Any, tokens: list[tuple[int, str]], clients: int) -> dict[str, Any]:
    """Add the spare worker and rebalance while `clients` threads create and read tickets."""
    errors: list[str] = []
    made: list[tuple[int, int]] = []
    stop = threading.Event()

    def work(k: int) -> None:
        rng = random.Random(100 + k)
        try:
            while not stop.is_set():
                tenant_id, token = rng.choice(tokens)
                client = _client(app, token)
                try:
                    answer = client.post("/api/v1/tickets", json={"subject": "再平衡期间"})
                    if answer.status_code != 201:
                        errors.append(f"create {answer.status_code}")
                        continue
                    ticket_id = answer.get_json()["id"]
                    made.append((tenant_id, ticket_id))
                    again = client.get(f"/api/v1/tickets/{ticket_id}")
                    if again.status_code != 200:
                        errors.append(f"read {again.status_code}")
                except Exception as error:  # counted: that is the point
                    errors.append(type(error).__name__)
        finally:
            db.close()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # clients running before the node arrives
    database = db.obj.database
    citus_cluster.add_worker(database, citus_cluster.SPARE_WORKER)
    start = time.perf_counter()
    db.execute_sql("SELECT citus_rebalance_start(shard_transfer_mode => 'force_logical')")
    state = "running"
    while state not in ("finished", "failed", "cancelled"):
        time.sleep(0.5)
        row = db.execute_sql("SELECT state FROM citus_rebalance_status()").fetchone()
        state = row[0] if row else "finished"
    took = time.perf_counter() - start
    time.sleep(1.0)  # clients keep going after the moves
    stop.set()
    for thread in threads:
        thread.join()
    placements = db.execute_sql(
        "SELECT nodeport, count(*) FROM pg_dist_shard_placement GROUP BY nodeport ORDER BY nodeport"
    ).fetchall()
    lost = 0
    for tenant_id, ticket_id in made:
        if not Ticket.select().where((Ticket.tenant == tenant_id) & (Ticket.id == ticket_id)).exists():
            lost += 1
    return {
        "state": state,
        "seconds": took,
        "created": len(made),
        "errors": len(errors),
        "kinds": sorted(set(errors)),
        "lost": lost,
        "placements": placements,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgresql://gongdan_ci:gongdan_ci@127.0.0.1:5432/gongdan_bench_citus")
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--skip-pg", action="store_true", help="Citus only (no baseline)")
    args = parser.parse_args(argv)

    runs = []
    if not args.skip_pg:
        _fresh_pg(args.pg)
        runs.append(measure("PostgreSQL (one)", args.pg, args))
    citus_cluster.drop_database("gongdan_bench")
    runs.append(measure("Citus (2 workers)", citus_cluster.ensure("gongdan_bench"), args))
    base = runs[0]
    rows = []
    for run in runs:
        ratio = run["creates"] / base["creates"] if base["creates"] else float("nan")
        rows.append(
            [
                run["label"],
                f"{run['load_s']:.0f}",
                f"{run['creates']:.1f} ({ratio:.2f}x)",
                f"{run['list'][0]:.1f} / {run['list'][1]:.1f}",
                f"{run['search'][0]:.1f} / {run['search'][1]:.1f}",
                f"{run['report'][0]:.1f} / {run['report'][1]:.1f}",
            ]
        )
    print(f"{args.tickets:,} tickets over {args.tenants} tenants; {args.clients} clients; p50 / p95 in ms")
    headers = ["database", "load s", "tickets/s (vs first)", "list", "search", "SLA report"]
    print(table(headers, rows))
    citus = runs[-1]
    moved = rebalance(citus["app"], citus["tokens"], args.clients)
    print()
    print(
        f"rebalance onto a third worker with {args.clients} clients creating and reading: {moved['state']} in "
        f"{moved['seconds']:.1f} s; tickets created {moved['created']}, client errors {moved['errors']} "
        f"{moved['kinds'] or ''}, tickets lost {moved['lost']}; shard placements per node port {moved['placements']}"
    )


if __name__ == "__main__":
    main()
