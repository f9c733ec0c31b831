"""The console pages: live load, availability (agents their own, supervisors anyone's), rules."""

import re

from gongdan_assignment.models import AgentState

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import TicketEvent
from gongdan.testing import ConsoleClient


def test_console_pages(app, make_user, assignment, agent, new_ticket):
    supervisor, _ = make_user("supervisor", name="主管")
    worker, _ = make_user("agent", name="小王")
    busy = agent(capacity=1)
    new_ticket("第一张")
    new_ticket("排队的")
    boss = ConsoleClient(app, supervisor)
    load = boss.text("/console/assignment_load/")
    assert "1/1" in load
    assert "排队的" in load
    changed = boss.post(f"/console/assignment_availability/{worker.id}", {"status": "online", "capacity": "3"})
    assert changed.status_code == 302
    assert AgentState.get(AgentState.user == worker.id).status == "online"
    assert "排队的" not in boss.text("/console/assignment_load/")  # the newcomer took the waiting ticket
    bad = boss.post("/console/assignment_rules/", {"rules": '{"rules": [{"when": {}, "strategy": "nope"}]}'})
    assert bad.status_code == 200
    assert "error-rules" in bad.get_data(as_text=True)
    good = boss.post("/console/assignment_rules/", {"rules": '{"rules": [], "default": {"strategy": "round_robin"}}'})
    assert good.status_code == 302
    assert "round_robin" in boss.text("/console/assignment_rules/")
    me = ConsoleClient(app, worker)
    assert me.client.get("/console/assignment_rules/").status_code == 403
    assert me.client.get("/console/assignment_load/").status_code == 403
    page = me.text("/console/assignment_availability/")
    assert f"agent-{worker.id}" in page
    assert f"agent-{busy.id}" not in page
    assert me.post(f"/console/assignment_availability/{busy.id}", {"status": "offline"}).status_code == 403
    assert me.post(f"/console/assignment_availability/{worker.id}", {"status": "away"}).status_code == 302
    assert AgentState.get(AgentState.user == worker.id).status == "away"


def test_live_load_bars_offline_agents_empty_and_over_capacity_marked(app, make_user, assignment, agent, new_ticket):
    """Issue 16 bug 8: an offline agent at 0/0 was a full red bar; 9/8 had no warning."""
    supervisor, _ = make_user("supervisor", name="主管")
    idle, _ = make_user("agent", name="离线")  # no availability row: offline, capacity 0
    full = agent(capacity=1)
    new_ticket("第一张")
    extra = new_ticket("第二张")
    tickets.assign(extra.tenant, extra, full.id, Actor.of(supervisor))  # a person goes past capacity
    boss = ConsoleClient(app, supervisor)
    load = boss.text("/console/assignment_load/")
    offline_row = load[load.index(f'id="load-{idle.id}"') :]
    assert re.search(r'class="progress-bar bg-secondary" style="width: 0%"', offline_row[:600])
    full_row = load[load.index(f'id="load-{full.id}"') :][:600]
    assert "2/1" in full_row
    assert "load-over" in full_row
    assert tickets.get(extra.tenant, extra.id)  # still assigned: a warning, not a refusal
    warned = TicketEvent.select().where(
        (TicketEvent.ticket == extra.id) & (TicketEvent.kind == "assignment.over_capacity")
    )
    assert [e.data for e in warned] == [{"agent_id": full.id, "open": 2, "capacity": 1}]
