"""Categories, users and plugins routes."""

from __future__ import annotations

import pytest
from marshmallow import Schema, fields, validate

from gongdan import accounts
from gongdan.hookspecs import hookimpl
from gongdan.models import Team


def test_category_tree_and_create(admin_api, agent_api, expect_error):
    created = admin_api.post("/api/v1/categories", json={"path": "售后/退货退款/质量问题"})
    assert created.status_code == 201
    leaf = created.get_json()
    assert (leaf["name"], leaf["path"], leaf["depth"]) == ("质量问题", "售后/退货退款/质量问题", 3)
    again = admin_api.post("/api/v1/categories", json={"path": "售后/退货退款/质量问题"})
    assert again.status_code == 200
    assert again.get_json()["id"] == leaf["id"]
    admin_api.post("/api/v1/categories", json={"path": "售后/物流"})
    tree = agent_api.get("/api/v1/categories").get_json()["items"]
    assert [n["name"] for n in tree] == ["售后"]
    scenes = tree[0]["children"]
    assert [s["path"] for s in scenes] == ["售后/物流", "售后/退货退款"]
    assert scenes[1]["children"][0]["id"] == leaf["id"]
    for bad in ("", "a//b", "a/b/c/d", "x" * 101):
        error = expect_error(admin_api.post("/api/v1/categories", json={"path": bad}), 422, "validation_error")
        assert "path" in error["fields"]
    expect_error(admin_api.post("/api/v1/categories", json={}), 422, "validation_error")


def test_users_list_and_role_filter(tenant, other_tenant, make_user, expect_error):
    team = Team.create(tenant=tenant, name="售后组")
    supervisor, api = make_user("supervisor")
    agent, _ = make_user("agent")
    agent.team = team
    agent.save()
    accounts.create_user(other_tenant, "stranger@globex.example.com", "agent")
    body = api.get("/api/v1/users").get_json()
    assert body["total"] == 2
    assert {u["email"] for u in body["items"]} == {supervisor.email, agent.email}
    agents = api.get("/api/v1/users?role=agent").get_json()["items"]
    assert [(u["id"], u["role"], u["team"]) for u in agents] == [(agent.id, "agent", {"id": team.id, "name": "售后组"})]
    paged = api.get("/api/v1/users?per_page=1&page=2").get_json()
    assert (paged["total"], len(paged["items"])) == (2, 1)
    expect_error(api.get("/api/v1/users?role=king"), 422, "validation_error")


class WidgetSettings(Schema):
    colour = fields.String(load_default="red", validate=validate.OneOf(["red", "blue"]))
    size = fields.Integer(load_default=3, validate=validate.Range(min=1, max=9))


class WidgetPlugin:
    @hookimpl
    def gongdan_settings_schema(self):
        return WidgetSettings


@pytest.fixture
def widget(register_plugin):
    from gongdan.plugins import get_host

    host = get_host()
    register_plugin(WidgetPlugin(), "widget")
    host.always_on.discard("widget")  # toggled per tenant like a real plugin
    return host


def test_plugins_list_and_toggle(widget, tenant, other_tenant, make_user, expect_error):
    _, admin = make_user("admin")
    _, agent = make_user("agent")
    _, foreign_admin = make_user("admin", in_tenant=other_tenant)
    listed = {p["name"]: p for p in agent.get("/api/v1/plugins").get_json()}
    assert listed["widget"]["enabled"] is False
    assert listed["widget"]["status"] == "loaded"
    assert listed["widget"]["has_settings"] is True
    assert "settings" not in listed["widget"]  # agents do not see settings
    put = admin.put("/api/v1/plugins/widget", json={"enabled": True, "settings": {"colour": "blue"}})
    assert put.status_code == 200
    assert put.get_json()["enabled"] is True
    assert put.get_json()["settings"] == {"colour": "blue", "size": 3}
    assert widget.is_enabled(tenant, "widget")
    assert {p["name"]: p for p in admin.get("/api/v1/plugins").get_json()}["widget"]["settings"]["colour"] == "blue"
    others = {p["name"]: p for p in foreign_admin.get("/api/v1/plugins").get_json()}
    assert others["widget"]["enabled"] is False  # per tenant
    bad = admin.put("/api/v1/plugins/widget", json={"settings": {"colour": "green", "size": 0}})
    error = expect_error(bad, 422, "validation_error")
    assert {"settings.colour", "settings.size"} <= set(error["fields"])
    expect_error(admin.put("/api/v1/plugins/widget", json={}), 422, "validation_error")
    expect_error(admin.put("/api/v1/plugins/widget", json={"enabled": "maybe"}), 422, "validation_error")
    expect_error(admin.put("/api/v1/plugins/nope", json={"enabled": True}), 404, "not_found")
    off = admin.put("/api/v1/plugins/widget", json={"enabled": False}).get_json()
    assert off["enabled"] is False
    assert not widget.is_enabled(tenant, "widget")
