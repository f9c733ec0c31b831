"""The REST routes: policies and calendars with validation, the report, roles, isolation."""

from __future__ import annotations

from typing import Any

import pytest
from gongdan_sla.sweep import sweep_tenant

from gongdan import tickets
from gongdan.actors import Actor

WEEK = {str(d): [["09:00", "12:00"], ["13:30", "18:00"]] for d in range(5)}
POLICY = {"name": "Standard", "first_response": 60, "resolution": 480}


@pytest.fixture
def sla_admin(enable_plugin: Any, admin_api: Any, frozen_clock: Any) -> Any:
    """An admin's API client in a tenant with the plugin on."""
    enable_plugin("sla")
    return admin_api


def test_calendars_round_trip_and_state_the_holiday_years(sla_admin: Any) -> None:
    special = {"2026-11-13": [["10:00", "16:00"]]}
    body = {
        "items": [
            {"name": "default", "weekly": WEEK, "closed": ["2026-11-11"], "open": ["2026-11-14"], "special": special}
        ]
    }
    saved = sla_admin.put("/api/v1/sla/calendars", json=body)
    assert saved.status_code == 200, saved.get_json()
    answer = sla_admin.get("/api/v1/sla/calendars").get_json()
    assert answer["items"] == [
        {
            "name": "default",
            "tz": "Asia/Shanghai",
            "weekly": WEEK,
            "region": "CN",
            "closed": ["2026-11-11"],
            "open": ["2026-11-14"],
            "special": special,
        }
    ]
    first, last = answer["holiday_data"]["years"]
    assert first <= 2026 <= last
    assert answer["holiday_data"]["sources"] == ["holidays", "chinesecalendar"]


BAD_CALENDARS = (
    ({"weekly": {"0": [["09:00", "12:00"], ["11:30", "13:00"]]}}, "items.0.weekly.0"),
    ({"weekly": {"0": [["18:00", "09:00"]]}}, "items.0.weekly.0"),
    ({"weekly": WEEK, "tz": "Mars/Base"}, "items.0.tz"),
    ({"weekly": WEEK, "region": "XX"}, "items.0.region"),
    ({"weekly": WEEK, "closed": ["not a date"]}, "items.0.closed.0"),
    ({"weekly": WEEK, "colour": "red"}, "items.0.colour"),
)


def test_bad_calendars_are_422_with_the_field(sla_admin: Any) -> None:
    for item, field in BAD_CALENDARS:
        answer = sla_admin.put("/api/v1/sla/calendars", json={"items": [{"name": "default", **item}]})
        assert answer.status_code == 422, (item, answer.get_json())
        assert field in answer.get_json()["error"]["fields"], (item, answer.get_json())


def test_policies_round_trip_in_order(sla_admin: Any) -> None:
    body = {
        "items": [
            {
                "name": "VIP",
                "conditions": {"tier": ["vip"], "category": "售后"},
                "first_response": 15,
                "next_response": 30,
                "resolution": 240,
                "warning_percent": 75,
                "escalations": [
                    {"after": 0, "actions": ["notify_supervisor"]},
                    {"after": 60, "actions": ["raise_priority", "reassign", "notify_admin"]},
                ],
            },
            POLICY,
        ]
    }
    assert sla_admin.put("/api/v1/sla/policies", json=body).status_code == 200
    items = sla_admin.get("/api/v1/sla/policies").get_json()["items"]
    assert [(p["position"], p["name"]) for p in items] == [(1, "VIP"), (2, "Standard")]
    assert items[0]["escalations"][1]["actions"] == ["raise_priority", "reassign", "notify_admin"]
    assert items[1]["warning_percent"] == 80
    assert items[1]["calendar"] == "default"
    reordered = sla_admin.put("/api/v1/sla/policies", json={"items": [POLICY, body["items"][0]]}).get_json()["items"]
    assert [p["name"] for p in reordered] == ["Standard", "VIP"]
    assert reordered[1]["id"] == items[0]["id"]  # edited in place, not recreated


BAD_POLICIES = (
    ({"name": "x", "first_response": 0}, "items.0.first_response"),
    ({"name": "x", "resolution": -5}, "items.0.resolution"),
    ({"name": "x"}, "items.0.first_response"),
    ({"name": "x", "first_response": 60, "speed": "fast"}, "items.0.speed"),
    ({"name": "x", "first_response": 60, "conditions": {"weather": "sunny"}}, "items.0.conditions.weather"),
    ({"name": "x", "first_response": 60, "conditions": {"priority": ["asap"]}}, "items.0.conditions.priority.0"),
    ({"name": "x", "first_response": 60, "warning_percent": 100}, "items.0.warning_percent"),
    (
        {"name": "x", "first_response": 60, "escalations": [{"after": 5, "actions": ["pray"]}]},
        "items.0.escalations.0.actions.0",
    ),
    ({"name": "x", "first_response": 60, "calendar": "night shift"}, "items.0.calendar"),
)


def test_bad_policies_are_422_with_the_field(sla_admin: Any) -> None:
    for policy, field in BAD_POLICIES:
        answer = sla_admin.put("/api/v1/sla/policies", json={"items": [policy]})
        assert answer.status_code == 422, (policy, answer.get_json())
        assert field in answer.get_json()["error"]["fields"], (policy, answer.get_json())


def test_duplicate_policy_names_are_422(sla_admin: Any) -> None:
    answer = sla_admin.put("/api/v1/sla/policies", json={"items": [POLICY, POLICY]})
    assert answer.status_code == 422


def test_roles_disabled_plugin_and_isolation(
    enable_plugin: Any, make_user: Any, other_tenant: Any, frozen_clock: Any
) -> None:
    _, admin_api = make_user("admin")
    assert admin_api.get("/api/v1/sla/policies").status_code == 404  # plugin not enabled here
    enable_plugin("sla")
    _, agent_api = make_user("agent")
    assert agent_api.get("/api/v1/sla/policies").status_code == 200
    assert agent_api.put("/api/v1/sla/policies", json={"items": [POLICY]}).status_code == 403
    assert agent_api.get("/api/v1/sla/report").status_code == 403
    assert admin_api.put("/api/v1/sla/policies", json={"items": [POLICY]}).status_code == 200
    enable_plugin("sla", in_tenant=other_tenant)
    _, stranger = make_user("admin", in_tenant=other_tenant)
    assert stranger.get("/api/v1/sla/policies").get_json()["items"] == []
    assert admin_api.get("/api/v1/sla/policies").get_json()["items"][0]["name"] == "Standard"
    assert "/api/v1/sla/policies" in admin_api.get("/api/v1/openapi.json").get_json()["paths"]


def test_report_gives_attainment_per_policy_team_and_agent(
    sla_admin: Any, tenant: Any, make_user: Any, frozen_clock: Any, look: Any
) -> None:
    sla_admin.put("/api/v1/sla/calendars", json={"items": [{"name": "default", "weekly": WEEK}]})
    sla_admin.put("/api/v1/sla/policies", json={"items": [POLICY]})
    agent, _ = make_user("agent", name="小李")
    actor = Actor.of(agent)
    made = [tickets.create(tenant, {"subject": f"t{n}"}, actor)[0] for n in range(3)]
    for ticket in made:
        tickets.assign(tenant, ticket, agent.id, actor)
    tickets.comment(tenant, made[0], "在的", actor)  # first response in time
    frozen_clock.set(look.sh(2026, 11, 2, 11, 30))
    tickets.comment(tenant, made[1], "抱歉久等", actor)  # late
    sweep_tenant(tenant)  # made[2] is overdue and still open
    report = sla_admin.get("/api/v1/sla/report?from=2026-11-01T00:00:00%2B08:00&to=2026-11-03").get_json()
    assert report["total"]["tickets"] == 3
    assert report["total"]["first_response"] == {"met": 1, "breached": 2, "open": 0, "attainment": 0.3333}
    assert report["total"]["resolution"]["open"] == 3
    assert report["by_policy"][0]["name"] == "Standard"
    assert report["by_agent"][0]["name"] == agent.email
    assert report["by_agent"][0]["tickets"] == 3
    assert report["by_team"][0]["name"] == "(none)"
    empty = sla_admin.get("/api/v1/sla/report?from=2026-12-01&to=2026-12-02").get_json()
    assert empty["total"]["tickets"] == 0
    assert sla_admin.get("/api/v1/sla/report?from=2026-12-02&to=2026-12-01").status_code == 422
    assert sla_admin.get("/api/v1/sla/report?from=yesterday").status_code == 422


def test_report_does_not_count_unanswered_targets_as_met(sla_admin: Any, tenant: Any, frozen_clock: Any) -> None:
    """Issue 16 bug 2: the report once counted a first response 'met' on tickets closed without one."""
    sla_admin.put("/api/v1/sla/calendars", json={"items": [{"name": "default", "weekly": WEEK}]})
    sla_admin.put("/api/v1/sla/policies", json={"items": [POLICY]})
    actor = Actor.system("agent")
    closed = tickets.create(tenant, {"subject": "只有备注"}, actor)[0]
    tickets.comment(tenant, closed, "内部备注", actor, internal=True)
    tickets.transition(tenant, closed, "resolved", actor)
    report = sla_admin.get("/api/v1/sla/report?from=2026-11-01T00:00:00%2B08:00&to=2026-11-03").get_json()
    assert report["total"]["first_response"] == {"met": 0, "breached": 0, "open": 0, "attainment": None}
    assert report["total"]["resolution"]["met"] == 1
