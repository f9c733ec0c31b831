"""Ingested tickets routed by the worker's batches (`gongdan.dispatcher`): with nobody online they
wait with the reason a request would give; with agents online the batch spreads them by load and
keeps the loads exact; the assignments' own events are fired by the next batch. SQLite and
PostgreSQL."""

from __future__ import annotations

from collections import Counter

from gongdan_assignment.models import AgentState

from gongdan import dispatcher, tickets
from gongdan.actors import Actor

SYNC = Actor.system("plugin:pdd_connector")


def ingest(tenant, count):
    with tickets.ingesting():
        return [tickets.create(tenant, {"subject": f"同步的退款单 {i}"}, SYNC)[0] for i in range(count)]


def test_with_nobody_online_the_batch_queues_each_ticket_with_the_requests_reason(tenant, assignment, look, new_ticket):
    asked = new_ticket("客服在等的单")  # inline, through the API: the reason a request gives
    made = ingest(tenant, 6)
    assert all(look.events(t, "assignment.waiting") == [] for t in made)
    dispatcher.dispatch_batches(tenant.id, batch=4)
    expected = look.events(asked, "assignment.waiting")[0]["reason"]
    assert expected == "waiting: nobody online in the tenant"
    assert [look.events(t, "assignment.waiting")[0]["reason"] for t in made] == [expected] * 6
    assert tickets.pending_work(tenant, [t.id for t in made]) == {}


def test_with_agents_online_the_batch_assigns_by_load_and_keeps_loads_exact(tenant, agent, look):
    first, second = agent(capacity=3), agent(capacity=3)
    made = ingest(tenant, 5)
    assert {look.holder(t) for t in made} == {None}
    dispatcher.dispatch_batches(tenant.id, batch=2)
    holders = Counter(look.holder(t) for t in made)
    assert holders == Counter({first.id: 3, second.id: 2}) or holders == Counter({first.id: 2, second.id: 3})
    loads = {s.user_id: s.open_count for s in AgentState.select()}
    assert loads == {first.id: holders[first.id], second.id: holders[second.id]}
    # the assignments' `assigned` events were fired too, by a later batch of the same run
    assert dispatcher.pending_count(tenant.id) == 0
    assert all(look.events(t, "assigned") for t in made)
