"""How much the local Pinduoduo gateway simulator can serve, against what its rate limits allow.

    .venv/bin/python -m bench.pdd_sim [--shops 10] [--records 5000] [--calls 300] [--threads 4]

Starts `gongdan-pdd-sim` (rate limits off) with `shops × records` after-sales records and
measures, over real HTTP with keep-alive sessions: start-up time; calls per second of the
cheapest call (`pdd.time.get`, the baseline), of full list pages (`page_size=100`) and of
detail reads, from one client and from `--threads` clients, with their latency; the
simulator's own CPU time per call (from `/_sim/stats`), hence its capacity on one core
independent of the Python client's overhead; and the ratio of the list-page capacity to the
most the published limits let a client ask for (100 calls / 10 s per shop). A ratio well above
1 means a sync against the simulator is bound by the limits, not by it.
Prints figures; passes or fails on nothing.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from gongdan_pdd_connector import protocol
from gongdan_pdd_connector.simulator.process import SimulatorProcess

from bench.common import summary_ms, table


class Caller:
    """Signed calls over one keep-alive session."""

    def __init__(self, sim: SimulatorProcess) -> None:
        self.sim, self.session = sim, requests.Session()

    def __call__(self, api: str, token: str | None = None, **params: Any) -> dict[str, Any]:
        sent = {"type": api, "client_id": self.sim.client_id, "timestamp": int(time.time()), **params}
        if token:
            sent["access_token"] = token
        sent = protocol.prepare(sent)
        sent["sign"] = protocol.sign(sent, self.sim.client_secret)
        body = self.session.post(self.sim.url, data=sent, timeout=60).json()
        assert "error_response" not in body, body
        return body


def busiest_window(sim: SimulatorProcess, owner_id: str) -> tuple[int, int]:
    """The 30-minute window holding the most records of a shop (full pages to read)."""
    stamps = sorted(r["updated_at"] for r in sim.control("GET", "records", owner_id=owner_id)["records"])
    best, best_start, lo = 0, stamps[0], 0
    for hi, stamp in enumerate(stamps):
        while stamp - stamps[lo] > 1800:
            lo += 1
        if hi - lo + 1 > best:
            best, best_start = hi - lo + 1, stamps[lo]
    return best_start, best_start + 1800


def rate(sim: SimulatorProcess, calls: int, threads: int, work: Any) -> tuple[float, float, list[float]]:
    """Calls per second of `work(caller, i)` spread over `threads` callers, the simulator's CPU
    seconds per call, and each call's latency."""
    latencies: list[float] = []

    def run(worker: int) -> None:
        caller = callers[worker]
        for i in range(worker, calls, threads):
            started = time.perf_counter()
            work(caller, i)
            latencies.append(time.perf_counter() - started)

    callers = [Caller(sim) for _ in range(threads)]
    cpu, started = sim.control("GET", "stats")["cpu_seconds"], time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, range(threads)))
    elapsed = time.perf_counter() - started
    return calls / elapsed, (sim.control("GET", "stats")["cpu_seconds"] - cpu) / calls, latencies


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shops", type=int, default=10)
    parser.add_argument("--records", type=int, default=5000, help="per shop")
    parser.add_argument("--calls", type=int, default=300, help="calls per measurement")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    started = time.perf_counter()
    with SimulatorProcess(args.shops, args.records, 7, "--no-rate-limit", spread_days=1) as sim:
        startup = time.perf_counter() - started
        shops = sim.shops
        windows = [busiest_window(sim, shop["owner_id"]) for shop in shops]
        details = [
            (shop["access_token"], r["order_sn"], r["id"])
            for shop in shops
            for r in sim.control("GET", "records", owner_id=shop["owner_id"])["records"][:50]
        ]

        def time_get(caller: Caller, _i: int) -> None:
            caller("pdd.time.get")

        def list_page(caller: Caller, i: int) -> None:
            shop = i % len(shops)
            start, end = windows[shop]
            caller(
                "pdd.refund.list.increment.get",
                shops[shop]["access_token"],
                after_sales_status=1,
                after_sales_type=1,
                start_updated_at=start,
                end_updated_at=end,
                page=1,
                page_size=100,
            )

        def detail(caller: Caller, i: int) -> None:
            token, order_sn, after_sales_id = details[i % len(details)]
            caller("pdd.refund.information.get", token, order_sn=order_sn, after_sales_id=after_sales_id)

        busiest = Caller(sim)(
            "pdd.refund.list.increment.get",
            shops[0]["access_token"],
            after_sales_status=1,
            after_sales_type=1,
            start_updated_at=windows[0][0],
            end_updated_at=windows[0][1],
        )["refund_increment_get_response"]["total_count"]
        rows, figures = [], {}
        for name, work in (("pdd.time.get (baseline)", time_get), ("list page", list_page), ("detail", detail)):
            for threads in (1, args.threads):
                per_second, cpu, samples = rate(sim, args.calls, threads, work)
                figures[(name, threads)] = 1 / cpu
                cost = [f"{cpu * 1000:.2f}", f"{1 / cpu:.0f}"]
                rows.append([name, threads, f"{per_second:.0f}", summary_ms(samples), *cost])
        allowed = args.shops * 100 / 10  # list calls per second the published per-shop limit allows
        print(f"simulator: {args.shops} shops × {args.records} records, started in {startup:.1f} s")
        print(f"busiest 30-minute window of shop 1: {busiest} records (list pages carry up to 100)")
        print(table(["call", "clients", "calls/s", "latency", "sim CPU ms/call", "sim capacity calls/s"], rows))
        baseline = figures[("pdd.time.get (baseline)", args.threads)]
        best_list = figures[("list page", args.threads)]
        print(f"list page CPU cost vs baseline: {baseline / best_list:.2f}×")
        print(
            f"list-page capacity vs the rate limits' maximum ({allowed:.0f} calls/s for {args.shops} shops): "
            f"{best_list / allowed:.1f}× headroom"
        )


if __name__ == "__main__":
    main()
