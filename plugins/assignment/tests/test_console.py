"""The console pages: live load, availability (agents their own, supervisors anyone's), rules."""

import re
from pathlib import Path

from gongdan_assignment import rules
from gongdan_assignment.models import AgentState

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import Team, TicketEvent
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
    assert "<textarea" not in boss.text("/console/assignment_rules/")
    good = boss.post("/console/assignment_rules/", {"d-0-strategy": "round_robin"})
    assert good.status_code == 302
    assert re.search(r'<option value="round_robin" title="[^"]*" selected', boss.text("/console/assignment_rules/"))
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


def test_rules_are_edited_in_a_form_with_errors_beside_the_fields(app, make_user, assignment, tenant):
    Team.create(tenant=tenant, name="资深组")
    supervisor, _ = make_user("supervisor", name="主管")
    boss = ConsoleClient(app, supervisor, language="zh_CN")
    form = {
        "r-0-order": "1",
        "r-0-priority": "urgent",
        "r-0-customer_tier": "vip",
        "r-0-strategy": "tier",
        "r-0-team": "资深组",
        "r-0-min_level": "3",
        "r-1-order": "2",
        "r-1-tags": "退款， 破损",
        "r-1-strategy": "skills",
        "r-1-o-0-key": "spread",
        "r-1-o-0-value": "2",
        "r-1-o-1-key": "strict",
        "r-1-o-1-value": "true",
        "r-2-order": "3",
        "r-2-strategy": "least_loaded",  # the blank row offered for a new rule
        "d-0-strategy": "round_robin",
    }
    assert boss.post("/console/assignment_rules/", form).status_code == 302
    stored = rules.rules_dict(tenant)
    assert stored["rules"] == [
        {
            "when": {"priority": "urgent", "customer_tier": "vip"},
            "strategy": "tier",
            "team": "资深组",
            "min_level": 3,
            "options": {},
        },
        {
            "when": {"tags": ["退款", "破损"]},
            "strategy": "skills",
            "team": None,
            "min_level": None,
            "options": {"spread": 2, "strict": True},
        },
    ]
    assert stored["default"]["strategy"] == "round_robin"
    html = boss.text("/console/assignment_rules/")
    assert 'name="r-1-tags" id="r-1-tags" value="退款, 破损"' in html
    assert 'name="r-1-o-1-value" value="true"' in html  # not Python's True
    swapped = {**form, "r-0-order": "2", "r-1-order": "1"}
    assert boss.post("/console/assignment_rules/", swapped).status_code == 302
    assert [r["strategy"] for r in rules.rules_dict(tenant)["rules"]] == ["skills", "tier"]
    refused = boss.post(
        "/console/assignment_rules/", {"r-0-team": "资深组", "r-1-priority": "high", "d-0-min_level": "9"}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert re.search(r'data-for="r-0-category">[^<]*至少填写一个条件', html)
    assert re.search(r'data-for="d-0-min_level">[^<]*1 到 5', html)
    unknown = boss.post(
        "/console/assignment_rules/", {"r-0-priority": "high", "r-0-team": "无此组", "r-0-strategy": "nope"}
    )
    assert unknown.status_code == 422
    html = unknown.get_data(as_text=True)
    assert re.search(r'data-for="r-0-team">[^<]*无此组', html)
    assert re.search(r'data-for="r-0-strategy">[^<]*策略', html)
    assert "rules.0" not in html
    assert [r["strategy"] for r in rules.rules_dict(tenant)["rules"]] == ["skills", "tier"]  # nothing saved
    removed = boss.post("/console/assignment_rules/", {**swapped, "r-0-delete": "1"})  # r-0 is the tier rule
    assert removed.status_code == 302
    assert [r["strategy"] for r in rules.rules_dict(tenant)["rules"]] == ["skills"]


def test_agents_set_their_shifts_and_leave_in_a_form(app, make_user, assignment, tenant, frozen_clock):
    worker, _ = make_user("agent", name="小王")
    standin, _ = make_user("agent", name="小李")
    other, _ = make_user("agent", name="小赵")
    me = ConsoleClient(app, worker)
    assert f'id="schedule-{worker.id}"' in me.text("/console/assignment_availability/")
    page = me.text(f"/console/assignment_availability/{worker.id}/schedule")
    assert "<textarea" not in page
    assert f'<option value="{standin.id}"' in page
    assert me.client.get(f"/console/assignment_availability/{other.id}/schedule").status_code == 403
    form = {
        "s-0-day": "mon",
        "s-0-start": "09:00",
        "s-0-end": "18:00",
        "s-1-day": "fri",
        "s-1-start": "22:00",
        "s-1-end": "06:00",
        "s-2-day": "",
        "leave_from": "2026-12-01",
        "leave_until": "2026-12-03",
        "replacement": str(standin.id),
    }
    saved = me.post(f"/console/assignment_availability/{worker.id}/schedule", form)
    assert saved.status_code == 302
    state = AgentState.get(AgentState.user == worker.id)
    assert state.shifts == [
        {"day": "mon", "start": "09:00", "end": "18:00"},
        {"day": "fri", "start": "22:00", "end": "06:00"},
    ]
    assert state.leave == {"from": "2026-12-01", "until": "2026-12-03", "replacement_id": standin.id}
    page = me.text(f"/console/assignment_availability/{worker.id}/schedule")
    assert 'name="s-1-end" id="s-1-end" value="06:00"' in page
    assert 'value="2026-12-03"' in page
    summary = me.text("/console/assignment_availability/")
    assert "Mon 09:00–18:00 · Fri 22:00–06:00" in summary
    assert "2026-12-01 – 2026-12-03" in summary
    refused = me.post(f"/console/assignment_availability/{worker.id}", {"capacity": "lots"}, follow_redirects=True)
    assert "Capacity: Give a whole number." in refused.get_data(as_text=True)
    bad = {
        "s-0-day": "tue",
        "s-0-start": "25:00",
        "s-0-end": "",
        "leave_from": "2026-12-05",
        "leave_until": "2026-12-04",
    }
    refused = me.post(f"/console/assignment_availability/{worker.id}/schedule", bad)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert re.search(r'data-for="s-0-start">Give a time of day', html)
    assert re.search(r'data-for="s-0-end">Give both the start and the end', html)
    assert re.search(r'data-for="leave_until">The last day must not be before the first', html)
    itself = me.post(
        f"/console/assignment_availability/{worker.id}/schedule",
        {"leave_from": "2026-12-01", "leave_until": "2026-12-02", "replacement": str(worker.id)},
    )
    assert itself.status_code == 422
    assert re.search(r'data-for="replacement">An agent cannot stand in for themself', itself.get_data(as_text=True))
    cleared = me.post(f"/console/assignment_availability/{worker.id}/schedule", {"s-0-day": ""})
    assert cleared.status_code == 302
    state = AgentState.get(AgentState.user == worker.id)
    assert (state.shifts, state.leave) == ([], None)


def test_every_console_string_of_the_plugin_reads_in_chinese():
    import gongdan_assignment

    from gongdan.admin.i18n import untranslated

    assert untranslated(Path(gongdan_assignment.__file__).parent) == []
