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
import io
import random
import threading
import time
from datetime import timedelta
from typing import Any

from bench.common import percentile, table
from gongdan import accounts, citus_cluster, clock, search
from gongdan.db import db, open_database
from gongdan.models import Tenant, Ticket, TicketTerm, User
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


def _copy_terms(rows: list[tuple[int, str, int]]) -> None:
    """Index postings in one `COPY ... FROM STDIN` (Citus routes each row to its shard)."""
    buffer = io.StringIO("".join(f"{tenant}\t{term}\t{ticket}\n" for tenant, term, ticket in rows))
    table_name = TicketTerm._meta.table_name
    with db.connection().cursor() as cursor:
        cursor.copy_expert(f'COPY "{table_name}" (tenant_id, term, ticket_id) FROM STDIN', buffer)


def _bench_tenants(tenants: int) -> list[Tenant]:
    return list(Tenant.select().where(Tenant.slug.startswith("shop")).order_by(Tenant.id).limit(tenants))


def load(tenants: int, tickets: int) -> tuple[list[tuple[int, str]], str]:
    """Tenants with an admin token each and `tickets` tickets spread over them; returns
    (tenant id, token) pairs and what was done.

    Bulk load: per tenant, tickets in multi-row `INSERT ... RETURNING id` of `BULK` rows (one
    tenant per statement, so Citus routes it to one shard) created over the last 90 days, and
    their search postings by `COPY` (through the coordinator on Citus). A database that already
    holds the tenants and at least `tickets` tickets (`--keep`) is measured as it is: only new
    tokens are made."""
    host = get_host()
    upgrade(host)
    have = _bench_tenants(tenants)
    if len(have) == tenants and Ticket.select().count() >= tickets:
        out = []
        for tenant in have:
            user = User.get((User.tenant == tenant.id) & (User.role == "admin"))
            out.append((tenant.id, accounts.create_token(user)[1]))
        return out, "kept"
    out = []
    per = max(1, tickets // tenants)
    now = clock.now()
    step = timedelta(days=90) / per
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
                created = now - step * (per - i)
                rows.append(
                    {
                        "tenant": tenant.id,
                        "number": i + 1,
                        "subject": f"订单{i} {rng.choice(WORDS)}",
                        "description": f"买家说 {rng.choice(WORDS)} {rng.choice(WORDS)}",
                        "status": rng.choice(["new", "open", "pending", "resolved", "closed"]),
                        "tags": [],
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            with db.atomic():
                ids = [r[0] for r in Ticket.insert_many(rows).returning(Ticket.id).tuples().execute()]
                postings = [
                    (tenant.id, term, ticket_id)
                    for ticket_id, row in zip(ids, rows, strict=True)
                    for term in sorted(search.ticket_terms(row["subject"], row["description"]))
                ]
                _copy_terms(postings)
        Tenant.update(ticket_seq=per).where(Tenant.id == tenant.id).execute()
        if (t + 1) % 10 == 0:
            print(f"  loaded {t + 1}/{tenants} tenants ({(t + 1) * per:,} tickets)", flush=True)
    db.execute_sql("ANALYZE")
    return out, "loaded"


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
    tokens, how = load(args.tenants, args.tickets)
    loaded = time.perf_counter() - start
    print(f"{label}: {how} in {loaded:.0f} s", flush=True)
    from gongdan.web import create_app

    app = create_app()
    figures: dict[str, Any] = {"label": label, "load_s": loaded, "how": how, "tokens": tokens, "app": app}
    if args.fill_only:
        return figures
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


def _p50_p95(figure: tuple[float, float], base: tuple[float, float]) -> str:
    ratio = figure[1] / base[1] if base[1] else float("nan")
    return f"{figure[0]:.1f} / {figure[1]:.1f} ({ratio:.2f}x)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgresql://gongdan_ci:gongdan_ci@127.0.0.1:5432/gongdan_bench_citus")
    parser.add_argument("--citus-db", default="gongdan_bench", help="database name on the Citus cluster")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="reuse databases already loaded at this size (only new tokens are made); load them otherwise",
    )
    parser.add_argument("--fill-only", action="store_true", help="load (or keep) the databases, measure nothing")
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--skip-pg", action="store_true", help="Citus only (no baseline)")
    args = parser.parse_args(argv)

    runs = []
    if not args.skip_pg:
        if not args.keep:
            _fresh_pg(args.pg)
        runs.append(measure("PostgreSQL (one)", args.pg, args))
    if not args.keep:
        citus_cluster.drop_database(args.citus_db)
    citus_url = citus_cluster.ensure(args.citus_db)
    start = time.perf_counter()
    if citus_cluster.remove_worker(args.citus_db, citus_cluster.SPARE_WORKER):  # a kept, rebalanced one
        print(f"Citus: the third worker of an earlier run drained in {time.perf_counter() - start:.0f} s", flush=True)
    runs.append(measure("Citus (2 workers)", citus_url, args))
    if args.fill_only:
        return
    base = runs[0]
    rows = []
    for run in runs:
        ratio = run["creates"] / base["creates"] if base["creates"] else float("nan")
        rows.append(
            [
                run["label"],
                f"{run['load_s']:.0f}" if run["how"] == "loaded" else "kept",
                f"{run['creates']:.1f} ({ratio:.2f}x)",
                *(_p50_p95(run[key], base[key]) for key in ("list", "search", "report")),
            ]
        )
    print(
        f"{args.tickets:,} tickets over {args.tenants} tenants; {args.clients} clients; p50 / p95 in ms (p95 vs first)"
    )
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
