"""`GET/PUT /api/v1/assignment/rules`: validation, permissions, and how rules match tickets."""


def test_default_rules_and_round_trip(sup_api, agent):
    assert sup_api.get("/api/v1/assignment/rules").get_json()["rules"] == []
    agent(team="资深组")
    body = {
        "rules": [{"when": {"customer_tier": "vip"}, "strategy": "least_loaded", "team": "资深组", "min_level": 3}],
        "default": {"strategy": "least_loaded"},
    }
    answer = sup_api.put("/api/v1/assignment/rules", json=body)
    assert answer.status_code == 200
    stored = sup_api.get("/api/v1/assignment/rules").get_json()
    assert stored["rules"][0]["when"] == {"customer_tier": "vip"}
    assert stored["rules"][0]["team"] == "资深组"
    assert stored["rules"][0]["min_level"] == 3
    assert stored["default"]["strategy"] == "least_loaded"


INVALID = [
    ({"rules": [{"when": {"channel": "api"}, "strategy": "nope"}]}, "rules.0.strategy"),
    ({"rules": [{"when": {"channel": "api"}, "strategy": "skills", "team": "无此组"}]}, "rules.0.team"),
    ({"rules": [{"when": {"priority": "asap"}, "strategy": "skills"}]}, "rules.0.when.priority"),
    ({"rules": [{"when": {"colour": "red"}, "strategy": "skills"}]}, "rules.0.when.colour"),
    ({"rules": [{"when": {}, "strategy": "skills"}]}, "rules"),
    ({"rules": [{"when": {"tags": []}, "strategy": "skills"}]}, "rules.0.when.tags"),
    ({"rules": [{"when": {"channel": "api"}, "strategy": "skills", "min_level": 6}]}, "rules.0.min_level"),
    ({"rules": [], "default": {"strategy": "weighted", "team": 3}}, "default.team"),
    ({"default": {"strategy": "weighted"}}, "rules"),
]


def test_invalid_rules_are_422_with_fields(sup_api):
    for body, field in INVALID:
        answer = sup_api.put("/api/v1/assignment/rules", json=body)
        assert answer.status_code == 422, body
        error = answer.get_json()["error"]
        assert error["code"] == "validation_error"
        assert field in error["fields"], (body, error["fields"])
    assert sup_api.get("/api/v1/assignment/rules").get_json()["rules"] == []


def test_rules_need_a_supervisor_and_the_plugin(sup_api, quick_user, other_tenant):
    _, agent_api = quick_user("agent")
    assert agent_api.get("/api/v1/assignment/rules").status_code == 403
    assert agent_api.put("/api/v1/assignment/rules", json={"rules": []}).status_code == 403
    _, outsider = quick_user("supervisor", in_tenant=other_tenant)
    assert outsider.get("/api/v1/assignment/rules").status_code == 404  # not enabled there


def test_first_matching_rule_wins_and_all_keys_must_match(agent, new_ticket, look, set_rules):
    refunds = agent(team="售后组")
    urgent = agent(team="加急组")
    tagged = agent(team="物流组")
    everyone = agent(team="其他")
    set_rules(
        [
            {"when": {"category": "售后/退货退款", "priority": "urgent"}, "strategy": "least_loaded", "team": "加急组"},
            {"when": {"category": "售后/退货退款"}, "strategy": "least_loaded", "team": "售后组"},
            {"when": {"tags": ["物流", "快递"], "channel": "email"}, "strategy": "least_loaded", "team": "物流组"},
        ],
        {"strategy": "least_loaded", "team": "其他"},
    )
    assert look.holder(new_ticket(category="售后/退货退款/质量问题", priority="urgent")) == urgent.id
    assert look.holder(new_ticket(category="售后/退货退款")) == refunds.id
    # a prefix matches whole segments only
    assert look.holder(new_ticket(category="售后/退货退款说明")) == everyone.id
    assert look.holder(new_ticket(tags=["快递"], channel="email")) == tagged.id
    assert look.holder(new_ticket(tags=["快递"], channel="api")) == everyone.id
    ticket = new_ticket(category="售后/退货退款", priority="urgent")
    assert look.events(ticket, "assigned")[0]["reason"].endswith("(rule 1)")


def test_rule_changes_apply_without_restart(agent, new_ticket, look, set_rules):
    a = agent(team="A组")
    b = agent(team="B组")
    set_rules([], {"strategy": "least_loaded", "team": "A组"})
    assert look.holder(new_ticket()) == a.id
    set_rules([], {"strategy": "least_loaded", "team": "B组"})
    assert look.holder(new_ticket()) == b.id


def test_routes_are_in_the_openapi_document(client, assignment):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/assignment/rules", "/api/v1/assignment/queue"):
        assert path in paths
    assert any(p.startswith("/api/v1/agents/") and p.endswith("/availability") for p in paths)
    assert any(p.startswith("/api/v1/agents/") and p.endswith("/skills") for p in paths)
