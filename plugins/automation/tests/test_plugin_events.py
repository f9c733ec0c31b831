"""Triggers on plugin events (an SLA breach as the SLA plugin records it), read from the event
log by the 30-second job: from the end of the log, each event once even with two workers."""

from __future__ import annotations

import threading

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
