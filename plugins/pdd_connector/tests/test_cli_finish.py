"""`gongdan pdd sync` with no worker running: before the command exits, every stored after-sales
request's ticket is assigned and has its SLA clocks — the command fires the plugins' work the
sync left to the worker (`gongdan.dispatcher.finish`). Against the simulator over HTTP; SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from gongdan_pdd_connector.cli import pdd
from gongdan_pdd_connector.testing import connect_all, pdd_tickets, truth
from gongdan_sla.models import SlaTicket
from gongdan_sla.policies import save_calendars, save_policies

from gongdan import dispatcher, tickets

WEEK = {str(d): [["00:00", "23:59"]] for d in range(7)}


def test_sync_on_the_command_line_leaves_nothing_to_a_worker(
    pdd_tenant: Any, start_sim: Any, enable_plugin: Any, make_user: Any
) -> None:
    enable_plugin("assignment")
    enable_plugin("sla")
    save_calendars(pdd_tenant, {"items": [{"name": "default", "weekly": WEEK}]})
    save_policies(pdd_tenant, {"items": [{"name": "售后", "first_response": 30, "resolution": 1440}]})
    agent, _ = make_user("agent")
    _, supervisor = make_user("supervisor")
    online = supervisor.put(f"/api/v1/agents/{agent.id}/availability", json={"status": "online", "capacity": 50})
    assert online.status_code == 200, online.get_json()
    sim = start_sim(shops=1, records=6, no_rate_limit=True)
    (shop,) = connect_all(pdd_tenant, sim)

    result = CliRunner().invoke(pdd, ["sync", "--shop", shop.owner_id, "--since", "1d", "--no-progress"])

    assert result.exit_code == 0, result.output
    made = pdd_tickets(pdd_tenant)
    assert len(made) == len([r for r in truth(sim) if not r["malformed"]]) > 0
    assert f"fired the plugins' work for {len(made)} tickets" in result.output
    assert dispatcher.pending_count(pdd_tenant.id) == 0
    assert tickets.pending_work(pdd_tenant, [t.id for t in made]) == {}
    open_ones = [t for t in made if t.status not in ("resolved", "closed")]
    assert open_ones, "the seeded data has requests waiting for the merchant"
    assert {t.assignee_id for t in open_ones} == {agent.id}
    clocks = SlaTicket.select().where(SlaTicket.ticket.in_([t.id for t in made]))
    assert {row.policy_name for row in clocks} == {"售后"}
    assert len(clocks) == len(made)
