"""The push listener in two real processes (`gongdan pdd listen`) against one database.

Exactly one holds the lease `pdd_connector.push` and is connected to the simulator's message
service; kill -9 it and the other takes the lease over and connects, and every message pushed
before, during and after the takeover is handled once: one delivery per message, acknowledged,
one stored record and one ticket per refund.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gongdan_pdd_connector import push
from gongdan_pdd_connector.models import PddRefund
from gongdan_pdd_connector.testing import connect_all, pdd_tickets, truth, wait_for

from gongdan import lease
from gongdan.models import Ticket

GONGDAN = Path(sys.executable).parent / "gongdan"
LEASE_SECONDS = 2.0


def _listen(database_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "GONGDAN_DATABASE_URL": database_url, "GONGDAN_PDD_LEASE_SECONDS": str(LEASE_SECONDS)}
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.Popen([str(GONGDAN), "pdd", "listen"], env=env, stdout=out, stderr=subprocess.STDOUT)


def _holder_pid() -> int | None:
    holder = lease.holder_of(push.listener_lease.name)
    return int(holder.split(":")[1]) if holder else None


def _add(sim: Any, owner_id: str, count: int) -> list[str]:
    added = sim.control("POST", "records", {"owner_id": owner_id, "count": count})["records"]
    return [str(r["id"]) for r in added]


def _all_acked(sim: Any, expected: int) -> list[dict[str, Any]]:
    messages = sim.control("GET", "messages")["messages"]
    return messages if len(messages) == expected and all(m["state"] == "acked" for m in messages) else []


def test_one_of_two_listener_processes_listens_and_the_other_takes_over_after_kill_9(
    pdd_tenant, start_sim, gongdan_database_url, tmp_path
):
    # messages are sent again only after 60 s without an answer: any second delivery within the
    # test would be a message handed to two processes or lost with the killed one
    sim = start_sim(shops=1, records=2, heartbeat_seconds=1, redeliver_seconds=60)
    (shop,) = connect_all(pdd_tenant, sim)
    processes = [_listen(gongdan_database_url, tmp_path / f"{n}.log") for n in (0, 1)]  # started together
    try:
        wait_for(lambda: _holder_pid() in {p.pid for p in processes}, timeout=60)
        first, second = sorted(processes, key=lambda p: p.pid != _holder_pid())
        wait_for(lambda: sim.control("GET", "sessions")["open"] == [1], timeout=30)
        log = tmp_path / f"{processes.index(second)}.log"
        wait_for(lambda: "another process listens" in log.read_text(), timeout=60)

        before = _add(sim, shop.owner_id, 3)
        messages = wait_for(lambda: _all_acked(sim, 3), timeout=30)
        assert {tuple(m["delivered_to"]) for m in messages} == {(1,)}  # the holder's connection only
        assert sim.control("GET", "sessions")["open"] == [1]  # the other process never connected
        assert _holder_pid() == first.pid

        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        during = _add(sim, shop.owner_id, 3)  # nobody listens now: the platform keeps them
        wait_for(lambda: _holder_pid() == second.pid, timeout=60)
        wait_for(lambda: sim.control("GET", "sessions")["open"] == [2], timeout=30)
        took_over = time.monotonic() - killed_at
        assert took_over < 60
        after = _add(sim, shop.owner_id, 2)

        messages = wait_for(lambda: _all_acked(sim, 8), timeout=30)
        assert all(m["attempts"] == 1 for m in messages), messages  # none delivered twice
        by_refund = {str(m["refund_id"]): m["delivered_to"] for m in messages}
        assert {by_refund[r][0] for r in before} == {1}
        assert {by_refund[r][0] for r in during + after} == {2}

        pushed = before + during + after
        wait_for(lambda: PddRefund.of(pdd_tenant).where(PddRefund.after_sales_id << pushed).count() == len(pushed))
        rows = list(PddRefund.of(pdd_tenant).where(PddRefund.after_sales_id << pushed))
        assert sorted(r.after_sales_id for r in rows) == sorted(pushed)  # each once
        tickets = [t for t in pdd_tickets(pdd_tenant) if t.id in {r.ticket_id for r in rows}]
        assert len(tickets) == len(pushed)  # one ticket per refund, none twice
        assert {str(r["id"]) for r in truth(sim, shop.owner_id)} >= set(pushed)
        assert Ticket.of(pdd_tenant).count() == len(pushed)  # the 2 older records were never pushed
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
