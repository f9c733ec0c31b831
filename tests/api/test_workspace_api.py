"""The workspace's REST routes: the inbox and its e-mail preference, presence on a ticket, saved views."""

from __future__ import annotations

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import SavedView

SYSTEM = Actor.system("test")


def test_the_inbox_lists_mentions_and_marks_them_read(tenant, make_user):
    _, lina_api = make_user("agent", name="李娜")
    wang, wang_api = make_user("agent", name="王伟")
    ticket, _ = tickets.create(tenant, {"subject": "丢件", "channel": "web"}, SYSTEM)
    note = {"body": "@王伟 看下", "internal": True, "mentions": [wang.id]}
    assert lina_api.post(f"/api/v1/tickets/{ticket.id}/comments", json=note).status_code == 201
    mine = wang_api.get("/api/v1/inbox").get_json()
    assert mine["unread"] == 1
    (item,) = mine["items"]
    assert (item["kind"], item["ticket_id"], item["read_at"]) == ("mention", ticket.id, None)
    assert "李娜" in item["text"]
    assert lina_api.get("/api/v1/inbox").get_json() == {"items": [], "unread": 0}  # each sees their own
    assert wang_api.post("/api/v1/inbox/read", json={}).status_code == 422
    assert wang_api.post("/api/v1/inbox/read", json={"ids": [item["id"]]}).get_json() == {"marked": 1, "unread": 0}
    assert wang_api.get("/api/v1/inbox?unread=true").get_json()["items"] == []
    assert wang_api.get("/api/v1/inbox?limit=0").status_code == 422


def test_the_mention_email_preference(tenant, make_user):
    _, api = make_user("agent")
    assert api.get("/api/v1/inbox/preferences").get_json() == {"mention_email": True}
    assert api.put("/api/v1/inbox/preferences", json={"mention_email": False}).get_json() == {"mention_email": False}
    assert api.get("/api/v1/inbox/preferences").get_json() == {"mention_email": False}
    refused = api.put("/api/v1/inbox/preferences", json={"mention_email": "sometimes"})
    assert refused.status_code == 422
    assert "mention_email" in refused.get_json()["error"]["fields"]


def test_presence_shows_who_else_is_on_the_ticket(tenant, make_user):
    _, lina_api = make_user("agent", name="李娜")
    _, wang_api = make_user("agent", name="王伟")
    ticket, _ = tickets.create(tenant, {"subject": "丢件", "channel": "web"}, SYSTEM)
    first = lina_api.post(f"/api/v1/tickets/{ticket.id}/presence", json={"typing": True}).get_json()
    assert first["others"] == []
    seen = wang_api.post(f"/api/v1/tickets/{ticket.id}/presence", json={}).get_json()
    assert seen["others"] == [{"name": "李娜", "typing": True}]
    before = seen["version"], seen["last_comment"]
    note = tickets.comment(tenant, ticket, "我来", SYSTEM, internal=True)
    after = wang_api.post(f"/api/v1/tickets/{ticket.id}/presence", json={}).get_json()
    assert after["last_comment"] == note.id
    assert (after["version"], after["last_comment"]) != before


def test_saved_views_own_shared_and_who_may_delete(tenant, make_user):
    _, agent_api = make_user("agent")
    _, lead_api = make_user("supervisor")
    _, admin_api = make_user("admin")
    own = agent_api.post("/api/v1/views", json={"name": "我的高优先级", "query": "?priority=high&page=3&bogus=1"})
    assert own.status_code == 201, own.get_json()
    assert own.get_json()["filters"] == {"priority": "high"}  # no page, nothing unknown
    assert agent_api.post("/api/v1/views", json={"name": "我的高优先级"}).status_code == 409
    assert agent_api.post("/api/v1/views", json={"name": "共享", "shared": True}).status_code == 403
    assert agent_api.post("/api/v1/views", json={"name": " "}).status_code == 422
    shared = lead_api.post("/api/v1/views", json={"name": "待处理", "query": "status=open", "shared": True})
    assert shared.status_code == 201
    names = [v["name"] for v in agent_api.get("/api/v1/views").get_json()]
    assert names == sorted(["我的高优先级", "待处理"])
    assert agent_api.delete(f"/api/v1/views/{shared.get_json()['id']}").status_code == 403
    assert lead_api.delete(f"/api/v1/views/{own.get_json()['id']}").status_code == 404  # someone's own: unseen
    assert admin_api.delete(f"/api/v1/views/{shared.get_json()['id']}").status_code == 204
    assert [v.name for v in SavedView.select()] == ["我的高优先级"]


def test_saved_views_carry_the_lists_counts_capped_like_the_list(tenant, make_user, app, monkeypatch):
    """Each view's count over the API is the ticket list's count for its filters (the same
    service the console's list and queue page show), and stops at the counting limit."""
    from gongdan import listing
    from gongdan.testing import ConsoleClient

    agent, agent_api = make_user("agent", name="李娜")
    for n in range(5):
        ticket, _ = tickets.create(tenant, {"subject": f"破损 {n}", "channel": "web", "priority": "high"}, SYSTEM)
        if n < 2:
            tickets.assign(tenant, ticket, agent.id, SYSTEM)
        if n == 0:
            tickets.update(tenant, ticket, {"tags": ["加急"]}, SYSTEM)
    tickets.create(tenant, {"subject": "咨询发票", "channel": "web"}, SYSTEM)
    made = {
        "mine": "assignee=me",  # the caller's own: 2
        "high": "priority=high&sort=-number",  # a sort only the general query has: 5
        "tagged": "tag=加急",  # a filter only the general query has: 1
        "found": "q=破损",  # a search, as the list finds it: 5
        "all": "",
    }
    for name, query in made.items():
        assert agent_api.post("/api/v1/views", json={"name": name, "query": query}).status_code == 201
    counts = {v["name"]: (v["count"], v["count_exact"]) for v in agent_api.get("/api/v1/views").get_json()}
    assert counts == {"mine": (2, True), "high": (5, True), "tagged": (1, True), "found": (5, True), "all": (6, True)}

    console = ConsoleClient(app, agent, language="zh_CN")
    for page in ("/console/tickets/", "/console/workspace/"):  # the list and the queue page: the same figures
        text = console.text(page)
        assert 'all <span class="badge badge-light">6</span>' in text
        assert 'mine <span class="badge badge-light">2</span>' in text

    monkeypatch.setattr(listing, "COUNT_LIMIT", 3)
    capped = {v["name"]: (v["count"], v["count_exact"]) for v in agent_api.get("/api/v1/views").get_json()}
    assert capped == {
        "mine": (2, True),
        "high": (3, False),
        "tagged": (1, True),
        "found": (3, False),
        "all": (3, False),
    }
    assert 'all <span class="badge badge-light">3+</span>' in console.text("/console/workspace/")
