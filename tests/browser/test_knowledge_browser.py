"""The knowledge plugin's new console parts in a real Chromium: the synonyms page and why an
article is suggested, in Chinese and English, at 1366 px and 390 px. Screenshots go to
GONGDAN_SHOTS or tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gongdan_knowledge import articles, thesaurus

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.plugins import get_host

from .test_console_browser import sign_in

pytestmark = pytest.mark.browser


def _browser(chromium, locale, width, tmp_path):
    """A fresh context at `locale` and `width`, its page, and where screenshots go."""
    context = chromium.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page, Path(os.environ.get("GONGDAN_SHOTS") or tmp_path)


@pytest.mark.parametrize(("locale", "width"), [("zh-CN", 1366), ("en-US", 1366), ("zh-CN", 390), ("en-US", 390)])
def test_synonyms_and_the_reasons_of_suggestions(
    chromium, app, live_server, tenant, make_user, tmp_path, locale, width
):
    admin, _ = make_user("admin", email="admin@acme.example.com", name="王店长")
    get_host().set_enabled(tenant, "knowledge", enabled=True)
    thesaurus.replace(tenant, thesaurus.parse("大促 双十一 双11\n"), Actor.of(admin))
    articles.create(
        tenant, {"title": "优惠券怎么使用", "body": "在结算页选择可用的优惠券即可抵扣。", "status": "published"}, admin
    )
    ticket, _ = tickets.create(tenant, {"subject": "满减券用不了"}, Actor.system("channel:api"))
    context, page, shots = _browser(chromium, locale, width, tmp_path)
    try:
        sign_in(page, live_server, admin.email)
        page.goto(f"{live_server}/console/knowledge-synonyms/")
        assert "大促 双十一 双11" in page.input_value("textarea[name=groups]")
        assert page.locator("#builtin-groups li").count() > 40
        assert ("内置电商词表" if locale == "zh-CN" else "Built-in e-commerce vocabulary") in page.inner_text("body")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(shots / f"kb-synonyms-{locale}-{width}.png"), full_page=True)
        page.goto(f"{live_server}/console/knowledge/")
        assert page.locator("#kb-articles").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the article list scrolls sideways"
        page.screenshot(path=str(shots / f"kb-list-{locale}-{width}.png"), full_page=True)
        page.goto(f"{live_server}/console/tickets/{ticket.id}")
        why = page.inner_text(".kb-why")
        assert ("同义词" if locale == "zh-CN" else "synonyms") in why
        assert "优惠券" in why
        page.screenshot(path=str(shots / f"kb-ticket-{locale}-{width}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "width"), [("zh-CN", 1366), ("en-US", 390)])
def test_why_names_the_tenth_rounds_intent_and_english_translations(
    chromium, app, live_server, tenant, make_user, tmp_path, locale, width
):
    """A ticket counting fewer pieces than ordered is read as such (件数不足 / fewer pieces), and an
    English ticket says which Chinese words its English found — in the reader's language."""
    admin, _ = make_user("admin", email="admin@acme.example.com", name="王店长")
    get_host().set_enabled(tenant, "knowledge", enabled=True)
    for title, body in (
        ("少发漏发怎么处理", "收到商品件数不足，请拍下外箱和面单，客服核实后补发。"),
        ("木塞断了怎么办", "开瓶时软木塞断裂，可用开瓶器斜插取出。"),
    ):
        articles.create(tenant, {"title": title, "body": body, "status": "published"}, admin)
    short, _ = tickets.create(tenant, {"subject": "一套12本 数了两遍只有11本"}, Actor.system("channel:api"))
    cork, _ = tickets.create(tenant, {"subject": "cork snapped while opening"}, Actor.system("channel:api"))
    context, page, shots = _browser(chromium, locale, width, tmp_path)
    try:
        sign_in(page, live_server, admin.email)
        page.goto(f"{live_server}/console/tickets/{short.id}")
        why = page.inner_text(".kb-why")
        assert ("件数不足" if locale == "zh-CN" else "fewer pieces than ordered") in why
        assert "short-count" not in why  # never the intent's code name
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(shots / f"kb-why-count-{locale}-{width}.png"), full_page=True)
        page.goto(f"{live_server}/console/tickets/{cork.id}")
        why = page.inner_text(".kb-why")
        assert "软木塞" in why
        assert ("英文理解为" if locale == "zh-CN" else "English read as") in why
        page.screenshot(path=str(shots / f"kb-why-english-{locale}-{width}.png"), full_page=True)
    finally:
        context.close()


def _intents_read(chromium, live_server, tenant, make_user, tmp_path, locale, width, shelf, cases):
    """Publish the `shelf` articles, open a ticket per case `(subject, intent, zh, en)` and check
    that its suggestions say what it was read as in the reader's language, never the intent's
    code name, without a sideways scroll; a screenshot of each."""
    admin, _ = make_user("admin", email="admin@acme.example.com", name="王店长")
    get_host().set_enabled(tenant, "knowledge", enabled=True)
    for title, body in shelf:
        articles.create(tenant, {"title": title, "body": body, "status": "published"}, admin)
    opened = [
        (tickets.create(tenant, {"subject": subject}, Actor.system("channel:api"))[0], rest) for subject, *rest in cases
    ]
    context, page, shots = _browser(chromium, locale, width, tmp_path)
    try:
        sign_in(page, live_server, admin.email)
        for ticket, (name, zh, en) in opened:
            page.goto(f"{live_server}/console/tickets/{ticket.id}")
            why = page.inner_text(".kb-why")
            assert (zh if locale == "zh-CN" else en) in why
            assert name not in why
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(shots / f"kb-why-{name}-{locale}-{width}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize(("locale", "width"), [("en-US", 1366), ("zh-CN", 390)])
def test_why_names_the_eleventh_rounds_intents(chromium, app, live_server, tenant, make_user, tmp_path, locale, width):
    """A ticket asking for its money before the return arrives is read as 退货未到先退款 / a refund
    before the return arrives, and one missing a promised gift as 说好的配件或赠品没收到 — in the
    reader's language, never the intent's code name."""
    shelf = (
        ("极速退款说明", "信用良好的用户填写退货单号后即可先退款，无需等待仓库收货。"),
        ("少件漏发处理", "收到的商品或赠品少件漏发，请拍照联系客服，核实后24小时内补发。"),
    )
    cases = (
        (
            "包裹才刚寄出去，能不能不等你们收到就先把钱给我",
            "fast-refund",
            "退货未到先退款",
            "a refund before the return arrives",
        ),
        ("说好送的收纳袋盒子里没有", "missing-part", "说好的配件或赠品没收到", "a promised part or gift missing"),
    )
    _intents_read(chromium, live_server, tenant, make_user, tmp_path, locale, width, shelf, cases)


@pytest.mark.parametrize(("locale", "width"), [("zh-CN", 1366), ("en-US", 390)])
def test_why_names_the_fifteenth_rounds_intents(chromium, app, live_server, tenant, make_user, tmp_path, locale, width):
    """A cheap item the buyer asks to keep is read as 仅退款，不寄回商品 / a refund without sending the
    goods back, and a return approved but not yet posted as 退货已同意但尚未寄回."""
    shelf = (
        ("仅退款的适用条件", "低价商品出现质量问题，可申请仅退款，无需寄回。"),
        ("退货寄回时限", "退货申请通过后请在7天内寄回并填写单号，超时未寄回申请将自动关闭。"),
    )
    cases = (
        (
            "It only cost 9 yuan, do I really have to send it back to get my money?",
            "refund-only",
            "仅退款，不寄回商品",
            "a refund without sending the goods back",
        ),
        (
            "退货申请已经通过了 这两天忙还没寄 过几天再寄行不行",
            "return-late",
            "退货已同意但尚未寄回",
            "a return approved but not yet sent back",
        ),
    )
    _intents_read(chromium, live_server, tenant, make_user, tmp_path, locale, width, shelf, cases)
