"""Suggestions on tickets, replying with an article, turning a reply into a draft, usage report."""

from __future__ import annotations

from typing import Any

import pytest
from gongdan_knowledge import suggestions
from gongdan_knowledge.models import Suggestion

from gongdan import categories, tickets
from gongdan.actors import Actor
from gongdan.models import Comment, TicketEvent
from gongdan.representation import tickets_dicts

CUSTOMER = Actor.system("channel:web")


@pytest.fixture
def articles(kb: Any, publish: Any, tenant: Any) -> dict[str, int]:
    for path in ("售后/退货退款/质量问题", "售后/退货退款/七天无理由", "咨询/发票/开具发票"):
        categories.ensure(tenant, path)
    return {
        "quality": publish(
            "质量问题怎么退换",
            "收到的商品开线、破损、掉色等质量问题，15天内可退换，运费由商家承担。",
            category="售后/退货退款/质量问题",
            visibility="public",
        ),
        "seven": publish(
            "七天无理由退货",
            "不喜欢可以七天无理由退货，寄回运费由买家承担。",
            category="售后/退货退款/七天无理由",
        ),
        "invoice": publish("怎么开发票", "确认收货后在订单详情申请开具电子发票。", category="咨询/发票/开具发票"),
    }


def _ticket(tenant: Any, subject: str, description: str = "", category: str | None = None) -> Any:
    data = {"subject": subject, "description": description, "channel": "web"}
    if category:
        data["category"] = category
    return tickets.create(tenant, data, CUSTOMER)[0]


def test_suggestions_computed_on_create_and_update(articles: Any, tenant: Any, agent_api: Any) -> None:
    ticket = _ticket(tenant, "衣服开线了要退货", "刚收到就开线，质量太差", "售后/退货退款/质量问题")
    data = agent_api.get(f"/api/v1/tickets/{ticket.id}/suggestions").get_json()
    assert data["items"][0]["id"] == articles["quality"]
    assert [i["rank"] for i in data["items"]] == list(range(1, len(data["items"]) + 1))
    tickets.update(tenant, ticket, {"subject": "发票怎么开", "category": "咨询/发票/开具发票"}, CUSTOMER)
    data = agent_api.get(f"/api/v1/tickets/{ticket.id}/suggestions").get_json()
    assert data["items"][0]["id"] == articles["invoice"]


def test_category_lifts_a_suggestion(articles: Any, tenant: Any, agent_api: Any) -> None:
    plain = _ticket(tenant, "想退货，运费谁出")
    in_category = _ticket(tenant, "想退货，运费谁出", category="售后/退货退款/七天无理由")
    first = agent_api.get(f"/api/v1/tickets/{plain.id}/suggestions").get_json()["items"]
    second = agent_api.get(f"/api/v1/tickets/{in_category.id}/suggestions").get_json()["items"]
    lifted = {i["id"]: i["score"] for i in second}
    before = {i["id"]: i["score"] for i in first}
    assert lifted[articles["seven"]] > before[articles["seven"]]
    assert second[0]["id"] == articles["seven"]


def test_ticket_block_one_query_for_a_page(articles: Any, tenant: Any) -> None:
    page = [_ticket(tenant, "衣服开线了"), _ticket(tenant, "发票怎么开"), _ticket(tenant, "你好")]
    assert suggestions.run_pending() == 3
    dicts = tickets_dicts(tenant, page)
    assert dicts[0]["knowledge"]["suggestions"][0]["id"] == articles["quality"]
    assert dicts[1]["knowledge"]["suggestions"][0]["id"] == articles["invoice"]
    assert dicts[2]["knowledge"] == {"suggestions": []}
    assert len(dicts[0]["knowledge"]["suggestions"]) <= 3


def test_suggestions_wait_for_the_worker_and_no_change_is_lost(articles: Any, tenant: Any, agent_api: Any) -> None:
    """Creating a ticket only queues it: the list shows it pending until the worker's job (or
    opening the ticket) computes it; a change queued while it waits is computed too."""
    first, second = _ticket(tenant, "衣服开线了"), _ticket(tenant, "发票怎么开")
    assert Suggestion.select().count() == 0
    pending = tickets_dicts(tenant, [first, second])
    assert [d["knowledge"] for d in pending] == [{"suggestions": [], "pending": True}] * 2
    opened = agent_api.get(f"/api/v1/tickets/{first.id}/suggestions").get_json()["items"]
    assert opened[0]["id"] == articles["quality"]
    assert suggestions.pending(tenant, [first.id, second.id]) == {second.id}
    tickets.update(tenant, second, {"subject": "衣服开线了"}, CUSTOMER)
    assert suggestions.run_pending() == 1
    assert suggestions.pending(tenant, [first.id, second.id]) == set()
    done = tickets_dicts(tenant, [first, second])
    assert [d["knowledge"]["suggestions"][0]["id"] for d in done] == [articles["quality"]] * 2
    assert "pending" not in done[1]["knowledge"]


def test_the_worker_runs_the_queue_as_a_scheduled_job(articles: Any, tenant: Any) -> None:
    from gongdan.plugins import get_host
    from gongdan.scheduler import jobs

    ticket = _ticket(tenant, "衣服开线了")
    job = next(j for j in jobs(get_host()) if j.id == "knowledge.suggestions")
    assert job.plugin == "knowledge"
    assert job.seconds <= 10
    job.func()
    assert suggestions.stored(ticket.id)[0].article_id == articles["quality"]


def test_suggestions_need_the_plugin_and_the_tenant(
    articles: Any, tenant: Any, make_user: Any, other_tenant: Any, enable_plugin: Any
) -> None:
    ticket = _ticket(tenant, "衣服开线了")
    enable_plugin("knowledge", in_tenant=other_tenant)
    _, outsider = make_user("agent", in_tenant=other_tenant)
    assert outsider.get(f"/api/v1/tickets/{ticket.id}/suggestions").status_code == 404


def test_setting_turns_suggestions_off(articles: Any, tenant: Any, enable_plugin: Any, agent_api: Any) -> None:
    enable_plugin("knowledge", settings={"suggest_on_tickets": False})
    ticket = _ticket(tenant, "衣服开线了")
    assert tickets_dicts(tenant, [ticket])[0]["knowledge"] == {"suggestions": []}
    fresh = agent_api.get(f"/api/v1/tickets/{ticket.id}/suggestions?refresh=1").get_json()
    assert fresh["items"][0]["id"] == articles["quality"]


def test_insert_article_into_reply_and_report(articles: Any, tenant: Any, agent_api: Any, kb: Any) -> None:
    ticket = _ticket(tenant, "衣服开线了")
    response = agent_api.post(
        f"/api/v1/tickets/{ticket.id}/kb-replies", json={"article_id": articles["quality"], "text": "您好，请看："}
    )
    assert response.status_code == 201
    sent = response.get_json()
    comment = Comment.get_by_id(sent["comment_id"])
    assert comment.body.startswith("您好，请看：")
    assert "运费由商家承担" in comment.body
    assert not comment.internal
    kinds = [e.kind for e in TicketEvent.select().where(TicketEvent.ticket == ticket.id)]
    assert "knowledge.article_inserted" in kinds
    tickets.transition(tenant, tickets.get(tenant, ticket.id), "resolved", CUSTOMER)
    report = kb.get("/api/v1/kb/reports/usage").get_json()
    assert report["items"] == [
        {"id": articles["quality"], "title": "质量问题怎么退换", "sent": 1, "tickets": 1, "solved_tickets": 1}
    ]
    assert agent_api.get("/api/v1/kb/reports/usage").status_code == 403


def test_insert_rejects_drafts_and_foreign_tickets(
    articles: Any, tenant: Any, agent_api: Any, make_user: Any, other_tenant: Any, enable_plugin: Any
) -> None:
    ticket = _ticket(tenant, "衣服开线了")
    draft = agent_api.post("/api/v1/kb/articles", json={"title": "草稿", "body": "x"}).get_json()
    bad = agent_api.post(f"/api/v1/tickets/{ticket.id}/kb-replies", json={"article_id": draft["id"]})
    assert bad.status_code == 422
    enable_plugin("knowledge", in_tenant=other_tenant)
    _, outsider = make_user("agent", in_tenant=other_tenant)
    foreign = outsider.post(f"/api/v1/tickets/{ticket.id}/kb-replies", json={"article_id": articles["quality"]})
    assert foreign.status_code == 404


def test_reply_becomes_draft_article(articles: Any, tenant: Any, agent_api: Any) -> None:
    ticket = _ticket(tenant, "雪地靴掉毛怎么办", category="售后/退货退款/质量问题")
    reply = tickets.comment(tenant, ticket, "雪地靴轻微掉毛是正常现象，穿几次后会好转。", Actor.of(agent_api.user))
    response = agent_api.post("/api/v1/kb/articles/from-comment", json={"comment_id": reply.id})
    assert response.status_code == 201
    article = response.get_json()
    assert article["status"] == "draft"
    assert article["title"] == "雪地靴掉毛怎么办"
    assert article["body"] == reply.body
    assert article["source_ticket_id"] == ticket.id
    assert article["category"] == "售后/退货退款/质量问题"
    assert agent_api.post("/api/v1/kb/articles/from-comment", json={"comment_id": 999999}).status_code == 404
