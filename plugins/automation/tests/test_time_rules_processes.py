"""Time rules from two worker processes at the same moment: each resolved ticket closed once."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest
from gongdan_automation.models import RuleRun

from gongdan import clock, tickets
from gongdan.models import Ticket, TicketEvent
from gongdan.testing import run_released_together

RUN_AT_THE_SIGNAL = textwrap.dedent(
    """
    import sys
    from gongdan.db import open_database
    from gongdan.models import Tenant
    from gongdan.testing import wait_for_release
    from gongdan_automation import engine

    open_database(sys.argv[1])
    tenant = Tenant.get(Tenant.slug == sys.argv[2])
    wait_for_release()  # imported, connected: both go at once
    print(engine.run_time_rules(tenant))
    """
)


@pytest.mark.slow
def test_two_worker_processes_close_each_ticket_once(auto_tenant, gongdan_database_url, tmp_path, close_after_72h):
    resolved = close_after_72h(12)
    (recent,) = close_after_72h(1, "昨天才解决")
    long_ago = clock.now() - timedelta(hours=73)
    Ticket.update(resolved_at=long_ago).where(Ticket.id.in_([t.id for t in resolved])).execute()
    workers = run_released_together(RUN_AT_THE_SIGNAL, [[gongdan_database_url, auto_tenant.slug]] * 2, tmp_path)
    assert [w.returncode for w in workers] == [0, 0], [w.stderr[-2000:] for w in workers]
    acted = [int(w.last_line()) for w in workers]
    assert sum(acted) == len(resolved)
    assert {tickets.get(auto_tenant, t.id).status for t in resolved} == {"closed"}
    assert tickets.get(auto_tenant, recent.id).status == "resolved"
    assert RuleRun.select().count() == len(resolved)
    closes = [e for e in TicketEvent.select().where(TicketEvent.kind == "status_changed") if e.data["to"] == "closed"]
    assert sorted(e.ticket_id for e in closes) == sorted(t.id for t in resolved)
