"""`GET/PUT /api/v1/agents/ID/availability` and `/skills`; status, shifts, leave and capacity at work."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from gongdan_assignment import candidates

from gongdan import scheduler
from gongdan.models import Ticket
from gongdan.plugins import get_host


def test_agents_read_and_change_their_own_availability_only(sup_api, quick_user, assignment):
    me, my_api = quick_user("agent")
    colleague, _ = quick_user("agent")
    mine = my_api.get(f"/api/v1/agents/{me.id}/availability").get_json()
    assert mine["status"] == "offline"
    assert mine["capacity"] == 8
    assert mine["available"] is False
    answer = my_api.put(f"/api/v1/agents/{me.id}/availability", json={"status": "online"})
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "online"
    assert answer.get_json()["capacity"] == 8  # a subset leaves the rest alone
    assert answer.get_json()["available"] is True
    assert my_api.get(f"/api/v1/agents/{colleague.id}/availability").status_code == 403
    assert my_api.put(f"/api/v1/agents/{colleague.id}/availability", json={"status": "online"}).status_code == 403
    changed = sup_api.put(f"/api/v1/agents/{colleague.id}/availability", json={"capacity": 3, "status": "away"})
    assert changed.get_json()["capacity"] == 3
    assert changed.get_json()["status"] == "away"


def test_availability_validation_and_tenant_isolation(sup_api, quick_user, other_tenant, agent):
    someone = agent()
    for body, field in [
        ({"status": "busy"}, "status"),
        ({"capacity": -1}, "capacity"),
        ({"shifts": [{"day": "mon", "start": "9am", "end": "18:00"}]}, "shifts.0.start"),
        ({"shifts": [{"day": "funday", "start": "09:00", "end": "18:00"}]}, "shifts.0.day"),
        ({"shifts": [{"day": "mon", "start": "09:00", "end": "09:00"}]}, "shifts.0.end"),
        ({"leave": {"from": "2026-11-05", "until": "2026-11-03"}}, "leave.until"),
        ({"leave": {"from": "2026-11-03", "until": "2026-11-05", "replacement_id": 99999}}, "leave.replacement_id"),
        (
            {"leave": {"from": "2026-11-03", "until": "2026-11-05", "replacement_id": someone.id}},
            "leave.replacement_id",
        ),
        ({"mood": "happy"}, "mood"),
    ]:
        answer = sup_api.put(f"/api/v1/agents/{someone.id}/availability", json=body)
        assert answer.status_code == 422, body
        assert field in answer.get_json()["error"]["fields"], (body, answer.get_json())
    stranger, _ = quick_user("agent", in_tenant=other_tenant)
    assert sup_api.get(f"/api/v1/agents/{stranger.id}/availability").status_code == 404
    assert sup_api.get("/api/v1/agents/999999/availability").status_code == 404
    assert sup_api.get("/api/v1/agents/99999999999999999999/availability").status_code == 404
    assert sup_api.get("/api/v1/assignment/queue?page=99999999999999").status_code == 422


def test_only_online_agents_below_capacity_receive_tickets(agent, new_ticket, look, sup_api):
    away = agent(status="away")
    offline = agent(status="offline")
    online = agent(capacity=1)
    assert look.holder(new_ticket()) == online.id
    assert look.holder(new_ticket()) is None  # the online one is full; away/offline take nothing
    held = {t.assignee_id for t in Ticket.select()}
    assert held == {online.id, None}
    assert not held & {away.id, offline.id}


def test_shifts_in_the_tenants_time_zone(agent, new_ticket, look, frozen_clock):
    # Monday 2026-11-02 10:00 Asia/Shanghai
    day = agent(shifts=[{"day": "mon", "start": "09:00", "end": "18:00"}])
    night = agent(shifts=[{"day": "sun", "start": "22:00", "end": "06:00"}])
    assert look.holder(new_ticket()) == day.id
    frozen_clock.advance(hours=9)  # 19:00 Monday: nobody's shift
    assert look.holder(new_ticket()) is None
    frozen_clock.advance(hours=-14)  # 05:00 Monday: Sunday's night shift runs on
    assert look.holder(new_ticket()) == night.id


def test_leave_hands_tickets_to_the_replacement(agent, new_ticket, look, sup_api, frozen_clock):
    leaving = agent(capacity=5)
    ticket = new_ticket()
    assert look.holder(ticket) == leaving.id
    stand_in = agent(capacity=5, status="away")
    other = agent(capacity=5)
    today = frozen_clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    leave = {"from": today.isoformat(), "until": (today + timedelta(days=2)).isoformat(), "replacement_id": stand_in.id}
    sup_api.put(f"/api/v1/agents/{stand_in.id}/availability", json={"status": "online"})
    answer = sup_api.put(f"/api/v1/agents/{leaving.id}/availability", json={"leave": leave})
    assert answer.status_code == 200
    assert answer.get_json()["on_leave"] is True
    assert answer.get_json()["leave"]["replacement"]["id"] == stand_in.id
    assert look.holder(ticket) == stand_in.id
    reason = look.events(ticket, "assigned")[-1]["reason"]
    assert reason.startswith(f"{leaving.name} is on leave until {leave['until']}; stand-in; ")
    # while on leave, new tickets go to others
    assert look.holder(new_ticket()) in (stand_in.id, other.id)
    assert look.holder(new_ticket()) != leaving.id


def test_skills_api(sup_api, quick_user, assignment):
    me, my_api = quick_user("agent")
    answer = sup_api.put(f"/api/v1/agents/{me.id}/skills", json={"skills": {"退货退款": 3, "物流": 1}})
    assert answer.status_code == 200
    assert answer.get_json()["skills"] == {"物流": 1, "退货退款": 3}
    assert my_api.get(f"/api/v1/agents/{me.id}/skills").get_json()["skills"] == {"物流": 1, "退货退款": 3}
    assert my_api.put(f"/api/v1/agents/{me.id}/skills", json={"skills": {"物流": 5}}).status_code == 403
    bad = sup_api.put(f"/api/v1/agents/{me.id}/skills", json={"skills": {"物流": 6}})
    assert bad.status_code == 422
    assert any(key.startswith("skills") for key in bad.get_json()["error"]["fields"])
    sup_api.put(f"/api/v1/agents/{me.id}/skills", json={"skills": {"物流": 2}})
    assert my_api.get(f"/api/v1/agents/{me.id}/skills").get_json()["skills"] == {"物流": 2}


def test_leave_starting_later_is_handed_over_by_the_sweep(agent, new_ticket, look, sup_api, frozen_clock):
    leaving = agent()
    ticket = new_ticket()
    other = agent()
    tomorrow = frozen_clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    leave = {"from": tomorrow.isoformat(), "until": tomorrow.isoformat()}
    answer = sup_api.put(f"/api/v1/agents/{leaving.id}/availability", json={"leave": leave})
    assert answer.get_json()["on_leave"] is False
    assert look.holder(ticket) == leaving.id
    frozen_clock.advance(days=1)
    job = next(j for j in scheduler.jobs(get_host()) if j.id == "assignment.sweep")
    assert scheduler.run_job(job)
    assert look.holder(ticket) == other.id
    assert look.events(ticket, "assigned")[-1]["reason"].startswith(f"{leaving.name} is on leave until {tomorrow}")
    frozen_clock.advance(days=1)  # back from leave: receives tickets again
    assert look.holder(new_ticket()) == leaving.id


def test_short_list_all_off_shift_falls_back_to_everyone(agent, new_ticket, look, frozen_clock, monkeypatch):
    monkeypatch.setattr(candidates, "SHORTLIST", 1)
    # Monday 10:00: the idle agent is off shift, the busier one on shift
    on_duty = agent(capacity=2)
    assert look.holder(new_ticket()) == on_duty.id
    agent(capacity=2, shifts=[{"day": "tue", "start": "09:00", "end": "18:00"}])
    assert look.holder(new_ticket()) == on_duty.id
