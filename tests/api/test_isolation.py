"""Tenant isolation: another tenant's ticket, comment, event, category or user is invisible,
and every attempt to reach it answers 404 exactly as for an object that does not exist."""

from __future__ import annotations

from gongdan import categories
from gongdan.api.common import ROUTES

# every core route taking a ticket id, with a harmless body
TICKET_ROUTES = [
    ("get", "/api/v1/tickets/{id}", None),
    ("patch", "/api/v1/tickets/{id}", {"priority": "urgent"}),
    ("get", "/api/v1/tickets/{id}/comments", None),
    ("post", "/api/v1/tickets/{id}/comments", {"body": "偷看"}),
    ("post", "/api/v1/tickets/{id}/transitions", {"to": "resolved"}),
    ("post", "/api/v1/tickets/{id}/assign", {"assignee_id": None}),
    ("post", "/api/v1/tickets/{id}/assign", {}),
    ("get", "/api/v1/tickets/{id}/events", None),
    ("get", "/api/v1/tickets/{id}/attachments", None),
    ("post", "/api/v1/tickets/{id}/attachments", None),
    ("get", "/api/v1/tickets/{id}/actions", None),
    ("post", "/api/v1/tickets/{id}/actions/set_priority", {"priority": "urgent"}),
    ("post", "/api/v1/tickets/{id}/merge", {"into_id": 1}),
    ("get", "/api/v1/tickets/{id}/merges", None),
    ("get", "/api/v1/tickets/{id}/follow", None),
    ("put", "/api/v1/tickets/{id}/follow", None),
    ("delete", "/api/v1/tickets/{id}/follow", None),
    ("post", "/api/v1/tickets/{id}/presence", {"typing": True}),
]
# routes of other objects a tenant owns (crossing them: `test_other_tenants_objects_are_404`)
OBJECT_ROUTES = {
    ("GET", "/attachments/<int:attachment_id>"),
    ("POST", "/customers/<int:customer_id>/reveal"),
    ("POST", "/merges/<int:merge_id>/undo"),
    ("GET", "/customers/<int:customer_id>/card"),
    ("PUT", "/customers/<int:customer_id>/notes"),
    ("DELETE", "/views/<int:view_id>"),
}
# routes without an object id: isolation shows in what they list or accept
TENANT_ROUTES = {
    ("GET", "/tickets"),
    ("POST", "/tickets"),
    ("GET", "/categories"),
    ("POST", "/categories"),
    ("GET", "/users"),
    ("GET", "/users/me"),
    ("POST", "/users/me/password"),
    ("GET", "/plugins"),
    ("PUT", "/plugins/<name>"),
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("GET", "/inbox"),
    ("POST", "/inbox/read"),
    ("GET", "/inbox/preferences"),
    ("PUT", "/inbox/preferences"),
    ("GET", "/views"),
    ("POST", "/views"),
    ("GET", "/merges/window"),
    ("PUT", "/merges/window"),
}


def test_every_core_route_is_covered_here():
    core = {(m, r.rule) for r in ROUTES if r.endpoint.startswith("api.") for m in r.methods}
    by_id = {
        (m.upper(), p.removeprefix("/api/v1").replace("{id}", "<int:ticket_id>").replace("set_priority", ACTION))
        for m, p, _ in TICKET_ROUTES
    }
    assert core == by_id | TENANT_ROUTES | OBJECT_ROUTES


ACTION = "<string(maxlength=100):name>"


def test_other_tenants_objects_are_404(tenant, other_tenant, make_user, new_ticket, expect_error):
    from io import BytesIO

    from gongdan import customers

    _, mine = make_user("supervisor")
    _, theirs = make_user("admin", in_tenant=other_tenant)
    ticket = new_ticket(theirs, "别人的附件")
    upload = {"file": (BytesIO(b"%PDF-1.4 receipt"), "receipt.pdf")}
    stored = theirs.post(f"/api/v1/tickets/{ticket['id']}/attachments", data=upload, content_type="multipart/form-data")
    assert stored.status_code == 201, stored.get_json()
    expect_error(mine.get(f"/api/v1/attachments/{stored.get_json()['id']}"), 404, "not_found")
    customer = customers.upsert(other_tenant, {"name": "张三", "phone": "13800138000"}, "api")
    expect_error(mine.post(f"/api/v1/customers/{customer.id}/reveal", json={}), 404, "not_found")
    expect_error(mine.get(f"/api/v1/customers/{customer.id}/card"), 404, "not_found")
    expect_error(mine.put(f"/api/v1/customers/{customer.id}/notes", json={"notes": "偷改"}), 404, "not_found")
    view = theirs.post("/api/v1/views", json={"name": "别人的视图", "query": "status=open", "shared": True})
    assert view.status_code == 201, view.get_json()
    expect_error(mine.delete(f"/api/v1/views/{view.get_json()['id']}"), 404, "not_found")
    assert mine.get("/api/v1/views").get_json() == []
    other = new_ticket(theirs, "别人的重复工单")
    merged = theirs.post(f"/api/v1/tickets/{other['id']}/merge", json={"into_id": ticket["id"]})
    assert merged.status_code == 201, merged.get_json()
    expect_error(mine.post(f"/api/v1/merges/{merged.get_json()['id']}/undo"), 404, "not_found")


def test_crossing_into_another_tenants_ticket_is_404(tenant, other_tenant, make_user, new_ticket, expect_error):
    _, mine = make_user("admin")
    _, theirs = make_user("admin", in_tenant=other_tenant)
    their_ticket = new_ticket(theirs, "别人的工单")
    new_ticket(mine, "我的工单")
    missing = 10_000 + their_ticket["id"]
    for method, path, body in TICKET_ROUTES:
        crossing = getattr(mine, method)(path.format(id=their_ticket["id"]), json=body)
        error = expect_error(crossing, 404, "not_found")
        absent = getattr(mine, method)(path.format(id=missing), json=body)
        assert expect_error(absent, 404, "not_found") == error  # nothing tells the two apart
    untouched = theirs.get(f"/api/v1/tickets/{their_ticket['id']}").get_json()
    assert untouched == their_ticket
    assert theirs.get(f"/api/v1/tickets/{their_ticket['id']}/comments").get_json()["total"] == 0
    assert [e["kind"] for e in theirs.get(f"/api/v1/tickets/{their_ticket['id']}/events").get_json()] == ["created"]


def test_lists_show_only_the_callers_tenant(tenant, other_tenant, make_user, new_ticket):
    me, mine = make_user("supervisor")
    stranger, theirs = make_user("agent", in_tenant=other_tenant)
    new_ticket(theirs, "退款问题 globex")
    own = new_ticket(mine, "退款问题 acme")
    assert own["number"] == 1  # numbers are per tenant
    theirs.post(
        f"/api/v1/tickets/{theirs.get('/api/v1/tickets').get_json()['items'][0]['id']}/assign",
        json={"assignee_id": stranger.id},
    )
    listed = mine.get("/api/v1/tickets?q=退款").get_json()
    assert [t["id"] for t in listed["items"]] == [own["id"]]
    assert listed["total"] == 1
    assert mine.get(f"/api/v1/tickets?assignee={stranger.id}").get_json()["total"] == 0
    assert {u["id"] for u in mine.get("/api/v1/users").get_json()["items"]} == {me.id}
    assert mine.get("/api/v1/users/me").get_json()["tenant"]["slug"] == "acme"


def test_other_tenants_users_and_categories_cannot_be_used(tenant, other_tenant, make_user, new_ticket, expect_error):
    _, mine = make_user("admin")
    stranger, _ = make_user("agent", in_tenant=other_tenant)
    categories.ensure(other_tenant, "售后/物流/丢件")
    assert mine.get("/api/v1/categories").get_json()["items"] == []
    refused = mine.post("/api/v1/tickets", json={"subject": "丢件", "category": "售后/物流/丢件"})
    assert "category" in expect_error(refused, 422, "validation_error")["fields"]
    ticket = new_ticket(mine)
    assign = mine.post(f"/api/v1/tickets/{ticket['id']}/assign", json={"assignee_id": stranger.id})
    assert "assignee_id" in expect_error(assign, 422, "validation_error")["fields"]
    mention = mine.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "看", "mentions": [stranger.id]})
    assert "mentions" in expect_error(mention, 422, "validation_error")["fields"]
    created = mine.post("/api/v1/categories", json={"path": "售后/物流/丢件"})
    assert created.status_code == 201  # the same path is a new category in this tenant


def test_same_external_ref_in_two_tenants_makes_two_tickets(other_tenant, make_user):
    _, mine = make_user("agent")
    _, theirs = make_user("agent", in_tenant=other_tenant)
    body = {"subject": "同一个订单号", "external_ref": {"system": "pdd", "id": "42"}}
    first, second = mine.post("/api/v1/tickets", json=body), theirs.post("/api/v1/tickets", json=body)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] != second.get_json()["id"]
