"""The console's knowledge pages: write, review, publish, restore; the ticket page's panel."""

from __future__ import annotations

import re
from typing import Any

from gongdan_knowledge import console, intents
from gongdan_knowledge.models import Article, Usage

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import Comment
from gongdan.testing import ConsoleClient


def test_write_review_publish_restore(app: Any, kb: Any, make_user: Any, tenant: Any) -> None:
    supervisor = ConsoleClient(app, kb.user)
    created = supervisor.post("/console/knowledge/new", {"title": "运费险怎么理赔", "body": "退货成功后**自动**赔付。"})
    assert created.status_code == 302
    article = Article.of(tenant).get()
    assert (article.status, article.author_id) == ("draft", kb.user.id)
    edit_url = f"/console/knowledge/{article.id}"
    supervisor.post(edit_url, {"title": "运费险怎么理赔", "body": "退货成功后72小时内自动赔付。", "version": 1})
    page = supervisor.get(edit_url).get_data(as_text=True)
    assert "72小时" in page
    assert "-退货成功后**自动**赔付。" in page  # the diff of version 2
    supervisor.post(f"{edit_url}/status", {"status": "published"})
    assert Article.get_by_id(article.id).status == "published"
    supervisor.post(f"{edit_url}/restore/1")
    restored = Article.get_by_id(article.id)
    assert (restored.version, restored.body) == (4, "退货成功后**自动**赔付。")
    listing = supervisor.get("/console/knowledge/", query_string={"q": "运费险赔付"}).get_data(as_text=True)
    assert "<mark>赔付</mark>" in listing
    assert "运费险怎么理赔" in listing


def test_agents_cannot_publish_in_the_console(app: Any, kb: Any, make_user: Any, tenant: Any) -> None:
    agent_user, _ = make_user("agent")
    agent = ConsoleClient(app, agent_user)
    agent.post("/console/knowledge/new", {"title": "草稿", "body": "内容"})
    article = Article.of(tenant).get()
    assert "kb-review" not in agent.get(f"/console/knowledge/{article.id}").get_data(as_text=True)
    agent.post(f"/console/knowledge/{article.id}/status", {"status": "published"})
    assert Article.get_by_id(article.id).status == "draft"


def test_ticket_panel_sends_a_suggestion(app: Any, kb: Any, publish: Any, tenant: Any, make_user: Any) -> None:
    article_id = publish("衣服开线怎么退", "开线属于质量问题，可以退货退款，运费由商家承担。")
    ticket, _ = tickets.create(tenant, {"subject": "衣服开线了", "channel": "web"}, Actor.system("test"))
    agent_user, _ = make_user("agent")
    agent = ConsoleClient(app, agent_user)
    page = agent.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert "衣服开线怎么退" in page
    response = agent.post("/console/knowledge/send", {"ticket_id": ticket.id, "article_id": article_id})
    assert response.status_code == 302
    reply = Comment.select().where(Comment.ticket == ticket.id).get()
    assert "运费由商家承担" in reply.body
    assert Usage.select().where(Usage.ticket == ticket.id).count() == 1


def test_console_page_needs_the_plugin(app: Any, make_user: Any, enable_plugin: Any) -> None:
    admin_user, _ = make_user("admin")
    client = ConsoleClient(app, admin_user)
    assert client.get("/console/knowledge/").status_code == 404
    enable_plugin("knowledge")
    assert client.get("/console/knowledge/").status_code == 200
    chinese = client.get("/console/knowledge/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "知识库文章" in chinese.get_data(as_text=True)


def test_admins_edit_import_and_export_synonyms_in_the_console(
    app: Any, kb: Any, publish: Any, make_user: Any, tenant: Any
) -> None:
    admin = ConsoleClient(app, make_user("admin")[0])
    page = admin.get("/console/knowledge-synonyms/").get_data(as_text=True)
    assert 'id="builtin-groups"' in page
    assert "满减券" in page  # the built-in vocabulary is listed
    refused = admin.post("/console/knowledge-synonyms/", {"groups": "大促 双十一\n孤词\n2: 甲 乙"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "give at least two words" in html
    assert "the weight before" in html
    saved = admin.post("/console/knowledge-synonyms/", {"groups": "大促 双十一 双11\n0.6: 爆款 热销"})
    assert saved.status_code == 302
    assert "0.6: 爆款 热销" in admin.get("/console/knowledge-synonyms/").get_data(as_text=True)
    publish("双十一活动说明", "双十一期间全场满300减50。")
    found = kb.get("/api/v1/kb/search", query_string={"q": "大促有什么活动"}).get_json()["items"]
    assert found[0]["title"] == "双十一活动说明"
    exported = kb.get("/api/v1/kb/synonyms/export")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert exported.get_data(as_text=True) == "大促 双十一 双11\n0.6: 爆款 热销\n"
    from io import BytesIO

    uploaded = admin.post(
        "/console/knowledge-synonyms/upload",
        data={"file": (BytesIO("退款 退钱\n".encode()), "synonyms.txt")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    assert kb.get("/api/v1/kb/synonyms").get_json()["items"] == [{"words": ["退款", "退钱"], "weight": 0.8}]


def test_supervisors_read_synonyms_and_agents_cannot(app: Any, kb: Any, make_user: Any) -> None:
    supervisor = ConsoleClient(app, kb.user)
    assert 'id="synonyms-form"' not in supervisor.get("/console/knowledge-synonyms/").get_data(as_text=True)
    assert supervisor.post("/console/knowledge-synonyms/", {"groups": "a b"}).status_code == 403
    agent = ConsoleClient(app, make_user("agent")[0])
    assert agent.get("/console/knowledge-synonyms/").status_code == 403


def test_the_ticket_panel_says_why_an_article_is_suggested(
    app: Any, kb: Any, publish: Any, tenant: Any, make_user: Any
) -> None:
    publish("优惠券怎么使用", "在结算页选择可用的优惠券即可抵扣。")
    ticket, _ = tickets.create(tenant, {"subject": "满减券用不了"}, Actor.system("channel:api"))
    html = ConsoleClient(app, kb.user).get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert "kb-why" in html
    assert "优惠券" in html.split("kb-why", 1)[1][:300]
    panel = html.split("kb-suggestions", 1)[1].split("</ul>", 1)[0]
    assert not re.search(r">\s*\d+\.\d+\s*<", panel)  # the ranking's raw score is not for a person


def test_the_ticket_panel_says_what_the_question_was_read_as(
    app: Any, kb: Any, publish: Any, tenant: Any, make_user: Any
) -> None:
    publish("七天无理由退货", "签收后七天内，不想要了可以申请退货。")
    publish("订单取消", "付款后在我的订单点击取消订单，款项原路退回。")
    ticket, _ = tickets.create(tenant, {"subject": "刚拍的 不想要了"}, Actor.system("channel:api"))
    html = ConsoleClient(app, kb.user).get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    why = html.split("kb-why", 1)[1][:300]
    assert "read as: cancelling an order not yet shipped" in why  # in the reader's words, not the code name
    assert "synonyms: 取消" not in why  # an intent's words are not called synonyms
    chinese = ConsoleClient(app, kb.user, language="zh-CN").get(f"/console/tickets/{ticket.id}")
    assert "理解为：取消订单（未发货）" in chinese.get_data(as_text=True).split("kb-why", 1)[1][:300]


def test_every_built_in_intent_has_a_label_in_both_languages(app: Any) -> None:
    assert set(console.INTENT_LABELS) == {intent.name for intent in intents.builtin()}
    read = {}
    for language in ("en", "zh-CN"):
        with app.test_request_context(headers={"Accept-Language": language}):
            read[language] = {name: str(label) for name, label in console.INTENT_LABELS.items()}
    for name, english in read["en"].items():
        assert re.fullmatch(r"[a-z ,]+", english), english
        assert re.search(r"[\u4e00-\u9fff]", read["zh-CN"][name]), (name, read["zh-CN"][name])


def test_the_ticket_page_offers_similar_solved_tickets_as_articles(
    app: Any, kb: Any, tenant: Any, make_user: Any
) -> None:
    agent = Actor.of(make_user("agent")[0])
    done, _ = tickets.create(tenant, {"subject": "积分兑换的奖品还没寄出"}, Actor.system("channel:api"))
    tickets.comment(tenant, done, "兑换的奖品会在7天内寄出。", agent)
    tickets.transition(tenant, done, "resolved", agent)
    asking, _ = tickets.create(tenant, {"subject": "积分兑换奖品什么时候寄出"}, Actor.system("channel:api"))
    supervisor = ConsoleClient(app, kb.user)
    html = supervisor.get(f"/console/tickets/{asking.id}").get_data(as_text=True)
    assert "kb-solved" in html
    assert "兑换的奖品会在7天内寄出" in html
    comment_id = re.search(r'name="comment_id" value="(\d+)"', html).group(1)
    made = supervisor.post("/console/knowledge/from-comment", {"comment_id": comment_id})
    assert made.status_code == 302
    article = Article.of(tenant).get()
    assert (article.status, article.source_ticket_id) == ("draft", done.id)
    assert f"/console/knowledge/{article.id}" in made.headers["Location"]


def test_send_as_reply_fills_the_editor_instead_of_posting(
    app: Any, kb: Any, publish: Any, tenant: Any, make_user: Any
) -> None:
    """Issue 16 bug 11: 作为回复发送 posted the article at once; now it fills the reply editor."""
    publish("衣服开线怎么退", "开线属于质量问题，可以退货退款。")
    ticket, _ = tickets.create(tenant, {"subject": "衣服开线了", "channel": "web"}, Actor.system("test"))
    agent_user, _ = make_user("agent")
    page = ConsoleClient(app, agent_user).get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    panel = page[page.index('id="panel-knowledge"') :]
    assert "/console/knowledge/send" not in panel
    assert 'data-fill-reply="kb-text-' in panel
    assert "开线属于质量问题，可以退货退款。</textarea>" in panel
    assert Comment.select().where(Comment.ticket == ticket.id).count() == 0
