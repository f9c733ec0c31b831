"""Time rules (close 72 h after resolved, exactly once with two workers at once) and macros
(placeholders, zh/en, actions, usage counted, personal vs shared)."""

from __future__ import annotations

import threading
from datetime import timedelta

from gongdan_automation import engine
from gongdan_automation.models import RuleRun, TimeClaim

from gongdan import clock, tickets
from gongdan.actors import Actor
from gongdan.models import TicketEvent

REMIND_48H = {
    "kind": "time",
    "name": "待回复 48 小时提醒",
    "conditions": [{"field": "hours_since_pending", "op": "gte", "value": 48}],
    "actions": [{"action": "add_note", "inputs": {"body": "提醒客户"}}],
}


def test_close_72h_after_resolved_exactly_once_with_two_workers(auto_tenant, new_ticket, frozen_clock, close_after_72h):
    resolved = close_after_72h(4)
    still_open = new_ticket("还在处理")
    clock.advance(timedelta(hours=71))
    assert engine.run_time_rules(auto_tenant) == 0
    clock.advance(timedelta(hours=2))
    barrier = threading.Barrier(2)
    taken: list[int] = []

    def worker():
        barrier.wait()
        taken.append(engine.run_time_rules(auto_tenant))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(taken) == 4
    assert {tickets.get(auto_tenant, t.id).status for t in resolved} == {"closed"}
    assert tickets.get(auto_tenant, still_open.id).status == "new"
    assert RuleRun.select().count() == 4
    assert TimeClaim.select().count() == 8  # the change it acted on and the change it made
    closes = [e for e in TicketEvent.select().where(TicketEvent.kind == "status_changed") if e.data["to"] == "closed"]
    assert len(closes) == 4
    assert engine.run_time_rules(auto_tenant) == 0


def test_two_schedulers_at_the_same_moment_close_each_ticket_once(auto_tenant, frozen_clock, close_after_72h):
    """The hourly job as two workers' schedulers run it (`gongdan.scheduler.run_job`), at once."""
    from gongdan import scheduler
    from gongdan.plugins import get_host

    resolved = close_after_72h(3)
    clock.advance(timedelta(hours=73))
    (job,) = [j for j in scheduler.jobs(get_host()) if j.id == "automation.time_rules"]
    barrier = threading.Barrier(2)
    ran: list[bool] = []

    def worker():
        barrier.wait()
        ran.append(scheduler.run_job(job))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ran) == [False, True]  # one of them ran this hour's slot
    assert {tickets.get(auto_tenant, t.id).status for t in resolved} == {"closed"}
    closes = [e for e in TicketEvent.select().where(TicketEvent.kind == "status_changed") if e.data["to"] == "closed"]
    assert len(closes) == 3
    assert RuleRun.select().count() == 3


def test_every_open_ticket_is_reached_not_only_the_first_batch(
    auto_tenant, new_ticket, frozen_clock, monkeypatch, close_after_72h
):
    """A tenant with more open tickets than one batch: the resolved ones after them are closed too."""
    monkeypatch.setattr(engine, "TIME_RULE_BATCH", 2)
    backlog = [new_ticket(f"积压 {i}") for i in range(5)]  # older, still open, never matching
    resolved = close_after_72h(3)
    clock.advance(timedelta(hours=73))
    assert engine.run_time_rules(auto_tenant) == 3
    assert {tickets.get(auto_tenant, t.id).status for t in resolved} == {"closed"}
    assert {tickets.get(auto_tenant, t.id).status for t in backlog} == {"new"}


def test_a_time_rule_acts_once_per_change(auto_tenant, rule_api, new_ticket, frozen_clock):
    assert rule_api.post("/api/v1/automation/rules", json=REMIND_48H).status_code == 201
    ticket = new_ticket()
    tickets.transition(auto_tenant, ticket, "open", Actor.system())
    tickets.transition(auto_tenant, ticket, "pending", Actor.system())
    clock.advance(timedelta(hours=49))
    assert engine.run_time_rules(auto_tenant) == 1
    clock.advance(timedelta(hours=1))
    assert engine.run_time_rules(auto_tenant) == 0  # its own note is not a new change
    tickets.comment(auto_tenant, ticket, "客户电话说明天回复", Actor.system(), internal=True)
    assert engine.run_time_rules(auto_tenant) == 1  # someone else's change is


MACRO = {
    "name": "物流查询",
    "shared": True,
    "body_zh": "{customer_name}您好，您的订单 {order_number}（工单 #{ticket_number}）已发出。— {agent_name}",
    "body_en": "Dear {customer_name}, order {order_number} (ticket #{ticket_number}) has shipped. — {agent_name}",
    "actions": [{"action": "set_tags", "inputs": {"tags": ["物流"], "mode": "add"}}],
}


def test_a_macro_fills_its_placeholders_runs_its_actions_and_counts(
    auto_tenant, make_user, new_ticket, register_plugin
):
    from gongdan.hookspecs import hookimpl

    class Orders:
        @hookimpl
        def gongdan_ticket_blocks(self, tickets):
            return {t.id: {"order_sn": "260101-123"} for t in tickets}

    register_plugin(Orders(), "orders")
    _, api = make_user("supervisor", name="小李")
    created = api.post("/api/v1/automation/macros", json=MACRO)
    assert created.status_code == 201, created.get_json()
    macro = created.get_json()
    ticket = new_ticket(customer={"name": "王女士"})
    zh = api.post(f"/api/v1/automation/macros/{macro['id']}/apply", json={"ticket_id": ticket.id}).get_json()
    assert zh["body"] == f"王女士您好，您的订单 260101-123（工单 #{ticket.number}）已发出。— 小李"
    en = api.post(
        f"/api/v1/automation/macros/{macro['id']}/apply", json={"ticket_id": ticket.id, "language": "en"}
    ).get_json()
    assert en["body"].startswith("Dear 王女士, order 260101-123")
    assert tickets.get(auto_tenant, ticket.id).tags == ["物流"]
    assert api.get("/api/v1/automation/macros").get_json()["items"][0]["usage_count"] == 2
    _, agent = make_user("agent")
    assert agent.post("/api/v1/automation/macros", json=MACRO).status_code == 403  # shared needs a supervisor
    mine = agent.post("/api/v1/automation/macros", json={**MACRO, "shared": False, "name": "我的"}).get_json()
    assert {m["name"] for m in agent.get("/api/v1/automation/macros").get_json()["items"]} == {"物流查询", "我的"}
    assert {m["name"] for m in api.get("/api/v1/automation/macros").get_json()["items"]} == {"物流查询"}
    assert api.post(f"/api/v1/automation/macros/{mine['id']}/apply", json={"ticket_id": ticket.id}).status_code == 404
    bad = agent.post("/api/v1/automation/macros", json={"name": "", "shared": False})
    assert bad.status_code == 422
