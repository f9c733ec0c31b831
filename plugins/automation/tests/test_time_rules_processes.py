"""Time rules from two worker processes at the same moment: each resolved ticket closed once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from gongdan_automation.models import RuleRun

from gongdan import clock, tickets
from gongdan.models import Ticket, TicketEvent

RUN_AT_THE_SIGNAL = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from gongdan.db import open_database
    from gongdan.models import Tenant
    from gongdan_automation import engine

    open_database(sys.argv[1])
    tenant = Tenant.get(Tenant.slug == sys.argv[2])
    signal = Path(sys.argv[3])
    Path(sys.argv[4]).touch()  # ready: imported, connected, waiting
    while not signal.exists():
        time.sleep(0.005)
    print(engine.run_time_rules(tenant))
    """
)


@pytest.mark.slow
def test_two_worker_processes_close_each_ticket_once(auto_tenant, gongdan_database_url, tmp_path, close_after_72h):
    resolved = close_after_72h(12)
    (recent,) = close_after_72h(1, "昨天才解决")
    long_ago = clock.now() - timedelta(hours=73)
    Ticket.update(resolved_at=long_ago).where(Ticket.id.in_([t.id for t in resolved])).execute()
    signal: Path = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", RUN_AT_THE_SIGNAL, gongdan_database_url, auto_tenant.slug, str(signal), str(mark)],
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            text=True,
        )
        for mark in ready
    ]
    deadline = time.monotonic() + 60
    while not all(mark.exists() for mark in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    signal.touch()
    acted = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        acted.append(int(out.strip().splitlines()[-1]))
    assert sum(acted) == len(resolved)
    assert {tickets.get(auto_tenant, t.id).status for t in resolved} == {"closed"}
    assert tickets.get(auto_tenant, recent.id).status == "resolved"
    assert RuleRun.select().count() == len(resolved)
    closes = [e for e in TicketEvent.select().where(TicketEvent.kind == "status_changed") if e.data["to"] == "closed"]
    assert sorted(e.ticket_id for e in closes) == sorted(t.id for t in resolved)
