"""Approvals with the documented example plugin (docs/automation.md): a refund above the limit is
held for a supervisor, below it runs at once and is noted; approval runs it exactly once;
rejection and expiry do not; everything is on the ticket's timeline."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from gongdan_automation import approvals
from gongdan_automation.models import Approval
from peewee import fn

from gongdan import clock, tickets
from gongdan.actors import Actor
from gongdan.models import Comment, Ticket, TicketEvent


def _notes(ticket):
    return [c.body for c in Comment.select().where(Comment.ticket == ticket.id).order_by(Comment.id)]


def _with_balance(tenant, wallet, balance):
    """A ticket whose wallet balance is set before the trigger runs (the ticket id is the next one)."""
    last = Ticket.select(fn.MAX(Ticket.id)).scalar() or 0
    wallet.balances[last + 1] = balance
    ticket, _ = tickets.create(tenant, {"subject": f"退款 {balance}"}, Actor.system())
    assert ticket.id == last + 1
    return ticket


def test_under_the_limit_runs_at_once_above_it_waits_for_a_supervisor(auto_tenant, refund_rules, make_user):
    small = _with_balance(auto_tenant, refund_rules, 300)
    assert _notes(small) == ["refunded ¥300 自动", "已按规则处理退款"]
    big = _with_balance(auto_tenant, refund_rules, 6000)
    assert _notes(big) == ["已按规则处理退款"]  # the refund is held, the note runs
    _, agent = make_user("agent")
    _, supervisor = make_user("supervisor")
    (pending,) = agent.get(f"/api/v1/automation/approvals?ticket_id={big.id}").get_json()["items"]
    assert (pending["action"], pending["status"], pending["inputs"]) == ("wallet.refund", "pending", {"note": "自动"})
    url = f"/api/v1/automation/approvals/{pending['id']}"
    assert agent.post(f"{url}/approve", json={"reason": "我来批"}).status_code == 403
    approved = supervisor.post(f"{url}/approve", json={"reason": "已核实订单"})
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "approved"
    assert approved.get_json()["result"] == {"outcome": "ok", "result": {"refunded": 6000}}
    assert supervisor.post(f"{url}/approve", json={}).status_code == 409
    assert _notes(big) == ["已按规则处理退款", "refunded ¥6000 自动"]
    kinds = [e.kind for e in TicketEvent.select().where(TicketEvent.ticket == big.id).order_by(TicketEvent.id)]
    assert "automation.approval_requested" in kinds
    assert "automation.approval_approved" in kinds
    runs = TicketEvent.select().where((TicketEvent.ticket == big.id) & (TicketEvent.kind == "action.run"))
    assert [(r.data["action"], r.data["outcome"]) for r in runs] == [
        ("wallet.refund", "held"),
        ("add_note", "ok"),
        ("wallet.refund", "ok"),
    ]


def test_two_approvers_at_once_run_the_action_once(auto_tenant, refund_rules, make_user):
    big = _with_balance(auto_tenant, refund_rules, 9000)
    (approval,) = Approval.select()
    first, _ = make_user("supervisor")
    second, _ = make_user("admin")
    outcomes = []

    def decide(user):
        try:
            approvals.decide(auto_tenant, approval.id, user, True, "ok")
            outcomes.append("won")
        except Exception as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=decide, args=(u,)) for u in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["Conflict", "won"]
    assert [n for n in _notes(big) if n.startswith("refunded")] == ["refunded ¥9000 自动"]


def test_rejected_and_expired_approvals_do_not_run(auto_tenant, refund_rules, make_user, frozen_clock):
    _, supervisor = make_user("supervisor")
    rejected = _with_balance(auto_tenant, refund_rules, 7000)
    expired = _with_balance(auto_tenant, refund_rules, 8000)
    items = {a["ticket_id"]: a for a in supervisor.get("/api/v1/automation/approvals").get_json()["items"]}
    no = supervisor.post(f"/api/v1/automation/approvals/{items[rejected.id]['id']}/reject", json={"reason": "金额不符"})
    assert no.get_json()["status"] == "rejected"
    clock.advance(timedelta(hours=25))
    late = supervisor.post(f"/api/v1/automation/approvals/{items[expired.id]['id']}/approve", json={})
    assert late.status_code == 409
    assert "expired" in late.get_json()["error"]["message"]
    for ticket in (rejected, expired):
        assert not [n for n in _notes(ticket) if n.startswith("refunded")]
    kinds = {e.kind for e in TicketEvent.select().where(TicketEvent.kind.startswith("automation."))}
    assert {"automation.approval_rejected", "automation.approval_expired"} <= kinds


def test_the_api_asks_for_an_approval_directly(auto_tenant, refund_rules, make_user):
    _, agent = make_user("agent")
    ticket = _with_balance(auto_tenant, refund_rules, 100)
    refund_rules.balances[ticket.id] = 50
    body = {"ticket_id": ticket.id, "action": "wallet.refund", "inputs": {"note": "手动"}, "reason": "客户要求"}
    created = agent.post("/api/v1/automation/approvals", json=body)
    assert created.status_code == 201, created.get_json()
    bad = agent.post("/api/v1/automation/approvals", json={**body, "action": "nope"})
    assert bad.status_code == 404
    assert agent.post("/api/v1/automation/approvals", json={"action": "x"}).status_code == 422


def test_a_process_dying_during_the_approved_run_leaves_the_approval_pending(
    auto_tenant, refund_rules, make_user, monkeypatch
):
    big = _with_balance(auto_tenant, refund_rules, 7000)
    (approval,) = Approval.select()
    supervisor, _ = make_user("supervisor")
    comment = tickets.comment

    def written_then_killed(*args, **kwargs):  # the refund's note is written, then the process goes away
        comment(*args, **kwargs)
        raise SystemExit("killed")

    monkeypatch.setattr(tickets, "comment", written_then_killed)
    with pytest.raises(SystemExit):
        approvals.decide(auto_tenant, approval.id, supervisor, True, "ok")
    monkeypatch.setattr(tickets, "comment", comment)
    assert Approval.get_by_id(approval.id).status == "pending"
    assert not [n for n in _notes(big) if n.startswith("refunded")]
    assert "automation.approval_approved" not in {e.kind for e in TicketEvent.select()}
    refund_rules.balances[big.id] = 7000  # the wallet in memory is not the database: as it was before
    approvals.decide(auto_tenant, approval.id, supervisor, True, "again")
    assert Approval.get_by_id(approval.id).status == "approved"
    assert [n for n in _notes(big) if n.startswith("refunded")] == ["refunded ¥7000 自动"]
