"""Triggers: conditions over fields, levels, tiers, text and time; actions of any plugin; loop
protection; the depth limit; dry runs; history; and validation of rules (422 per field)."""

from __future__ import annotations

from datetime import UTC, datetime

from gongdan_automation import rules
from gongdan_automation.models import RuleRun

from gongdan import categories, clock, tickets
from gongdan.actors import Actor
from gongdan.models import TicketEvent

TAG_URGENT = {"action": "set_tags", "inputs": {"tags": ["加急"], "mode": "add"}}


def _rule(api, **body):
    response = api.post("/api/v1/automation/rules", json={"kind": "trigger", "name": "r", **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_trigger_on_created_matches_levels_tier_and_text_and_acts(auto_tenant, rule_api, new_ticket):
    categories.ensure(auto_tenant, "售后/物流/催发货")
    _rule(
        rule_api,
        name="VIP 催发货加急",
        event="created",
        conditions=[
            {"field": "category_2", "op": "is", "value": "物流"},
            {"field": "tier", "op": "in", "value": "vip,svip"},
            {"field": "text", "op": "contains", "value": "快点"},
        ],
        actions=[TAG_URGENT, {"action": "set_priority", "inputs": {"priority": "urgent"}}],
    )
    vip = {"name": "王女士", "tier": "vip"}
    hit = new_ticket("能快点发货吗", category="售后/物流/催发货", customer=vip)
    miss = new_ticket("能快点发货吗", category="售后/物流/催发货", customer={"name": "李", "tier": "normal"})
    hit, miss = tickets.get(auto_tenant, hit.id), tickets.get(auto_tenant, miss.id)
    assert (hit.tags, hit.priority) == (["加急"], "urgent")
    assert (miss.tags, miss.priority) == ([], "normal")
    runs = TicketEvent.select().where((TicketEvent.ticket == hit.id) & (TicketEvent.kind == "action.run"))
    assert {r.data["source"] for r in runs} == {f"trigger:{rules.Rule.get().id}"}
    assert {r.actor_label for r in runs} == {"plugin:automation:VIP 催发货加急"}
    listed = rule_api.get("/api/v1/automation/rules").get_json()["items"][0]
    assert listed["fired_count"] == 1
    assert listed["last_fired_at"]


def test_customer_and_agent_comments_are_separate_events(auto_tenant, rule_api, new_ticket, make_user):
    _rule(rule_api, event="customer_comment", actions=[TAG_URGENT], conditions=[])
    ticket = new_ticket()
    agent, _ = make_user("agent")
    tickets.comment(auto_tenant, ticket, "您好", Actor.of(agent))
    assert tickets.get(auto_tenant, ticket.id).tags == []
    tickets.comment(auto_tenant, ticket, "还没到", Actor.system("channel:api"), from_customer=True)
    assert tickets.get(auto_tenant, ticket.id).tags == ["加急"]


def _fired(ticket):
    counts: dict[str, int] = {}
    for run in RuleRun.select().where(RuleRun.ticket == ticket.id):
        counts[run.rule.name] = counts.get(run.rule.name, 0) + 1
    return counts


def test_a_trigger_does_not_fire_itself_again_and_chains_stop_at_the_depth_limit(
    auto_tenant, rule_api, new_ticket, enable_plugin
):
    # a tags on `updated` (its own change is an `updated` event again); b notes on `updated`
    _rule(rule_api, name="a", event="updated", position=1, actions=[TAG_URGENT])
    _rule(rule_api, name="b", event="updated", position=2, actions=[{"action": "add_note", "inputs": {"body": "b"}}])
    ticket = new_ticket()
    tickets.update(auto_tenant, ticket, {"priority": "high"}, Actor.system())
    # a fired once (not again for its own tag change); b for the priority change and for a's change
    assert _fired(ticket) == {"a": 1, "b": 2}
    enable_plugin("automation", settings={"max_depth": 1})
    other = new_ticket()
    tickets.update(auto_tenant, other, {"priority": "high"}, Actor.system())
    assert _fired(other) == {"a": 1, "b": 1}  # a's change is one level deeper than allowed


def test_time_of_day_and_date_ranges_use_the_tenants_zone(auto_tenant, rule_api, new_ticket, frozen_clock):
    _rule(
        rule_api,
        name="双11 夜间",
        event="created",
        conditions=[
            {"field": "date", "op": "between", "value": "2026-11-10,2026-11-12"},
            {"field": "time", "op": "between", "value": "22:00,23:59"},
        ],
        actions=[TAG_URGENT],
    )
    clock.freeze(datetime(2026, 11, 11, 14, 30, tzinfo=UTC))  # 22:30 in Shanghai
    assert tickets.get(auto_tenant, new_ticket().id).tags == ["加急"]
    clock.freeze(datetime(2026, 11, 11, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    assert tickets.get(auto_tenant, new_ticket().id).tags == []


def test_an_inactive_rule_and_a_changed_rule_take_effect_at_once(auto_tenant, rule_api, new_ticket):
    rule = _rule(
        rule_api, event="created", conditions=[{"field": "priority", "op": "is", "value": "high"}], actions=[TAG_URGENT]
    )
    assert tickets.get(auto_tenant, new_ticket(priority="high").id).tags == ["加急"]
    patched = rule_api.patch(
        f"/api/v1/automation/rules/{rule['id']}",
        json={"conditions": [{"field": "priority", "op": "is", "value": "low"}]},
    ).get_json()
    assert patched["revision"] == 2
    assert tickets.get(auto_tenant, new_ticket(priority="high").id).tags == []
    assert tickets.get(auto_tenant, new_ticket(priority="low").id).tags == ["加急"]
    rule_api.patch(f"/api/v1/automation/rules/{rule['id']}", json={"active": False})
    assert tickets.get(auto_tenant, new_ticket(priority="low").id).tags == []


def test_dry_run_shows_each_condition_on_a_real_ticket_and_changes_nothing(auto_tenant, rule_api, new_ticket):
    rule = _rule(
        rule_api,
        event="updated",
        conditions=[
            {"field": "priority", "op": "is", "value": "urgent"},
            {"field": "subject", "op": "contains", "value": "物流"},
        ],
        actions=[TAG_URGENT],
    )
    ticket = new_ticket()
    answer = rule_api.post(f"/api/v1/automation/rules/{rule['id']}/dry-run", json={"ticket_id": ticket.id}).get_json()
    assert answer["matches"] is False
    assert [(c["actual"], c["holds"]) for c in answer["conditions"]] == [("normal", False), ("物流太慢了", True)]
    assert answer["actions"] == [{**TAG_URGENT, "available": True}]
    assert tickets.get(auto_tenant, ticket.id).tags == []
    assert RuleRun.select().count() == 0


def test_bad_rules_are_422_per_field(auto_tenant, rule_api):
    response = rule_api.post(
        "/api/v1/automation/rules",
        json={
            "kind": "trigger",
            "name": "坏",
            "event": "created",
            "conditions": [{"field": "nope", "op": "is", "value": 1}, {"field": "priority", "op": "like", "value": 1}],
            "actions": [{"action": "set_priority", "inputs": {"priority": "asap"}}, {"action": "fly"}],
        },
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {
        "conditions.0.field",
        "conditions.1.op",
        "actions.0.inputs.priority",
        "actions.1.action",
    }
    assert rule_api.post("/api/v1/automation/rules", json={"kind": "x", "name": "y"}).status_code == 422


def test_rules_need_the_admin_role_and_the_plugin(auto_tenant, make_user, tenant):
    _, agent = make_user("agent")
    assert agent.get("/api/v1/automation/rules").status_code == 403
    assert agent.post("/api/v1/automation/rules", json={"kind": "trigger", "name": "x"}).status_code == 403


def test_business_hours_and_any_follow_the_tenants_settings(auto_tenant, rule_api, new_ticket, frozen_clock):
    _rule(
        rule_api,
        event="created",
        match="any",
        conditions=[
            {"field": "business_hours", "op": "is_false"},
            {"field": "priority", "op": "is", "value": "urgent"},
        ],
        actions=[TAG_URGENT],
    )
    clock.freeze(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))  # Monday 10:00 in Shanghai: open
    assert tickets.get(auto_tenant, new_ticket().id).tags == []
    assert tickets.get(auto_tenant, new_ticket(priority="urgent").id).tags == ["加急"]
    clock.freeze(datetime(2026, 11, 1, 2, 0, tzinfo=UTC))  # Sunday: closed
    assert tickets.get(auto_tenant, new_ticket().id).tags == ["加急"]


def test_the_automation_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/automation/rules",
        "/api/v1/automation/rules/{rule_id}/dry-run",
        "/api/v1/automation/macros/{macro_id}/apply",
        "/api/v1/automation/approvals/{approval_id}/approve",
        "/api/v1/automation/webhooks/deliveries/{delivery_id}/replay",
        "/api/v1/automation/results",
    ):
        assert path in paths, path
    assert paths["/api/v1/automation/rules"]["post"]["x-gongdan-plugin"] == "automation"


def test_a_trigger_on_linked_acts_on_the_parent(auto_tenant, rule_api, new_ticket):
    _rule(rule_api, name="跟进单开出后加标签", event="linked", actions=[TAG_URGENT])
    parent = new_ticket("退货后要换新")
    child = tickets.link(auto_tenant, parent, {"subject": "寄出新品"}, Actor.system())
    assert tickets.get(auto_tenant, parent.id).tags == ["加急"]
    assert tickets.get(auto_tenant, child.id).tags == []


def test_the_timeline_names_the_plugin_and_the_rule_not_a_code(app, auto_tenant, rule_api, new_ticket):
    from gongdan.admin.timeline import actor_name

    _rule(rule_api, name="大促期间加急", event="created", actions=[TAG_URGENT])
    ticket = new_ticket("双11 订单还没发货")
    run = TicketEvent.get((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "action.run"))
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert actor_name(run) == "自动化 · 大促期间加急"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert actor_name(run) == "Automation · 大促期间加急"


def test_200_triggers_read_nothing_from_the_database_per_event(auto_tenant, rule_api, new_ticket):
    """Once compiled, evaluating an event over 200 triggers filed by category and team costs no
    query for a ticket as the hooks get it (relations not loaded); a new category is still seen."""
    from gongdan_automation import engine

    from gongdan.db import db
    from gongdan.models import Team, Ticket

    Team.create(tenant=auto_tenant, name="售后组")
    for i in range(200):
        conditions = [{"field": "category_2", "op": "is", "value": f"场景{i % 20}"}]
        if i % 2:
            conditions.append({"field": "team", "op": "is", "value": "售后组"})
        rules.create(auto_tenant, "trigger", {"name": f"r{i}", "event": "updated", "conditions": conditions})
    categories.ensure(auto_tenant, "售后/场景3/问题")
    ticket = new_ticket("物流", category="售后/场景3/问题", team="售后组")
    engine.matching(auto_tenant, Ticket(**ticket.__data__), "updated")  # compiles, reads the names once
    statements: list[str] = []
    original = db.obj.execute_sql

    def counting(sql, *args, **kwargs):
        statements.append(sql)
        return original(sql, *args, **kwargs)

    db.obj.execute_sql = counting
    try:
        found = [engine.matching(auto_tenant, Ticket(**ticket.__data__), "updated") for _ in range(50)]
    finally:
        del db.obj.execute_sql
    assert statements == []
    assert [r.name for r in found[0]] == ["r3", "r23", "r43", "r63", "r83", "r103", "r123", "r143", "r163", "r183"]
    categories.ensure(auto_tenant, "售后/场景4/问题")  # a category the process has not seen yet
    fresh = new_ticket("新分类", category="售后/场景4/问题")
    assert [r.name for r in engine.matching(auto_tenant, Ticket(**fresh.__data__), "updated")][:2] == ["r4", "r24"]
