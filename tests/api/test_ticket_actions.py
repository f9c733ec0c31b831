"""Ticket actions through the API: listing, running, 422 per field, 403 by permission, 409
when unavailable, a plugin's own action (secret inputs masked), and the `action.run` events."""

from __future__ import annotations

from marshmallow import Schema, fields

from gongdan import actions, categories, tickets
from gongdan.actors import Actor
from gongdan.contributions import ActionHeld, TicketAction
from gongdan.hookspecs import hookimpl
from gongdan.models import Comment, PluginFailure, TicketEvent
from gongdan.schemas import Secret

CORE = {
    "set_status",
    "set_priority",
    "set_team",
    "set_assignee",
    "set_category",
    "set_tags",
    "add_note",
    "send_reply",
    "link_followup",
}


def _ticket(tenant, **extra):
    return tickets.create(tenant, {"subject": "动作", **extra}, Actor.system())[0]


def _runs(ticket):
    return [
        e.data
        for e in TicketEvent.select().where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "action.run"))
    ]


def test_the_core_actions_are_listed_with_their_inputs(tenant, agent_api):
    ticket = _ticket(tenant)
    items = agent_api.get(f"/api/v1/tickets/{ticket.id}/actions").get_json()["items"]
    assert {a["name"] for a in items} == CORE
    status = next(a for a in items if a["name"] == "set_status")
    assert (status["label_zh"], status["label_en"]) == ("设置状态", "Set status")
    field = status["inputs"][0]
    assert (field["name"], field["kind"], field["required"]) == ("status", "string", True)
    assert ["resolved", "resolved"] in field["choices"]


def test_each_core_action_changes_the_ticket_through_the_service(tenant, make_user, agent_api):
    categories.ensure(tenant, "售后/物流/催发货")
    supervisor, api = make_user("supervisor")
    ticket = _ticket(tenant)
    url = f"/api/v1/tickets/{ticket.id}/actions"
    for name, inputs in (
        ("set_priority", {"priority": "urgent"}),
        ("set_category", {"category": "售后/物流/催发货"}),
        ("set_tags", {"tags": ["物流"], "mode": "add"}),
        ("set_assignee", {"assignee_id": supervisor.id}),
        ("add_note", {"body": "内部备注"}),
        ("send_reply", {"body": "您好，已为您催促发货"}),
        ("set_status", {"status": "resolved"}),
    ):
        response = api.post(f"{url}/{name}", json=inputs)
        assert response.status_code == 200, (name, response.get_json())
        assert response.get_json()["outcome"] == "ok"
    ticket = tickets.get(tenant, ticket.id)
    assert (ticket.priority, ticket.category.path, ticket.tags) == ("urgent", "售后/物流/催发货", ["物流"])
    assert (ticket.assignee_id, ticket.status) == (supervisor.id, "resolved")
    bodies = {(c.body, c.internal) for c in Comment.select().where(Comment.ticket == ticket)}
    assert bodies == {("内部备注", True), ("您好，已为您催促发货", False)}
    followup = api.post(f"{url}/link_followup", json={"subject": "补发"}).get_json()["result"]
    assert tickets.get(tenant, followup["ticket_id"]).parent_id == ticket.id
    runs = _runs(ticket)
    assert [r["action"] for r in runs][:2] == ["set_priority", "set_category"]
    assert runs[0] == {
        "action": "set_priority",
        "inputs": {"priority": "urgent"},
        "source": "api",
        "outcome": "ok",
        "result": {"priority": "urgent"},
    }
    actors = {e.actor_id for e in TicketEvent.select().where(TicketEvent.kind == "action.run")}
    assert actors == {supervisor.id}


def test_bad_inputs_are_422_per_field_and_not_run(tenant, agent_api):
    ticket = _ticket(tenant)
    response = agent_api.post(f"/api/v1/tickets/{ticket.id}/actions/set_priority", json={"priority": "asap"})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["priority"]
    missing = agent_api.post(f"/api/v1/tickets/{ticket.id}/actions/add_note", json={})
    assert missing.get_json()["error"]["fields"] == {"body": ["Missing data for required field."]}
    assert agent_api.post(f"/api/v1/tickets/{ticket.id}/actions/no_such", json={}).status_code == 404
    assert tickets.get(tenant, ticket.id).priority == "normal"
    assert _runs(ticket) == []


def test_permission_is_403_and_recorded(tenant, make_user, agent_api):
    colleague, _ = make_user("agent")
    ticket = _ticket(tenant)
    tickets.assign(tenant, ticket, colleague.id, Actor.system())
    response = agent_api.post(f"/api/v1/tickets/{ticket.id}/actions/set_assignee", json={"assignee_id": None})
    assert response.status_code == 403
    assert tickets.get(tenant, ticket.id).assignee_id == colleague.id
    assert [r["outcome"] for r in _runs(ticket)] == ["forbidden"]
    names = {a["name"] for a in agent_api.get(f"/api/v1/tickets/{ticket.id}/actions").get_json()["items"]}
    assert "set_assignee" not in names


def test_an_unavailable_action_is_409(tenant, agent_api):
    ticket = _ticket(tenant)
    tickets.transition(tenant, ticket, "resolved", Actor.system())
    tickets.transition(tenant, ticket, "closed", Actor.system())
    response = agent_api.post(f"/api/v1/tickets/{ticket.id}/actions/add_note", json={"body": "晚了"})
    assert response.status_code == 409
    assert [r["outcome"] for r in _runs(ticket)] == ["unavailable"]
    names = {a["name"] for a in agent_api.get(f"/api/v1/tickets/{ticket.id}/actions").get_json()["items"]}
    assert names == {"link_followup"}


class TokenInputs(Schema):
    code = fields.String(required=True)
    token = Secret()


class Stamper:
    """A plugin with one supervisor action whose token input must never be recorded."""

    @hookimpl
    def gongdan_ticket_actions(self):
        def run(tenant, ticket, inputs, actor):
            tickets.update(tenant, ticket, {"tags": [*ticket.tags, inputs["code"]]}, actor)
            return {"stamped": inputs["code"]}

        return [
            TicketAction(
                "stamper.stamp",
                "盖章",
                "Stamp",
                TokenInputs,
                run,
                available=lambda tenant, ticket, user: ticket.priority != "low",
                permission="supervisor",
                needs_confirmation=True,
            )
        ]


def test_a_plugins_action_masks_secrets_and_follows_enablement(tenant, make_user, register_plugin, enable_plugin):
    register_plugin(Stamper(), "stamper", everywhere=False)
    _, supervisor = make_user("supervisor")
    _, agent = make_user("agent")
    ticket = _ticket(tenant)
    url = f"/api/v1/tickets/{ticket.id}/actions/stamper.stamp"
    assert supervisor.post(url, json={"code": "A1", "token": "s3cret"}).status_code == 404  # not enabled
    enable_plugin("stamper")
    listed = {a["name"]: a for a in supervisor.get(f"/api/v1/tickets/{ticket.id}/actions").get_json()["items"]}
    assert listed["stamper.stamp"]["needs_confirmation"] is True
    assert agent.post(url, json={"code": "A1", "token": "s3cret"}).status_code == 403
    assert supervisor.post(url, json={"code": "A1", "token": "s3cret"}).get_json()["result"] == {"stamped": "A1"}
    assert tickets.get(tenant, ticket.id).tags == ["A1"]
    tickets.update(tenant, ticket, {"priority": "low"}, Actor.system())
    assert supervisor.post(url, json={"code": "A2", "token": "x"}).status_code == 409
    runs = _runs(ticket)
    assert [r["outcome"] for r in runs] == ["forbidden", "ok", "unavailable"]
    assert {r["inputs"]["token"] for r in runs} == {"***"}
    stored = "".join(str(e.data) for e in TicketEvent.select())
    assert "s3cret" not in stored


def test_openapi_documents_the_action_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/tickets/{ticket_id}/actions"]
    run = paths["/api/v1/tickets/{ticket_id}/actions/{name}"]["post"]
    assert {"403", "409", "422", "502"} <= set(run["responses"])


class Holder:
    """Holds every priority change to urgent for approval."""

    @hookimpl
    def gongdan_action_gate(self, action, inputs):
        if action.name == "set_priority" and inputs["priority"] == "urgent":
            return ActionHeld("urgent needs a supervisor", {"approval_id": 7})
        return None


def test_a_gate_holds_an_action_which_an_approved_run_passes(tenant, agent_api, register_plugin):
    register_plugin(Holder(), "holder")
    ticket = _ticket(tenant)
    url = f"/api/v1/tickets/{ticket.id}/actions/set_priority"
    held = agent_api.post(url, json={"priority": "urgent"})
    assert held.status_code == 202
    assert held.get_json() == {
        "action": "set_priority",
        "outcome": "held",
        "reason": "urgent needs a supervisor",
        "result": {"approval_id": 7},
    }
    assert tickets.get(tenant, ticket.id).priority == "normal"
    assert agent_api.post(url, json={"priority": "high"}).status_code == 200
    actions.run(tenant, ticket, "set_priority", {"priority": "urgent"}, Actor.system(), source="approval:7", gate=False)
    assert tickets.get(tenant, ticket.id).priority == "urgent"
    assert [(r["outcome"], r["source"]) for r in _runs(ticket)] == [
        ("held", "api"),
        ("ok", "api"),
        ("ok", "approval:7"),
    ]


class Breaker:
    """A plugin whose action has a bug: it raises something no service raises on purpose."""

    @hookimpl
    def gongdan_ticket_actions(self):
        def run(tenant, ticket, inputs, actor):
            raise KeyError("shop_id")

        return [TicketAction("breaker.go", "出错", "Break", Schema, run)]


def test_an_action_that_crashes_is_a_502_recorded_as_the_plugins_failure(tenant, agent_api, register_plugin):
    register_plugin(Breaker(), "breaker")
    ticket = _ticket(tenant)
    url = f"/api/v1/tickets/{ticket.id}/actions/breaker.go"
    answer = agent_api.post(url, json={}, headers={"Accept-Language": "zh-CN"})
    assert answer.status_code == 502
    error = answer.get_json()["error"]
    assert error["code"] == "plugin_failed"
    assert "插件" in error["message"]
    assert "shop_id" not in error["message"]
    assert [r["outcome"] for r in _runs(ticket)] == ["failed"]
    failure = PluginFailure.get(PluginFailure.plugin == "breaker")
    assert failure.hook == "action breaker.go"
    assert "KeyError" in failure.error
    assert (
        agent_api.post(f"/api/v1/tickets/{ticket.id}/actions/set_priority", json={"priority": "high"}).status_code
        == 200
    )
