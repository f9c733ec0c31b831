"""Several real processes assigning at once: nobody over capacity, no ticket assigned twice."""

import os
import subprocess
import sys
import time
from collections import Counter

import pytest
from gongdan_assignment.models import AgentState
from peewee import fn

from gongdan.models import OPEN_STATUSES, PluginFailure, Ticket, TicketEvent

PROCESSES = 4

WORKER = """
import os, sys, time
from gongdan import tickets
from gongdan.actors import Actor
from gongdan.db import open_database
from gongdan.models import Tenant
from gongdan_assignment.routing import drain

open_database(os.environ["GONGDAN_DATABASE_URL"])
slug, mode, count, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
tenant = Tenant.get(Tenant.slug == slug)
time.sleep(max(0.0, start - time.time()))
if mode == "create":
    for i in range(count):
        tickets.create(tenant, {"subject": f"burst {os.getpid()} {i}"}, Actor.system("channel:api"))
else:
    while drain(tenant, limit=count):
        pass
"""


def run_workers(url: str, slug: str, mode: str, count: int) -> None:
    """Start PROCESSES workers that begin at the same moment; wait for all; fail on any error."""
    env = {**os.environ, "GONGDAN_DATABASE_URL": url}
    start = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, slug, mode, str(count), str(start)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()


def loads(tenant) -> dict[int, int]:
    """Open tickets per assignee, counted from the tickets themselves."""
    query = Ticket.select(Ticket.assignee, fn.COUNT(Ticket.id)).where(
        (Ticket.tenant == tenant.id) & Ticket.assignee.is_null(False) & Ticket.status.in_(OPEN_STATUSES)
    )
    return dict(query.group_by(Ticket.assignee).tuples())


def assert_no_double_assignment(tenant) -> None:
    assigned = Counter(
        e.ticket_id
        for e in TicketEvent.select().where((TicketEvent.tenant == tenant.id) & (TicketEvent.kind == "assigned"))
    )
    assert assigned, "nothing was assigned"
    assert max(assigned.values()) == 1, [t for t, n in assigned.items() if n > 1]


@pytest.mark.slow
def test_burst_of_creates_never_exceeds_capacity(gongdan_database_url, tenant, agent):
    agents = [agent(capacity=5) for _ in range(6)]
    run_workers(gongdan_database_url, tenant.slug, "create", 15)
    held = loads(tenant)
    assert Ticket.of(tenant).count() == PROCESSES * 15
    assert all(held.get(a.id, 0) <= 5 for a in agents), held
    assert sum(held.values()) == 30  # every seat taken; the rest wait
    assert_no_double_assignment(tenant)
    counters = {s.user_id: s.open_count for s in AgentState.of(tenant)}
    assert counters == {a.id: held.get(a.id, 0) for a in agents}
    assert not PluginFailure.select().exists()


@pytest.mark.slow
def test_concurrent_draining_spreads_evenly(gongdan_database_url, tenant, agent, new_ticket, sup_api):
    agents = [agent(capacity=10, status="offline") for _ in range(8)]
    waiting = [new_ticket(f"waiting {i}") for i in range(40)]
    assert all(t.assignee_id is None for t in waiting)
    AgentState.update(status="online").where(AgentState.tenant == tenant.id).execute()  # no drain here
    run_workers(gongdan_database_url, tenant.slug, "drain", 10)
    held = loads(tenant)
    assert sum(held.values()) == 40
    assert_no_double_assignment(tenant)
    spread = max(held.get(a.id, 0) for a in agents) - min(held.get(a.id, 0) for a in agents)
    assert spread <= 1, held
    assert not PluginFailure.select().exists()
