"""The console pages: live load, availability (agents their own, supervisors anyone's), rules."""

from gongdan_assignment.models import AgentState

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
