"""The help centre and the submit form, through HTTP (both databases)."""

from __future__ import annotations

import io
from typing import Any

from gongdan_portal.models import Deflection

from gongdan import categories
from gongdan.models import Attachment, Ticket

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_home_answers_in_the_browser_language_with_a_switch(browser: Any) -> None:
    english = browser.get("/")
    assert english.status_code == 200
    assert "How can we help?" in english.get_data(as_text=True)
    browser.lang = "zh-CN,zh;q=0.9"
    chinese = browser.text("/")
    assert "有什么可以帮您" in chinese
    switched = browser.get("/?lang=en")
    assert "How can we help?" in switched.get_data(as_text=True)
    assert "How can we help?" in browser.text("/"), "the switch is remembered in a cookie"


def test_portal_is_404_where_the_plugin_is_off_or_closed(client: Any, portal: Any, other_tenant: Any) -> None:
    assert client.get("/portal/globex/").status_code == 404
    assert client.get("/portal/nobody/").status_code == 404
    portal({"open": False})
    assert client.get("/portal/acme/").status_code == 404


def test_assets_are_local(browser: Any) -> None:
    html = browser.text("/new")
    assert "http://" not in html
    assert "https://" not in html
    assert browser.get("/portal/_static/portal.css").status_code == 200
    assert browser.get("/portal/_static/portal.js").status_code == 200


def test_submit_creates_a_portal_ticket_with_its_customer_and_photo(browser: Any, tenant: Any) -> None:
    categories.ensure(tenant, "售后/退货退款/质量问题")
    browser.get("/new")
    response = browser.post(
        "/new",
        {
            "subject": "杯子碎了",
            "description": "收到时已经碎了",
            "category": "售后/退货退款/质量问题",
            "order_number": "240101-123",
            "email": "Buyer@Example.com",
            "files": (io.BytesIO(PNG), "cup.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    ticket = Ticket.get(Ticket.subject == "杯子碎了")
    assert ticket.channel == "portal"
    assert ticket.category.path == "售后/退货退款/质量问题"
    assert "240101-123" in ticket.description
    assert ticket.customer.email == "buyer@example.com"
    files = list(Attachment.select().where(Attachment.ticket == ticket.id))
    assert [(f.filename, f.content_type) for f in files] == [("cup.png", "image/png")]
    page = browser.text(f"/requests/{ticket.id}")
    assert "杯子碎了" in page, "the submitting browser may follow its request"
    assert "cup.png" in page


def test_submit_explains_each_bad_field(browser: Any) -> None:
    browser.get("/new")
    response = browser.post("/new", {"subject": "", "order_number": "no spaces!", "email": "not-an-address"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please fill this in." in html
    assert "Letters, digits and dashes only." in html
    assert "This does not look like an e-mail address." in html
    assert Ticket.select().count() == 0


def test_submit_needs_a_way_to_reach_the_customer(browser: Any) -> None:
    browser.get("/new")
    response = browser.post("/new", {"subject": "Where is my parcel?"})
    assert response.status_code == 422
    assert "Give an e-mail address or a phone number" in response.get_data(as_text=True)


def test_submit_rejects_a_category_outside_the_public_part(browser: Any, portal: Any, tenant: Any) -> None:
    categories.ensure(tenant, "售后/退货退款/质量问题")
    categories.ensure(tenant, "内部/风控")
    portal({"public_categories": ["售后"]})
    page = browser.text("/new")
    assert "质量问题" in page
    assert "风控" not in page
    response = browser.post("/new", {"subject": "x", "email": "a@example.com", "category": "内部/风控"})
    assert response.status_code == 422
    assert "Please choose a category from the list." in response.get_data(as_text=True)


def test_forms_need_the_csrf_token(browser: Any) -> None:
    browser.get("/new")
    response = browser.post("/new", {"subject": "x", "email": "a@example.com"}, token=False)
    assert response.status_code == 400
    assert Ticket.select().count() == 0


def test_honeypot_gets_the_same_answer_and_no_ticket(browser: Any) -> None:
    browser.get("/new")
    response = browser.post("/new", {"subject": "cheap pills", "email": "bot@example.com", "website": "x"})
    assert response.status_code == 200
    assert "we received your request" in response.get_data(as_text=True)
    assert Ticket.select().count() == 0


def test_submit_is_limited_per_address(browser: Any) -> None:
    browser.get("/new")
    codes = [browser.post("/new", {"subject": f"s{i}", "email": "same@example.com"}).status_code for i in range(6)]
    assert codes == [200] * 5 + [429]


def test_too_many_files_are_refused_before_a_ticket_is_made(browser: Any) -> None:
    browser.get("/new")
    files = [(io.BytesIO(PNG), f"p{i}.png") for i in range(7)]
    response = browser.post(
        "/new", {"subject": "x", "email": "a@example.com", "files": files}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "At most 6 files." in response.get_data(as_text=True)
    assert Ticket.select().count() == 0


def test_known_customers_only_asks_strangers_to_sign_in(browser: Any, portal: Any) -> None:
    portal({"who_may_submit": "known_customers"})
    assert "Only customers we know may submit" in browser.text("/new")
    response = browser.post("/new", {"subject": "x", "email": "a@example.com"})
    assert response.status_code == 403
    assert Ticket.select().count() == 0


def test_deflection_is_counted_and_makes_no_ticket(
    browser: Any, tenant: Any, enable_plugin: Any, make_user: Any
) -> None:
    enable_plugin("knowledge")
    _, kb = make_user("supervisor")
    made = kb.post(
        "/api/v1/kb/articles",
        json={
            "title": "如何申请退货退款",
            "body": "在订单页点击申请退款。",
            "status": "published",
            "visibility": "public",
        },
    )
    article_id = made.get_json()["id"]
    found = browser.get("/suggest?q=退款").get_json()
    assert [i["id"] for i in found["items"]] == [article_id]
    browser.get("/new")
    response = browser.post("/deflect", {"article_id": article_id, "subject": "想退款"})
    assert response.status_code == 200
    assert [(d.tenant_id, d.article_id, d.subject) for d in Deflection.select()] == [(tenant.id, article_id, "想退款")]
    assert Ticket.select().count() == 0
