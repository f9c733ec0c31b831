"""Triggers on plugin events (an SLA breach as the SLA plugin records it), read from the event
log by the 30-second job: from the end of the log, each event once even with two workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from gongdan_automation import engine
from gongdan_automation.models import RuleRun

from gongdan import tickets
from gongdan.actors import Actor

SLA = Actor.system("plugin:sla")


def test_an_sla_breach_fires_its_trigger_once_across_two_workers(auto_tenant, rule_api, new_ticket):
    body = {
        "kind": "trigger",
        "name": "超时升级",
        "event": "sla.breach",
        "conditions": [{"field": "priority", "op": "in", "value": "normal,high"}],
        "actions": [{"action": "set_priority", "inputs": {"priority": "urgent"}}],
    }
    assert rule_api.post("/api/v1/automation/rules", json=body).status_code == 201
    before = new_ticket("早就超时了")
    tickets.record_event(auto_tenant, before, "sla.breach", {"target": "resolution"}, SLA)
    assert engine.tail_plugin_events(auto_tenant) == 0  # the first call starts at the end of the log
    breached, warned = new_ticket("超时"), new_ticket("快超时")
    tickets.record_event(auto_tenant, breached, "sla.breach", {"target": "resolution"}, SLA)
    tickets.record_event(auto_tenant, warned, "sla.warning", {"target": "resolution"}, SLA)
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def worker():
        barrier.wait()
        fired.append(engine.tail_plugin_events(auto_tenant))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(fired) == 1
    priorities = {t.subject: tickets.get(auto_tenant, t.id).priority for t in (before, breached, warned)}
    assert priorities == {"早就超时了": "normal", "超时": "urgent", "快超时": "normal"}
    assert [r.event for r in RuleRun.select()] == ["sla.breach"]
    assert engine.tail_plugin_events(auto_tenant) == 0


@pytest.mark.parametrize("gongdan_backend", ["postgresql"], indirect=True)  # SQLite commits in id order
def test_a_plugin_event_that_becomes_visible_late_fires_its_trigger_once(
    auto_tenant, rule_api, new_ticket, frozen_clock
):
    from gongdan_automation.models import RulesState
    from peewee import fn

    from gongdan import clock
    from gongdan.models import TicketEvent

    body = {
        "kind": "trigger",
        "name": "ERP 已打款",
        "event": "erp.paid",
        "actions": [{"action": "add_note", "inputs": {"body": "ERP 已打款"}}],
    }
    assert rule_api.post("/api/v1/automation/rules", json=body).status_code == 201
    assert engine.tail_plugin_events(auto_tenant) == 0  # starts at the end of the log
    first, second = new_ticket("一"), new_ticket("二")
    newest = TicketEvent.select(fn.MAX(TicketEvent.id)).scalar()

    def late(ticket, event_id):
        TicketEvent.insert(
            id=event_id, tenant=auto_tenant.id, ticket=ticket.id, kind="erp.paid", at=clock.now(), data={}
        ).execute()

    late(first, newest + 50)  # visible first, with the higher id
    assert engine.tail_plugin_events(auto_tenant) == 1
    assert engine.tail_plugin_events(auto_tenant) == 0  # read again (not settled), not fired again
    late(second, newest + 10)  # committed later, with a lower id
    assert engine.tail_plugin_events(auto_tenant) == 1
    clock.advance(timedelta(seconds=31))
    assert engine.tail_plugin_events(auto_tenant) == 0
    assert [r.ticket_id for r in RuleRun.select().order_by(RuleRun.id)] == [first.id, second.id]
    assert RulesState.get(RulesState.tenant == auto_tenant.id).last_event_id == newest + 50
