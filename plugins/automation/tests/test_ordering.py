"""Ordering rules and macros: the whole order (drag and drop, API) or one step (up/down buttons);
the new order is the order rules run in and macros are offered in."""

from __future__ import annotations

import pytest
from gongdan_automation import macros
from gongdan_automation.models import Macro, Rule

from gongdan.models import Comment


def _trigger(api, name, note):
    body = {
        "kind": "trigger",
        "name": name,
        "event": "created",
        "actions": [{"action": "add_note", "inputs": {"body": note}}],
    }
    answer = api.post("/api/v1/automation/rules", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _notes(ticket):
    return [c.body for c in Comment.select().where(Comment.ticket == ticket.id).order_by(Comment.id)]


@pytest.fixture
def three(auto_tenant, rule_api):
    """Three triggers on `created`, each adding a note: 一, 二, 三 (in that order)."""
    return [_trigger(rule_api, f"规则{n}", n) for n in "一二三"]


def test_the_new_order_is_the_order_rules_run_in(auto_tenant, rule_api, three, new_ticket):
    assert _notes(new_ticket()) == ["一", "二", "三"]
    wanted = [three[2], three[0], three[1]]
    answer = rule_api.put("/api/v1/automation/rules/order", json={"kind": "trigger", "ids": wanted})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["items"] == [{"id": i, "position": 10 * (n + 1)} for n, i in enumerate(wanted)]
    assert _notes(new_ticket()) == ["三", "一", "二"]


def test_a_stale_or_bad_order_is_refused_with_the_reason(auto_tenant, rule_api, three, make_user):
    url = "/api/v1/automation/rules/order"
    missing = rule_api.put(url, json={"kind": "trigger", "ids": three[:2]})
    assert missing.status_code == 409
    assert "reload" in missing.get_json()["error"]["message"]
    twice = rule_api.put(url, json={"kind": "trigger", "ids": [three[0], three[0], three[1]]})
    assert twice.status_code == 422
    assert "ids" in twice.get_json()["error"]["fields"]
    wrong_kind = rule_api.put(url, json={"kind": "time", "ids": three})
    assert wrong_kind.status_code == 409
    assert rule_api.put(url, json={"kind": "nope", "ids": three}).status_code == 422
    assert make_user("supervisor")[1].put(url, json={"kind": "trigger", "ids": three}).status_code == 403
    assert [r.position for r in Rule.select().order_by(Rule.id)] == [100, 100, 100]


def test_up_and_down_buttons_work_without_script(auto_tenant, three, console_client, new_ticket):
    console = console_client("admin")
    moved = console.post(f"/console/automation/rules/{three[2]}/move", {"direction": "up"})
    assert moved.status_code == 302
    assert moved.headers["Location"].endswith(f"#rule-{three[2]}")
    console.post(f"/console/automation/rules/{three[2]}/move", {"direction": "up"})
    console.post(f"/console/automation/rules/{three[2]}/move", {"direction": "up"})  # at the top: stays
    assert _notes(new_ticket()) == ["三", "一", "二"]
    bad = console.post(f"/console/automation/rules/{three[0]}/move", {"direction": "sideways"})
    assert bad.status_code == 302  # flashed "Not done", nothing moved
    assert _notes(new_ticket()) == ["三", "一", "二"]
    page = console.text("/console/automation/rules/")
    assert 'draggable="true"' in page
    assert "order.js" in page
    assert console.client.get("/console/automation/rules/_static/order.js").status_code == 200
    assert (
        console_client("supervisor")
        .post(f"/console/automation/rules/{three[0]}/move", {"direction": "down"})
        .status_code
        == 403
    )


def test_the_page_script_gets_json(auto_tenant, three, console_client):
    console = console_client("admin")
    ids = ",".join(str(i) for i in reversed(three))
    answer = console.client.post(
        "/console/automation/rules/order/trigger",
        data={"csrf_token": console.token, "ids": ids},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200
    assert answer.get_json()["positions"] == {str(three[2]): 10, str(three[1]): 20, str(three[0]): 30}
    stale = console.client.post(
        "/console/automation/rules/order/trigger",
        data={"csrf_token": console.token, "ids": str(three[0])},
        headers={"Accept": "application/json"},
    )
    assert stale.status_code == 409
    assert "reload" in stale.get_json()["error"]


def test_macros_are_offered_in_their_order(auto_tenant, make_user, console_client):
    lead, api = make_user("supervisor")
    ids = []
    for name in ("A 退款", "B 物流", "C 发票"):
        answer = api.post("/api/v1/automation/macros", json={"name": name, "body_zh": name, "shared": True})
        assert answer.status_code == 201, answer.get_json()
        ids.append(answer.get_json()["id"])
    assert [m.name for m in macros.visible(auto_tenant, lead)] == ["A 退款", "B 物流", "C 发票"]
    assert api.put("/api/v1/automation/macros/order", json={"ids": [ids[2], ids[0], ids[1]]}).status_code == 200
    listed = api.get("/api/v1/automation/macros").get_json()["items"]
    assert [m["name"] for m in listed] == ["C 发票", "A 退款", "B 物流"]
    assert api.put("/api/v1/automation/macros/order", json={"ids": [999999]}).status_code == 409
    assert make_user("agent")[1].put("/api/v1/automation/macros/order", json={"ids": ids}).status_code == 403
    console = console_client("supervisor")
    console.post(f"/console/automation/macros/{ids[1]}/move", {"direction": "up"})
    assert [m.id for m in Macro.select().order_by(Macro.position, Macro.name)] == [ids[2], ids[1], ids[0]]
