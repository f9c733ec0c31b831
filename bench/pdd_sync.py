"""End-to-end Pinduoduo sync through the simulator, against what the published rate limits allow.

    .venv/bin/python -m bench.pdd_sync [--records 50000] [--shops 10] [--fault-rate 0.05]
                                       [--database-url URL] [--mutate-per-second 10]

Starts `gongdan-pdd-sim` with its rate limits ON (100 calls / 10 s per shop and API), 5 % of
calls answered with an injected fault (52101 "rate limited", retried by the client), and
records changing status while the sync runs. It connects the shops to a fresh tenant and runs
`gongdan pdd sync --shop S --since ...` for every shop at once, one process per shop (as one
would run backfills in production), then one catch-up sync after the gateway clock moved past
the 3-minute lag, and compares what was stored with the simulator's ground truth.

Prints: records per second; the most the limits allow (each new record costs one detail call,
so 10 records/s per shop) and the share of it reached (the baseline, measured in the same run,
is that maximum); the calls made per record; missing records, stale versions and duplicate
tickets (all must be 0). Passes or fails on nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from gongdan_pdd_connector import protocol
from gongdan_pdd_connector.client import parse_time
from gongdan_pdd_connector.models import PddRefund, PddShop, PddSyncRun
from gongdan_pdd_connector.simulator.process import SimulatorProcess
from gongdan_pdd_connector.testing import connect_all, truth

from bench.common import table
from gongdan import accounts, clock
from gongdan.db import db, open_database
from gongdan.demo import allow_local_simulators
from gongdan.models import Ticket
from gongdan.plugins import get_host
from gongdan.schema import upgrade

GONGDAN = str(Path(sys.executable).with_name("gongdan"))


def prepare_database(url: str, sim: SimulatorProcess) -> tuple[Any, list[PddShop]]:
    """A fresh tenant with the connector on and the simulator's shops connected."""
    allow_local_simulators()  # the simulator listens on loopback (GONGDAN_OUTBOUND_ALLOW, inherited by the syncs)
    open_database(url)
    host = get_host()
    upgrade(host)
    tenant = accounts.create_tenant(f"bench{int(time.time())}", "Bench 旗舰店")
    host.set_enabled(tenant, "pdd_connector", enabled=True)
    return tenant, connect_all(tenant, sim)


def churn(sim: SimulatorProcess, per_second: float, stop: threading.Event, moved: list[int]) -> None:
    """Change records' statuses (updated now) while the sync runs."""
    while not stop.wait(1.0):
        changed = sim.control("POST", "mutate", {"count": max(1, int(per_second))})["changed"]
        moved.append(len(changed))


def run_syncs(url: str, tenant_slug: str, owners: list[str], since: str) -> tuple[float, list[str]]:
    """`gongdan pdd sync` for every shop at once; returns the wall time and any failures."""
    env = dict(os.environ, GONGDAN_DATABASE_URL=url)
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [GONGDAN, "pdd", "sync", "--tenant", tenant_slug, "--shop", owner, "--since", since, "--no-progress"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for owner in owners
    ]
    failures = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            failures.append((out + err).strip()[-500:])
    return time.perf_counter() - start, failures


def compare(tenant: Any, sim: SimulatorProcess) -> dict[str, int]:
    """Missing, stale and duplicate counts against the simulator's ground truth."""
    expected = {str(r["id"]): r for r in truth(sim) if not r["malformed"]}
    stored = {row.after_sales_id: row for row in PddRefund.of(tenant)}
    tickets = [t.external_id for t in Ticket.of(tenant).where(Ticket.external_system == "pdd")]
    missing = [i for i in expected if i not in stored]
    stale = [
        i
        for i, r in expected.items()
        if i in stored and (stored[i].updated_time != parse_time(r["updated_time"]) or stored[i].status != r["status"])
    ]
    return {
        "expected": len(expected),
        "stored": len(stored),
        "missing": len(missing),
        "stale": len(stale),
        "duplicate tickets": len(tickets) - len(set(tickets)),
        "tickets without a record": len(set(tickets) - set(expected)),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=50_000, help="after-sales records in total")
    parser.add_argument("--shops", type=int, default=10)
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--fault-code", type=int, default=52101)
    parser.add_argument("--mutate-per-second", type=float, default=10.0)
    parser.add_argument("--spread-days", type=float, default=1.0, help="records' update times span this many days")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="gongdan-pdd-bench-")
    url = args.database_url or f"sqlite:///{workdir}/bench.db"
    per_shop = max(1, args.records // args.shops)
    started = time.perf_counter()
    with SimulatorProcess(args.shops, per_shop, 7, spread_days=args.spread_days) as sim:
        print(f"simulator: {args.shops} shops x {per_shop} records, up in {time.perf_counter() - started:.1f}s")
        tenant, shops = prepare_database(url, sim)
        if db.obj is not None:
            db.close()
        sim.control("POST", "faults", {"error_code": args.fault_code, "rate": args.fault_rate})
        stop, moved = threading.Event(), []
        mover = threading.Thread(target=churn, args=(sim, args.mutate_per_second, stop, moved), daemon=True)
        mover.start()
        since = f"{int(args.spread_days * 24 * 60) + 60}m"
        wall, failures = run_syncs(url, tenant.slug, [s.owner_id for s in shops], since)
        stop.set()
        mover.join()
        runs = list(PddSyncRun.select().where(PddSyncRun.tenant == tenant))
        busy = (max(r.finished_at for r in runs) - min(r.started_at for r in runs)).total_seconds()
        seen = sum(r.seen for r in runs)
        stored = sum(r.stored for r in runs)
        calls = sum(r.calls for r in runs)

        # catch up: the records changed during the sync become readable once 3 minutes old
        sim.set_clock(240)
        catch_wall, catch_failures = run_syncs(url, tenant.slug, [s.owner_id for s in shops], "30m")
        sim.control("POST", "faults", {})
        figures = compare(tenant, sim)
        stats = sim.control("GET", "stats")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    connector_cpu = children.ru_utime + children.ru_stime - float(stats.get("cpu_seconds", 0.0))

    errors = [f"{key.split(':', 1)[1]} x{count}" for key, count in sorted(stats.items()) if key.startswith("error:")]
    limit_calls, limit_seconds = protocol.shop_rate_limit("pdd.refund.information.get")
    max_rate = args.shops * limit_calls / limit_seconds
    rate = stored / busy
    print(
        table(
            ["figure", "value"],
            [
                ["records (expected at the end)", figures["expected"]],
                ["records changed during the sync", sum(moved)],
                ["injected fault rate", f"{args.fault_rate:.0%} ({args.fault_code})"],
                ["sync wall time", f"{wall:.1f} s ({len(shops)} processes, {since} backfill)"],
                ["syncing time (first call to last)", f"{busy:.1f} s"],
                ["records read / stored", f"{seen} / {stored}"],
                ["gateway calls (incl. retries)", f"{calls} ({calls / max(stored, 1):.2f} per stored record)"],
                ["records per second", f"{rate:.1f} (wall clock incl. process start: {stored / wall:.1f})"],
                [
                    "max the limits allow (baseline)",
                    f"{max_rate:.1f} records/s (1 detail call each, {limit_calls}/{limit_seconds:.0f}s per shop)",
                ],
                ["share of the maximum", f"{rate / max_rate:.1%}"],
                ["catch-up sync", f"{catch_wall:.1f} s"],
                [
                    "connector CPU per stored record",
                    f"{connector_cpu / max(stored, 1) * 1000:.1f} ms (all processes, {os.cpu_count()} cores here)",
                ],
                ["missing records", figures["missing"]],
                ["stale versions", figures["stale"]],
                ["duplicate tickets", figures["duplicate tickets"]],
                ["tickets without a record", figures["tickets without a record"]],
                ["failed sync processes", len(failures) + len(catch_failures)],
                ["gateway answers", f"{stats.get('calls', 0)} calls: " + ", ".join(errors) if errors else "no errors"],
            ],
        )
    )
    for failure in failures + catch_failures:
        print("FAILED:", failure)
    print(f"database: {url.split('@')[-1]}  (clock {clock.now():%Y-%m-%d %H:%M} UTC, {timedelta(seconds=int(wall))})")


if __name__ == "__main__":
    main()
