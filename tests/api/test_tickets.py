"""Ticket routes: create (idempotent), list with filters and paging, read, change, comment,
transition, assign and the audit trail."""

from __future__ import annotations

from datetime import datetime

from gongdan import categories
from gongdan.contributions import AssignmentDecision
from gongdan.hookspecs import hookimpl

FULL = {
    "subject": "收到的商品破损",
    "description": "外包装完好，但杯子碎了",
    "channel": "api",
    "priority": "high",
    "category": "售后/退货退款/质量问题",
    "tags": ["破损", "破损", "玻璃"],
    "customer": {"name": "王小姐", "email": "wang@example.com", "phone": "13800000000", "tier": "vip"},
    "external_ref": {"system": "pdd", "id": "7381745730"},
}


def test_create_returns_the_full_representation(tenant, agent_api):
    categories.ensure(tenant, "售后/退货退款/质量问题")
    response = agent_api.post("/api/v1/tickets", json=FULL)
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["number"] == 1
    assert ticket["subject"] == "收到的商品破损"
    assert ticket["status"] == "new"
    assert ticket["priority"] == "high"
    assert ticket["category"] == "售后/退货退款/质量问题"
    assert ticket["tags"] == ["破损", "玻璃"]
    assert ticket["customer"]["tier"] == "vip"
    assert (ticket["customer"]["email"], ticket["customer"]["phone"]) == ("w***@example.com", "138****0000")  # masked
    assert ticket["external_ref"] == {"system": "pdd", "id": "7381745730"}
    assert ticket["assignee"] is None
    assert ticket["team"] is None
    for key in ("created_at", "updated_at"):
        assert datetime.fromisoformat(ticket[key]).utcoffset() is not None
    assert ticket["first_response_at"] is None
    assert ticket["resolved_at"] is None
    assert response.headers["Content-Type"].startswith("application/json")


def test_create_defaults(agent_api):
    ticket = agent_api.post("/api/v1/tickets", json={"subject": "咨询发货时间"}).get_json()
    assert (ticket["priority"], ticket["channel"], ticket["tags"], ticket["customer"]) == ("normal", "api", [], None)


def test_same_external_ref_updates_instead_of_duplicating(tenant, agent_api):
    first = agent_api.post("/api/v1/tickets", json=FULL | {"category": None})
    assert first.status_code == 201
    again = agent_api.post("/api/v1/tickets", json=FULL | {"category": None, "subject": "商品破损（补充照片）"})
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["subject"] == "商品破损（补充照片）"
    assert agent_api.get("/api/v1/tickets").get_json()["total"] == 1
    other = agent_api.post(
        "/api/v1/tickets", json=FULL | {"category": None, "external_ref": {"system": "pdd", "id": "2"}}
    )
    assert other.status_code == 201


INVALID_CREATES = [
    ({}, "subject"),
    ({"subject": ""}, "subject"),
    ({"subject": "   "}, "subject"),
    ({"subject": "x" * 201}, "subject"),
    ({"subject": "s", "priority": "asap"}, "priority"),
    ({"subject": "s", "channel": "pigeon"}, "channel"),
    ({"subject": "s", "category": "没有/这个/分类"}, "category"),
    ({"subject": "s", "tags": "破损"}, "tags"),
    ({"subject": "s", "customer": {"email": "not-an-address"}}, "customer.email"),
    ({"subject": "s", "external_ref": {"system": "pdd"}}, "external_ref.id"),
    ({"subject": "s", "team": "没有这个组"}, "team"),
    ({"subject": "s", "team": "99999999999999999999"}, "team"),
    ({"subject": "s", "color": "red"}, "color"),
]


def test_create_validation(agent_api, expect_error):
    for body, field in INVALID_CREATES:
        error = expect_error(agent_api.post("/api/v1/tickets", json=body), 422, "validation_error")
        assert field in error["fields"], (body, error)
        assert all(isinstance(reason, str) for reason in error["fields"][field])
    assert agent_api.get("/api/v1/tickets").get_json()["total"] == 0


def test_list_filters_and_newest_first(tenant, make_user, new_ticket):
    me, api = make_user("agent")
    colleague, _ = make_user("agent")
    a = new_ticket(api, "发货太慢", priority="low")
    b = new_ticket(api, "退款没到账", description="申请退款三天了", channel="email")
    c = new_ticket(api, "Broken cup", priority="urgent")
    api.post(f"/api/v1/tickets/{a['id']}/assign", json={"assignee_id": me.id})
    api.post(f"/api/v1/tickets/{b['id']}/assign", json={"assignee_id": colleague.id})
    api.post(f"/api/v1/tickets/{c['id']}/transitions", json={"to": "resolved"})

    def ids(query=""):
        body = api.get(f"/api/v1/tickets{query}").get_json()
        assert body["total"] == len(body["items"])
        return [t["id"] for t in body["items"]]

    assert ids() == [c["id"], b["id"], a["id"]]
    assert ids("?assignee=me") == [a["id"]]
    assert ids("?assignee=none") == [c["id"]]
    assert ids(f"?assignee={colleague.id}") == [b["id"]]
    assert ids("?status=resolved") == [c["id"]]
    assert ids("?status=new&priority=low") == [a["id"]]
    assert ids("?channel=email") == [b["id"]]
    assert ids("?q=退款") == [b["id"]]
    assert ids("?q=三天") == [b["id"]]  # description
    assert ids("?q=broken") == [c["id"]]  # case-insensitive for Latin letters
    assert ids("?q=%25") == []  # a literal %, not a wildcard
    assert ids("?q=_") == []


def test_paging(agent_api, new_ticket):
    made = [new_ticket(agent_api, f"工单 {n}")["id"] for n in range(5)]
    first = agent_api.get("/api/v1/tickets?per_page=2").get_json()
    assert (first["total"], first["page"], first["per_page"]) == (5, 1, 2)
    assert [t["id"] for t in first["items"]] == made[::-1][:2]
    last = agent_api.get("/api/v1/tickets?per_page=2&page=3").get_json()
    assert [t["id"] for t in last["items"]] == [made[0]]
    assert last["total"] == 5
    beyond = agent_api.get("/api/v1/tickets?per_page=2&page=9").get_json()
    assert beyond["items"] == []
    assert beyond["total"] == 5


BAD_FILTERS = [
    "per_page=101",
    "per_page=0",
    "page=0",
    "page=x",
    "status=done",
    "priority=asap",
    "assignee=someone",
    "assignee=-1",
]


def test_list_rejects_bad_filters(agent_api, expect_error):
    for query in BAD_FILTERS:
        error = expect_error(agent_api.get(f"/api/v1/tickets?{query}"), 422, "validation_error")
        assert query.split("=")[0] in error["fields"]


def test_get_and_patch(tenant, agent_api, new_ticket, expect_error):
    categories.ensure(tenant, "售前/商品咨询/尺码")
    ticket = new_ticket(agent_api)
    got = agent_api.get(f"/api/v1/tickets/{ticket['id']}")
    assert got.status_code == 200
    assert got.get_json() == ticket
    changed = agent_api.patch(
        f"/api/v1/tickets/{ticket['id']}",
        json={"subject": "尺码问题", "priority": "urgent", "category": "售前/商品咨询/尺码", "tags": ["尺码"]},
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert (body["subject"], body["priority"], body["category"], body["tags"]) == (
        "尺码问题",
        "urgent",
        "售前/商品咨询/尺码",
        ["尺码"],
    )
    cleared = agent_api.patch(f"/api/v1/tickets/{ticket['id']}", json={"category": None}).get_json()
    assert cleared["category"] is None
    expect_error(agent_api.patch(f"/api/v1/tickets/{ticket['id']}", json={"subject": " "}), 422, "validation_error")
    expect_error(agent_api.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "closed"}), 422, "validation_error")
    expect_error(agent_api.get("/api/v1/tickets/999999"), 404, "not_found")
    expect_error(agent_api.get("/api/v1/tickets/99999999999999999999"), 404, "not_found")


def test_comments_reply_and_note(agent_api, new_ticket, expect_error):
    ticket = new_ticket(agent_api)
    note = agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "先查物流", "internal": True})
    assert note.status_code == 201
    assert note.get_json()["internal"] is True
    assert agent_api.get(f"/api/v1/tickets/{ticket['id']}").get_json()["first_response_at"] is None
    reply = agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "您好，已为您登记退货"})
    assert reply.status_code == 201
    assert reply.get_json()["author"]["email"] == agent_api.user.email
    after = agent_api.get(f"/api/v1/tickets/{ticket['id']}").get_json()
    assert after["first_response_at"] is not None
    assert after["status"] == "open"
    listed = agent_api.get(f"/api/v1/tickets/{ticket['id']}/comments").get_json()
    assert [c["body"] for c in listed["items"]] == ["先查物流", "您好，已为您登记退货"]
    assert listed["total"] == 2
    expect_error(agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": ""}), 422, "validation_error")
    bad_mention = agent_api.post(
        f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "看看", "mentions": [424242]}
    )
    assert "mentions" in expect_error(bad_mention, 422, "validation_error")["fields"]


def test_transitions(agent_api, new_ticket, expect_error):
    ticket = new_ticket(agent_api)
    path = f"/api/v1/tickets/{ticket['id']}/transitions"
    resolved = agent_api.post(path, json={"to": "resolved"})
    assert resolved.status_code == 200
    assert resolved.get_json()["status"] == "resolved"
    assert resolved.get_json()["resolved_at"]
    assert agent_api.post(path, json={"to": "closed"}).get_json()["status"] == "closed"
    expect_error(agent_api.post(path, json={"to": "open"}), 409, "invalid_transition")
    expect_error(agent_api.post(path, json={"to": "done"}), 422, "validation_error")
    expect_error(agent_api.post(path, json={}), 422, "validation_error")
    reply = agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "还在吗"})
    expect_error(reply, 409, "conflict")


def test_assign_by_agents_and_supervisors(make_user, new_ticket, expect_error):
    agent, agent_api = make_user("agent")
    colleague, colleague_api = make_user("agent")
    _, supervisor_api = make_user("supervisor")
    ticket = new_ticket(agent_api)
    path = f"/api/v1/tickets/{ticket['id']}/assign"
    taken = agent_api.post(path, json={"assignee_id": agent.id})
    assert taken.status_code == 200
    assert taken.get_json()["assignee"]["id"] == agent.id
    expect_error(colleague_api.post(path, json={"assignee_id": colleague.id}), 403, "forbidden")
    moved = supervisor_api.post(path, json={"assignee_id": colleague.id})
    assert moved.get_json()["assignee"] == {"id": colleague.id, "email": colleague.email, "name": colleague.name}
    released = colleague_api.post(path, json={"assignee_id": None})
    assert released.get_json()["assignee"] is None
    expect_error(agent_api.post(path, json={"assignee_id": 0}), 422, "validation_error")
    expect_error(agent_api.post(path, json={"assignee_id": 2**40}), 422, "validation_error")
    expect_error(agent_api.post(path, json={"assignee_id": 987654}), 422, "validation_error")


def test_assign_empty_body_asks_the_strategy(tenant, make_user, new_ticket, register_plugin, expect_error):
    agent, api = make_user("agent")
    ticket = new_ticket(api)
    path = f"/api/v1/tickets/{ticket['id']}/assign"
    expect_error(api.post(path, json={}), 409, "conflict")

    class Strategy:
        @hookimpl
        def gongdan_assign_ticket(self, tenant, ticket, actor):
            return AssignmentDecision(assignee_id=agent.id, strategy="test", reason="always the same agent")

    register_plugin(Strategy(), "test-strategy")
    assigned = api.post(path, json={})
    assert assigned.status_code == 200
    assert assigned.get_json()["assignee"]["id"] == agent.id
    events = api.get(f"/api/v1/tickets/{ticket['id']}/events").get_json()
    assert events[-1]["kind"] == "assigned"
    assert events[-1]["data"]["strategy"] == "test"


def test_events_oldest_first(agent_api, new_ticket):
    ticket = new_ticket(agent_api)
    agent_api.patch(f"/api/v1/tickets/{ticket['id']}", json={"priority": "high"})
    agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "好的"})
    events = agent_api.get(f"/api/v1/tickets/{ticket['id']}/events")
    assert events.status_code == 200
    body = events.get_json()
    assert [e["kind"] for e in body] == ["created", "updated", "commented", "status_changed"]
    assert body[1]["data"]["changes"] == {"priority": ["normal", "high"]}
    assert body[0]["actor"]["email"] == agent_api.user.email
    assert [e["at"] for e in body] == sorted(e["at"] for e in body)


def test_plugin_blocks_in_the_representation(agent_api, new_ticket, register_plugin):
    class Block:
        @hookimpl
        def gongdan_ticket_blocks(self, tenant, tickets):
            return {t.id: {"number_twice": t.number * 2} for t in tickets}

    register_plugin(Block(), "doubler")
    ticket = new_ticket(agent_api)
    assert ticket["doubler"] == {"number_twice": 2}
    listed = agent_api.get("/api/v1/tickets").get_json()["items"][0]
    assert listed["doubler"] == {"number_twice": 2}
