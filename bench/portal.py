"""The customer portal's figures: server time of its pages in a big tenant, and submits per second.

    python -m bench.portal [--tickets 100000] [--customers 10000] [--seconds 10] [--workers 2]

A fresh SQLite database (or `GONGDAN_DATABASE_URL=postgresql://...`, emptied first) gets one
tenant with the portal and knowledge plugins on, the knowledge demo corpus (300+ articles),
`--customers` customers and `--tickets` tickets spread over them. Server time is measured
in-process through the WSGI app (no network): the portal home, a search, the signed-in
customer's "my requests" and one ticket page with its timeline (200 requests each after a
warm-up). Submits per second: gunicorn with `--workers` sync workers on the same database,
4 client threads each posting the request form (with its CSRF token) for `--seconds`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.common import percentile, table
from bench.http import BIN, _free_port

SAMPLES = 200
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def build(tickets: int, customers: int) -> tuple[Any, str]:
    """The tenant, its data, and the e-mail of the customer whose pages are measured."""
    from gongdan_knowledge.corpus import load_demo

    from gongdan import accounts, clock
    from gongdan import customers as customer_service
    from gongdan.db import db
    from gongdan.models import Customer, Ticket
    from gongdan.plugins import get_host
    from gongdan.schema import upgrade
    from gongdan.testing import _empty

    host = get_host()
    upgrade(host)
    if db.obj.__class__.__name__.startswith("Postgres"):
        from gongdan.schema import all_models

        _empty(all_models(host))
    tenant = accounts.create_tenant("bench", "压测店铺")
    admin = accounts.create_user(tenant, "admin@bench.example.com", "admin", "店长", None)
    host.set_enabled(tenant, "knowledge", enabled=True)
    host.set_enabled(tenant, "portal", enabled=True, settings={"submits_per_ip_hour": 100_000})
    load_demo(tenant, admin)
    now = clock.now()
    with db.atomic():
        for start in range(0, customers, 1000):
            rows = [
                {
                    "tenant": tenant.id,
                    "name": f"买家{i}",
                    "email": f"buyer{i}@example.com",
                    "email_index": customer_service.email_index(f"buyer{i}@example.com"),
                    "tier": "normal",
                    "created_at": now,
                }
                for i in range(start, min(start + 1000, customers))
            ]
            Customer.insert_many(rows).execute()
    ids = [c.id for c in Customer.select(Customer.id).order_by(Customer.id)]
    statuses = ("new", "open", "pending", "resolved", "closed")
    with db.atomic():
        for start in range(0, tickets, 2000):
            rows = [
                {
                    "tenant": tenant.id,
                    "number": n + 1,
                    "subject": f"订单 {n} 的售后问题",
                    "description": "收到的商品有破损，想退货退款。",
                    "channel": "portal",
                    "status": statuses[n % 5],
                    "customer": ids[n % len(ids)],
                    "tags": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start, min(start + 2000, tickets))
            ]
            Ticket.insert_many(rows).execute()
    accounts.Tenant.update(ticket_seq=tickets).where(accounts.Tenant.id == tenant.id).execute()
    if db.obj.__class__.__name__.startswith("Postgres"):
        db.execute_sql("ANALYZE")
    return tenant, "buyer7@example.com"


def server_times(tenant: Any, email: str) -> list[tuple[str, float, float]]:
    """(page, p50 ms, p95 ms) of each portal page, measured inside the WSGI app."""
    from gongdan_portal import identity

    from gongdan import tickets as ticket_service
    from gongdan.actors import Actor
    from gongdan.models import Ticket
    from gongdan.web import create_app

    app = create_app()
    client = app.test_client()
    issued = identity.issue_sign_in(tenant, email)
    assert client.get(f"/portal/bench/signin/{issued.link_token}").status_code == 302
    ticket = Ticket.select().where(Ticket.customer == tenant_customer(tenant, email)).first()
    for i in range(5):
        ticket_service.comment(tenant, ticket, f"客服回复 {i}", Actor.system("bench"))
        ticket_service.comment(tenant, ticket, f"客户补充 {i}", Actor.system("bench"), from_customer=True)
    pages = {
        "home": "/portal/bench/",
        "search": "/portal/bench/search?q=退货运费",
        "my requests": "/portal/bench/requests",
        "ticket page": f"/portal/bench/requests/{ticket.id}",
    }
    results = []
    for name, path in pages.items():
        for _ in range(20):
            assert client.get(path, headers={"Accept-Language": "zh-CN"}).status_code == 200, path
        samples = []
        for _ in range(SAMPLES):
            start = time.perf_counter()
            client.get(path, headers={"Accept-Language": "zh-CN"})
            samples.append(time.perf_counter() - start)
        results.append((name, percentile(samples, 50) * 1000, percentile(samples, 95) * 1000))
    return results


def tenant_customer(tenant: Any, email: str) -> int:
    """The id of the tenant's customer with `email`."""
    from gongdan import customers

    return customers.ids_by_email(tenant, email)[0]


def submits(env: dict[str, str], workers: int, seconds: float) -> tuple[float, int]:
    """(submits per second, errors) of 4 clients posting the form to gunicorn for `seconds`."""
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "gongdan.web:create_app()"], env=env
    )
    try:
        _wait(port)
        counts, errors = [0] * 4, [0] * 4
        threads = [threading.Thread(target=_submitter, args=(port, k, seconds, counts, errors)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(counts) / seconds, sum(errors)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer within 30 s")


def _submitter(port: int, k: int, seconds: float, counts: list[int], errors: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/portal/bench/new")
    response = conn.getresponse()
    token = TOKEN.search(response.read().decode()).group(1)
    cookie = "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        n += 1
        form = {"csrf_token": token, "subject": f"压测请求 {k}-{n}", "email": f"load{k}-{n}@example.com"}
        body = urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        conn.request("POST", "/portal/bench/new", body=body, headers=headers)
        reply = conn.getresponse()
        reply.read()
        if reply.status == 200:
            counts[k] += 1
        else:
            errors[k] += 1


def main() -> None:
    """Build the data, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gongdan-bench-portal-"))
    env = dict(os.environ)
    env.setdefault("GONGDAN_DATABASE_URL", f"sqlite:///{workdir / 'bench.db'}")
    env.setdefault("GONGDAN_SECRET_KEY", "bench-portal")
    env["GONGDAN_ATTACHMENTS_DIR"] = str(workdir / "files")
    os.environ.update(env)
    from gongdan.db import open_database

    open_database(env["GONGDAN_DATABASE_URL"])
    started = time.perf_counter()
    tenant, email = build(args.tickets, args.customers)
    print(f"built {args.tickets} tickets, {args.customers} customers in {time.perf_counter() - started:.0f} s")
    print(f"database: {env['GONGDAN_DATABASE_URL'].split('@')[-1]}")
    rows = server_times(tenant, email)
    print(table(["page", "p50 ms", "p95 ms"], [(n, f"{a:.2f}", f"{b:.2f}") for n, a, b in rows]))
    rate, failed = submits(env, args.workers, args.seconds)
    print(f"submit form under gunicorn ({args.workers} workers, 4 clients): {rate:.0f} requests/s, {failed} errors")


if __name__ == "__main__":
    main()
