"""The customer portal in a real Chromium against a real server, with a real SMTP server:
submit with a photo → the agent replies in the console → the customer reads it in the portal
and by mail → the agent resolves → the customer rates → the rating on the ticket and in the API.
Screenshots of every portal page, in Chinese and English, at 1366 and 390 px wide."""

from __future__ import annotations

import os
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import requests
from gongdan_email.testing import SmtpSink, sending_mailbox
from gongdan_knowledge import articles

from gongdan import categories, delivery
from gongdan.models import Ticket
from gongdan.plugins import get_host

from .test_console_browser import sign_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("GONGDAN_PORTAL_SHOTS", "/tmp/shots-portal"))
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def smtp_sink():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def shop(tenant, live_server, outbound_loopback, smtp_sink):
    """acme with the portal, knowledge and e-mail plugins, a mailbox on the sink, articles, categories."""
    host = get_host()
    host.set_enabled(tenant, "knowledge", enabled=True)
    host.set_enabled(tenant, "email", enabled=True)
    settings = {"public_url": live_server, "welcome_text": "工作日 9:00–18:00 在线，通常 2 小时内回复。"}
    host.set_enabled(tenant, "portal", enabled=True, settings=settings)
    sending_mailbox(tenant, smtp_sink)
    categories.ensure(tenant, "售后/退货退款/质量问题")
    categories.ensure(tenant, "物流/配送/延迟")
    for title, body, path in (
        ("如何申请退货退款", "在订单页点击**申请售后**，选择退货退款，填写原因并上传照片。", "售后/退货退款/质量问题"),
        ("商品破损怎么办", "请拍下外包装和商品破损处的照片，提交请求，我们会补发或退款。", "售后/退货退款/质量问题"),
        ("快递一直没更新", "物流信息 48 小时未更新时，请提交请求并附上订单号。", "物流/配送/延迟"),
    ):
        data = {"title": title, "body": body, "status": "published", "visibility": "public", "category": path}
        articles.create(tenant, data, None)
    return tenant


def mails(sink: SmtpSink, count: int) -> list[tuple[str, str]]:
    """(subject, text) of the first `count` messages the sink received."""
    found = []
    for envelope in sink.wait_for(count)[:count]:
        mail = message_from_bytes(envelope.content, policy=policy.default)
        found.append((str(mail["Subject"]), mail.get_body(("plain",)).get_content()))
    return found


def test_customer_submits_agent_replies_customer_rates(shop, live_server, chromium, make_user, smtp_sink, tmp_path):
    agent, _ = make_user("agent", email="xiaowang@acme.example.com", name="小王")
    _, boss = make_user("supervisor")
    photo = tmp_path / "broken-cup.png"
    photo.write_bytes(PNG)
    portal = f"{live_server}/portal/acme"

    customer = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    tab = customer.new_page()
    tab.set_default_timeout(15000)
    tab.goto(f"{portal}/new")
    tab.fill("#subject", "杯子破损")
    tab.wait_for_selector("#suggestions li:has-text('商品破损怎么办')")
    tab.fill("#description", "收到时杯子已经碎了，附上照片。")
    tab.select_option("#category", "售后/退货退款/质量问题")
    tab.fill("#order_number", "240101-8848")
    tab.fill("#email", "buyer@example.com")
    tab.set_input_files("#files", str(photo))
    tab.click("button.primary")
    tab.wait_for_selector("text=谢谢，我们已收到您的请求")
    ticket = Ticket.get(Ticket.subject == "杯子破损")
    assert ticket.channel == "portal"

    console = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    desk = console.new_page()
    desk.set_default_timeout(15000)
    sign_in(desk, live_server, agent.email)
    desk.wait_for_selector("#dashboard")
    desk.goto(f"{live_server}/console/tickets/{ticket.id}")
    desk.fill("#reply-body", "非常抱歉！已为您安排补发，单号明天更新。")
    desk.click("#send-reply")
    desk.wait_for_selector("#timeline li.reply:has-text('已为您安排补发')")

    delivery.flush(shop)
    (ack_subject, _), (_, reply_text) = mails(smtp_sink, 2)
    assert "#" in ack_subject
    assert "已为您安排补发" in reply_text
    link = re.search(r"(http://127\.0\.0\.1:\d+/portal/acme/t/\S+)", reply_text).group(1)
    reader = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    mail_tab = reader.new_page()
    mail_tab.set_default_timeout(15000)
    mail_tab.goto(link)
    mail_tab.wait_for_selector(".msg.theirs:has-text('已为您安排补发')")
    assert "处理中" in mail_tab.inner_text(".ticket-head")
    assert "broken-cup.png" in mail_tab.inner_text(".thread")

    desk.reload()
    desk.locator("#to-resolved").click()
    desk.wait_for_selector("#ticket-status:text('已解决')")
    delivery.flush(shop)
    _, resolved_text = mails(smtp_sink, 3)[2]
    rate_link = re.search(r"(http://127\.0\.0\.1:\d+/portal/acme/t/\S+\?rate=1)", resolved_text).group(1)
    mail_tab.goto(rate_link)
    mail_tab.wait_for_selector("#rate")
    mail_tab.check("input[value=satisfied]")
    mail_tab.fill("#rate-comment", "补发很快，谢谢小王")
    mail_tab.click("#rate button.primary")
    mail_tab.wait_for_selector("text=您的评价：满意")

    desk.reload()
    desk.wait_for_selector("text=补发很快，谢谢小王")
    figures = requests.get(
        f"{live_server}/api/v1/csat?group_by=agent", headers={"Authorization": f"Bearer {boss.token}"}, timeout=10
    ).json()
    assert (figures["asked"], figures["answered"], figures["score"]) == (1, 1, 5.0)
    assert figures["groups"][0]["label"] == "小王"
    events = requests.get(
        f"{live_server}/api/v1/tickets/{ticket.id}/events",
        headers={"Authorization": f"Bearer {boss.token}"},
        timeout=10,
    ).json()
    assert any(e["kind"] == "portal.csat" and e["data"]["score"] == 5 for e in events)

    _screenshots(chromium, portal, link, smtp_sink, ticket)
    for context in (customer, console, reader):
        context.close()


def _screenshots(chromium, portal: str, access_link: str, smtp_sink: SmtpSink, ticket: Ticket) -> None:
    """Every portal page in zh and en at 1366 and 390 px, saved under SHOTS."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    article = re.search(r"/articles/(\d+)", requests.get(f"{portal}/search?q=破损", timeout=10).text).group(1)
    category = re.search(r"/categories/(\d+)", requests.get(f"{portal}/", timeout=10).text).group(1)
    for lang, locale in (("zh", "zh-CN"), ("en", "en-US")):
        for width, height in ((1366, 900), (390, 844)):
            context = chromium.new_context(locale=locale, viewport={"width": width, "height": height})
            tab = context.new_page()
            tab.set_default_timeout(15000)

            def shot(name: str, url: str | None = None, tab=tab, lang=lang, width=width) -> None:
                if url:
                    tab.goto(url)
                assert tab.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"
                tab.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)

            shot("home", f"{portal}/")
            shot("search", f"{portal}/search?q=破损")
            shot("category", f"{portal}/categories/{category}")
            shot("article", f"{portal}/articles/{article}")
            tab.click("button[name=helpful][value='1']")
            tab.wait_for_selector(".vote .ok")
            shot("article-voted")
            tab.goto(f"{portal}/new")
            tab.fill("#subject", "退款")
            tab.wait_for_selector("#suggestions li")
            shot("new-suggestions")
            tab.click("#suggestions button.answered")
            tab.wait_for_selector(".ok-box")
            shot("deflected")
            tab.goto(f"{portal}/new")
            tab.evaluate("document.getElementById('request-form').noValidate = true")
            tab.click("button.primary")
            tab.wait_for_selector("p.err")
            shot("new-errors")
            shot("signin", f"{portal}/signin")
            tab.fill("#email", "buyer@example.com")
            tab.click("button.primary")
            tab.wait_for_selector("#code")
            shot("code")
            tab.goto(access_link)
            tab.wait_for_selector(".thread")
            shot("ticket")
            shot("requests", f"{portal}/requests")
            shot("not-found", f"{portal}/requests/999999")
            context.close()
    del smtp_sink, ticket


def test_another_customers_ticket_is_404_in_the_browser(shop, live_server, page):
    from gongdan import tickets
    from gongdan.actors import Actor

    theirs, _ = tickets.create(
        shop, {"subject": "别人的", "channel": "portal", "customer": {"email": "x@example.com"}}, Actor.system("t")
    )
    response = page.goto(f"{live_server}/portal/acme/requests/{theirs.id}")
    assert response.status == 404
    assert "This page does not exist." in page.inner_text("main")
