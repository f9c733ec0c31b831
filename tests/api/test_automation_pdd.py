"""Issue 17's example across plugins, against the Pinduoduo gateway simulator: "a Pinduoduo
refund request over ¥5,000 needs a supervisor's approval; under it, agree at once and note it"
— one approval rule and one trigger on the connector's `pdd_connector.request_received`."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from gongdan_automation import engine
from gongdan_automation.models import Approval
from gongdan_pdd_connector import shops, sync
from gongdan_pdd_connector.models import PddRefund
from gongdan_pdd_connector.simulator.process import SimulatorProcess
from gongdan_pdd_connector.testing import connect_all, truth

from gongdan import clock
from gongdan.models import Comment

LIMIT = 100  # this tenant's limit (the simulator's goods are cheap; the merchant uses 5000)
RULES = (
    {
        "kind": "approval",
        "name": "拼多多退款超过 ¥100 需主管审批",
        "action": "pdd_connector.agree_refund",
        "conditions": [{"field": "pdd_connector.refund_amount", "op": "gt", "value": LIMIT}],
        "approver_role": "supervisor",
    },
    {
        "kind": "trigger",
        "name": "拼多多退款：限额内直接同意",
        "event": "pdd_connector.request_received",
        "conditions": [{"field": "pdd_connector.status", "op": "in", "value": "2,3"}],
        "actions": [
            {"action": "pdd_connector.agree_refund", "inputs": {"note": "自动同意"}},
            {"action": "add_note", "inputs": {"body": "已按退款规则处理"}},
        ],
    },
)


@pytest.fixture
def simulator(outbound_loopback):
    sim = SimulatorProcess(1, 40, 5, no_rate_limit=True, spread_days=0.1).start()
    yield sim
    sim.stop()


def test_refunds_over_the_limit_wait_for_a_supervisor_and_the_rest_are_agreed_and_noted(
    tenant, enable_plugin, make_user, simulator
):
    enable_plugin("pdd_connector")
    enable_plugin("automation")
    _, admin = make_user("admin")
    for rule in RULES:
        assert admin.post("/api/v1/automation/rules", json=rule).status_code == 201
    engine.tail_plugin_events(tenant)  # the tail starts here
    (shop,) = connect_all(tenant, simulator)
    run = sync.sync_shop(shop, since=clock.now() - timedelta(days=0.2), client=shops.client_for(shop, limiter=None))
    assert run.status == "done", run.error
    waiting = [r for r in PddRefund.of(tenant) if r.status in (2, 3) and r.ticket_id]
    big = [r for r in waiting if Decimal(str(r.record["refund_amount"])) > LIMIT]
    small = [r for r in waiting if Decimal(str(r.record["refund_amount"])) <= LIMIT]
    assert big, "the seeded records have a refund over the limit"
    assert small, "the seeded records have a refund within the limit"
    engine.tail_plugin_events(tenant)  # the 30-second job's work: the triggers on the new requests
    status = {str(r["id"]): r["status"] for r in truth(simulator)}
    for row in small:
        assert status[row.after_sales_id] == 4, row.after_sales_id  # agreed on the platform
        notes = [c.body for c in Comment.select().where(Comment.ticket == row.ticket_id)]
        assert "已按退款规则处理" in notes
    held = {a.ticket_id: a for a in Approval.select()}
    assert set(held) == {r.ticket_id for r in big}
    assert all(status[r.after_sales_id] in (2, 3) for r in big)  # not agreed yet

    _, supervisor = make_user("supervisor")
    first = held[big[0].ticket_id]
    done = supervisor.post(f"/api/v1/automation/approvals/{first.id}/approve", json={"reason": "已核实"})
    assert done.get_json()["status"] == "approved", done.get_json()
    assert {str(r["id"]): r["status"] for r in truth(simulator)}[big[0].after_sales_id] == 4
