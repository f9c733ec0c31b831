"""Tickets nobody can take wait in their team's queue and are handed out as capacity frees."""

from gongdan_assignment import jobs
from gongdan_assignment.models import AgentState

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.reconcile import reconcile_tenant


def test_waiting_tickets_go_out_most_urgent_first_then_oldest(agent, new_ticket, look, sup_api):
    low = new_ticket("low", priority="low")
    old = new_ticket("old normal")
    urgent = new_ticket("urgent", priority="urgent")
    young = new_ticket("young normal")
    queue = sup_api.get("/api/v1/assignment/queue").get_json()
    assert [item["ticket"]["id"] for item in queue["items"]] == [urgent.id, old.id, young.id, low.id]
    assert queue["total"] == 4
    assert {item["reason"] for item in queue["items"]} == {"waiting: nobody online in the tenant"}
    assert look.events(urgent, "assignment.waiting")[0]["reason"] == "waiting: nobody online in the tenant"
    shown = sup_api.get(f"/api/v1/tickets/{urgent.id}").get_json()
    assert shown["assignment"]["waiting"] is True
    # an agent comes online with room for two: the urgent one, then the oldest
    newcomer = agent(capacity=2)
    assert [look.holder(t) for t in (urgent, old, young, low)] == [newcomer.id, newcomer.id, None, None]
    assert sup_api.get(f"/api/v1/tickets/{urgent.id}").get_json()["assignment"]["waiting"] is False
    # resolving one frees capacity: the next in line goes out at once
    tickets.transition(urgent.tenant, urgent, "resolved", Actor.of(newcomer))
    assert look.holder(young) == newcomer.id
    assert look.holder(low) is None
    assert [i["ticket"]["id"] for i in sup_api.get("/api/v1/assignment/queue").get_json()["items"]] == [low.id]


def test_waiting_is_recorded_once_per_reason(new_ticket, look, assignment):
    ticket = new_ticket()
    reconcile_tenant(ticket.tenant)
    reconcile_tenant(ticket.tenant)
    assert len(look.events(ticket, "assignment.waiting")) == 1


def test_reconcile_assigns_what_was_left_unassigned(agent, new_ticket, look, sup_api, admin_api, tenant):
    off = admin_api.put("/api/v1/plugins/assignment", json={"settings": {"auto_assign": False}})
    assert off.status_code == 200, off.get_json()
    someone = agent()
    ticket = new_ticket()
    assert look.holder(ticket) is None
    queued = sup_api.get("/api/v1/assignment/queue").get_json()["items"]
    assert queued[0]["reason"] == "not routed yet"
    admin_api.put("/api/v1/plugins/assignment", json={"settings": {"auto_assign": True}})
    reconcile_tenant(tenant)
    assert look.holder(ticket) == someone.id


def test_manual_assignment_and_supervisor_override(agent, new_ticket, look, sup_api, quick_user, admin_api):
    full = agent(capacity=1)
    spare = agent(capacity=3)
    first = new_ticket()
    second = new_ticket()
    assert {look.holder(first), look.holder(second)} == {full.id, spare.id}
    target = first if look.holder(first) == spare.id else second
    # a supervisor overrides capacity by hand; the event says so
    answer = sup_api.post(f"/api/v1/tickets/{target.id}/assign", json={"assignee_id": full.id})
    assert answer.status_code == 200
    assert look.events(target, "assigned")[-1]["strategy"] == "manual"
    state = sup_api.get(f"/api/v1/agents/{full.id}/availability").get_json()
    assert state["open_tickets"] == 2  # recounted
    # the strategy is never asked to go beyond capacity
    assert look.holder(new_ticket()) == spare.id
    # {} asks the tenant's strategy; an agent may ask for an unassigned ticket
    _, agent_api = quick_user("agent")
    spare_state = sup_api.get(f"/api/v1/agents/{spare.id}/availability").get_json()
    assert spare_state["open_tickets"] == 1
    loose = new_ticket()
    sup_api.post(f"/api/v1/tickets/{loose.id}/assign", json={"assignee_id": None})
    assert look.holder(loose) == spare.id  # unassigned by hand: routed again at once
    events = look.events(loose, "assigned")
    assert [e["to"] for e in events] == [spare.id, None, spare.id]
    admin_api.put("/api/v1/plugins/assignment", json={"settings": {"auto_assign": False}})
    unrouted = new_ticket()
    assert look.holder(unrouted) is None
    asked = agent_api.post(f"/api/v1/tickets/{unrouted.id}/assign", json={})
    assert asked.status_code == 200
    assert asked.get_json()["assignee"]["id"] == spare.id
    assert look.events(unrouted, "assigned")[-1]["strategy"] == "least_loaded"


def test_no_first_response_in_time_is_reassigned(agent, new_ticket, look, frozen_clock, admin_api, tenant):
    admin_api.put("/api/v1/plugins/assignment", json={"settings": {"first_response_minutes": 30}})
    slow = agent()
    answered = new_ticket()
    unanswered = new_ticket()
    assert look.holder(answered) == look.holder(unanswered) == slow.id
    tickets.comment(tenant, answered, "您好，已为您处理", Actor.of(slow))
    frozen_clock.advance(minutes=29)
    assert jobs.reassign_unanswered(tenant) == 0
    frozen_clock.advance(minutes=2)
    # nobody else is there: it stays, and the event says why (once)
    assert jobs.reassign_unanswered(tenant) == 0
    assert jobs.reassign_unanswered(tenant) == 0
    skipped = look.events(unanswered, "assignment.reassign_skipped")
    assert len(skipped) == 1
    assert skipped[0]["reason"].startswith(f"no first response from {slow.name} within 30 min")
    helper = agent()
    assert jobs.reassign_unanswered(tenant) == 1
    assert look.holder(unanswered) == helper.id
    assert look.holder(answered) == slow.id
    last = look.events(unanswered, "assigned")[-1]
    assert last["from"] == slow.id
    assert last["reason"].startswith(f"no first response from {slow.name} within 30 min; least_loaded")
    frozen_clock.advance(minutes=31)
    # the helper lapses too; the slow agent, who lapsed before, is not chosen again
    assert jobs.reassign_unanswered(tenant) == 0
    assert look.holder(unanswered) == helper.id


def test_moving_a_waiting_ticket_to_another_team_routes_it(agent, new_ticket, look, sup_api, tenant):
    helper = agent(team="物流组")
    agent(team="售后组", status="offline")
    ticket = new_ticket(team="售后组")
    assert look.holder(ticket) is None
    assert sup_api.patch(f"/api/v1/tickets/{ticket.id}", json={"team": "物流组"}).status_code == 200
    assert look.holder(ticket) == helper.id


def test_live_load_and_recount(agent, new_ticket, sup_api, tenant):
    full = agent(capacity=1)
    idle = agent(capacity=4, status="away")
    new_ticket()
    items = sup_api.get("/api/v1/assignment/agents").get_json()["items"]
    by_id = {item["agent"]["id"]: item for item in items}
    assert by_id[full.id]["open_tickets"] == 1
    assert by_id[full.id]["available"] is False
    assert by_id[idle.id]["open_tickets"] == 0
    assert items[0]["agent"]["id"] == full.id  # fullest first
    # a counter a crash left wrong is repaired by reconciliation
    AgentState.update(open_count=0).where(AgentState.user == full.id).execute()
    reconcile_tenant(tenant)
    assert AgentState.get(AgentState.user == full.id).open_count == 1
