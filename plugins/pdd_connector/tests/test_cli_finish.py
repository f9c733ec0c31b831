"""`gongdan pdd sync` and `gongdan pdd listen` with no worker running. Before the sync exits,
every stored after-sales request's ticket is assigned and has its SLA clocks, and issue 17's
trigger on a new Pinduoduo request has agreed to it on the platform and noted it: the command
fires the plugins' work the sync left to the worker and the jobs flagged `after_ingestion`
(`gongdan.dispatcher.finish`). The listener does the same every 2 s for what pushes stored.
Against the simulator over HTTP; SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from gongdan_automation.models import RulesState
from gongdan_pdd_connector.cli import pdd
from gongdan_pdd_connector.models import PddRefund
from gongdan_pdd_connector.testing import connect_all, pdd_tickets, truth, wait_for
from gongdan_sla.models import SlaTicket
from gongdan_sla.policies import save_calendars, save_policies

from gongdan import dispatcher, tickets
from gongdan.models import Comment

WEEK = {str(d): [["00:00", "23:59"]] for d in range(7)}
AGREE = {
    "kind": "trigger",
    "name": "拼多多退款：直接同意",
    "event": "pdd_connector.request_received",
    "conditions": [{"field": "pdd_connector.status", "op": "in", "value": "2,3"}],
    "actions": [
        {"action": "pdd_connector.agree_refund", "inputs": {"note": "自动同意"}},
        {"action": "add_note", "inputs": {"body": "已按退款规则处理"}},
    ],
}


def test_sync_on_the_command_line_leaves_nothing_to_a_worker(
    pdd_tenant: Any, start_sim: Any, enable_plugin: Any, make_user: Any
) -> None:
    for name in ("assignment", "sla", "automation"):
        enable_plugin(name)
    save_calendars(pdd_tenant, {"items": [{"name": "default", "weekly": WEEK}]})
    save_policies(pdd_tenant, {"items": [{"name": "售后", "first_response": 30, "resolution": 1440}]})
    agent, _ = make_user("agent")
    _, supervisor = make_user("supervisor")
    online = supervisor.put(f"/api/v1/agents/{agent.id}/availability", json={"status": "online", "capacity": 50})
    assert online.status_code == 200, online.get_json()
    _, admin = make_user("admin")
    assert admin.post("/api/v1/automation/rules", json=AGREE).status_code == 201
    # no worker ever ran: the triggers' tail has not started; the command starts it before syncing
    assert RulesState.get(RulesState.tenant == pdd_tenant.id).last_event_id is None
    sim = start_sim(shops=1, records=6, no_rate_limit=True)
    (shop,) = connect_all(pdd_tenant, sim)
    seeded = truth(sim)

    result = CliRunner().invoke(pdd, ["sync", "--shop", shop.owner_id, "--since", "1d", "--no-progress"])

    assert result.exit_code == 0, result.output
    made = pdd_tickets(pdd_tenant)
    assert len(made) == len([r for r in seeded if not r["malformed"]]) > 0
    assert f"fired the plugins' work for {len(made)} tickets" in result.output
    assert dispatcher.pending_count(pdd_tenant.id) == 0
    assert tickets.pending_work(pdd_tenant, [t.id for t in made]) == {}
    waiting = [r for r in seeded if r["status"] in (2, 3) and not r["malformed"]]
    assert waiting, "the seeded data has requests waiting for the merchant"
    agreed = {str(r["id"]): r["status"] for r in truth(sim, shop.owner_id)}
    assert {agreed[str(r["id"])] for r in waiting} == {4}  # the trigger agreed on the platform
    by_record = {t.external_id: t for t in made}
    for record in waiting:
        ticket = by_record[str(record["id"])]
        assert ticket.assignee_id == agent.id
        assert "已按退款规则处理" in [c.body for c in Comment.select().where(Comment.ticket == ticket.id)]
    clocks = SlaTicket.select().where(SlaTicket.ticket.in_([t.id for t in made]))
    assert {row.policy_name for row in clocks} == {"售后"}
    assert len(clocks) == len(made)


def test_listen_fires_the_pushed_requests_hooks_without_a_worker(
    pdd_tenant: Any, start_sim: Any, enable_plugin: Any, make_user: Any, gongdan_database_url: str, tmp_path: Path
) -> None:
    enable_plugin("assignment")
    agent, _ = make_user("agent")
    _, supervisor = make_user("supervisor")
    online = supervisor.put(f"/api/v1/agents/{agent.id}/availability", json={"status": "online", "capacity": 50})
    assert online.status_code == 200, online.get_json()
    sim = start_sim(shops=1, records=1, heartbeat_seconds=1, redeliver_seconds=60)
    (shop,) = connect_all(pdd_tenant, sim)
    env = {**os.environ, "GONGDAN_DATABASE_URL": gongdan_database_url, "GONGDAN_PDD_LEASE_SECONDS": "2"}
    log = tmp_path / "listen.log"
    with open(log, "w", encoding="utf-8") as out:
        listener = subprocess.Popen(
            [str(Path(sys.executable).parent / "gongdan"), "pdd", "listen"], env=env, stdout=out, stderr=out
        )
    try:
        wait_for(lambda: sim.control("GET", "sessions")["open"], timeout=60)
        added = sim.control("POST", "records", {"owner_id": shop.owner_id, "count": 3})["records"]
        pushed = [str(r["id"]) for r in added]

        def stored() -> list[Any]:
            rows = list(PddRefund.of(pdd_tenant).where(PddRefund.after_sales_id << pushed))
            return rows if len(rows) == len(pushed) else []

        ticket_ids = [row.ticket_id for row in wait_for(stored, timeout=30)]
        # no worker runs: the listening process fires the hooks (its finish every 2 s)
        wait_for(lambda: dispatcher.pending_count(pdd_tenant.id) == 0, timeout=30)
        assert tickets.pending_work(pdd_tenant, ticket_ids) == {}
        made = [t for t in pdd_tickets(pdd_tenant) if t.id in set(ticket_ids)]
        assert all(t.assignee_id == agent.id for t in made if t.status not in ("resolved", "closed"))
    finally:
        listener.terminate()
        listener.wait(timeout=20)
    assert "firing the plugins' work failed" not in log.read_text()
