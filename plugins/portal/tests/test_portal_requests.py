"""Identity, my requests, the public timeline, replies, close/reopen and isolation (both databases)."""

from __future__ import annotations

import io
import re
from typing import Any

from gongdan_portal import identity
from gongdan_portal.channel import ticket_url

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import Attachment, Comment, Ticket


def signed_in(browser: Any, tenant: Any, email: str) -> Any:
    """Sign `browser` in with a fresh link for `email`."""
    issued = identity.issue_sign_in(tenant, email)
    response = browser.get(f"/signin/{issued.link_token}")
    assert response.status_code == 302
    return browser


def test_sign_in_link_works_once(browser: Any, tenant: Any, customer_ticket: Any) -> None:
    mine = customer_ticket("buyer@example.com", "我的订单没收到")
    issued = identity.issue_sign_in(tenant, "buyer@example.com")
    assert browser.get(f"/signin/{issued.link_token}").status_code == 302
    assert "我的订单没收到" in browser.text("/requests")
    assert f"/requests/{mine.id}" in browser.text("/requests")
    again = browser.get(f"/signin/{issued.link_token}")
    assert again.status_code == 400
    assert "expired or was used already" in again.get_data(as_text=True)


def test_sign_in_link_expires_after_15_minutes(browser: Any, tenant: Any, frozen_clock: Any) -> None:
    issued = identity.issue_sign_in(tenant, "buyer@example.com")
    frozen_clock.advance(minutes=16)
    assert browser.get(f"/signin/{issued.link_token}").status_code == 400


def test_six_digit_code_signs_in_once_and_tries_are_limited(
    browser: Any, make_browser: Any, tenant: Any, customer_ticket: Any
) -> None:
    customer_ticket("buyer@example.com", "包裹破损")
    issued = identity.issue_sign_in(tenant, "buyer@example.com")
    assert len(issued.code) == 6
    assert issued.code.isdigit()
    browser.get("/")
    wrong = str((int(issued.code) + 1) % 1_000_000).zfill(6)
    bad = browser.post("/signin/code", {"challenge": issued.challenge, "email": "buyer@example.com", "code": wrong})
    assert bad.status_code == 422
    good = browser.post("/signin/code", {"challenge": issued.challenge, "email": "x", "code": issued.code})
    assert good.status_code == 302
    assert "包裹破损" in browser.text("/requests")
    other = make_browser()
    other.get("/")
    reused = other.post("/signin/code", {"challenge": issued.challenge, "code": issued.code})
    assert reused.status_code == 422, "a code works once"
    fresh = identity.issue_sign_in(tenant, "buyer@example.com")
    codes = [
        other.post("/signin/code", {"challenge": fresh.challenge, "code": wrong if wrong != fresh.code else "000000"})
        for _ in range(6)
    ]
    assert [c.status_code for c in codes] == [422] * 5 + [429]


def test_the_link_of_another_tenant_does_not_sign_in(
    browser: Any, other_tenant: Any, portal: Any, customer_ticket: Any
) -> None:
    portal(in_tenant=other_tenant)
    issued = identity.issue_sign_in(other_tenant, "buyer@example.com")
    assert browser.get(f"/signin/{issued.link_token}").status_code == 400


def test_sign_in_page_says_when_no_mail_can_be_sent(browser: Any) -> None:
    html = browser.text("/signin")
    assert "Signing in by e-mail is not available" in html


def test_a_customer_sees_only_their_own_tickets(
    browser: Any, tenant: Any, other_tenant: Any, portal: Any, customer_ticket: Any
) -> None:
    mine = customer_ticket("buyer@example.com", "我的")
    theirs = customer_ticket("other@example.com", "别人的")
    foreign = customer_ticket("buyer@example.com", "另一家店的", in_tenant=other_tenant)
    signed_in(browser, tenant, "BUYER@example.com")
    listing = browser.text("/requests")
    assert "我的" in listing
    assert "别人的" not in listing
    assert "另一家店的" not in listing
    assert browser.get(f"/requests/{mine.id}").status_code == 200
    for ticket_id in (theirs.id, foreign.id, 999_999, "abc"):
        for path in ("", "/reply", "/close", "/reopen", "/rate"):
            method = browser.get if path == "" else browser.post
            assert method(f"/requests/{ticket_id}{path}").status_code == 404, (ticket_id, path)


def test_another_tenants_file_is_404(browser: Any, tenant: Any, customer_ticket: Any) -> None:
    from gongdan import attachments

    theirs = customer_ticket("other@example.com", "别人的")
    row = attachments.store(tenant, b"secret", "a.txt", ticket=theirs)
    signed_in(browser, tenant, "buyer@example.com")
    assert browser.get(f"/files/{row.id}").status_code == 404


def test_access_link_opens_that_one_ticket_without_sign_in(
    browser: Any, tenant: Any, other_tenant: Any, customer_ticket: Any
) -> None:
    one = customer_ticket("buyer@example.com", "第一单")
    two = customer_ticket("buyer@example.com", "第二单")
    link = ticket_url(tenant, one)
    response = browser.get(link[link.index("/portal/") :])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/requests/{one.id}")
    assert "第一单" in browser.text(f"/requests/{one.id}")
    assert browser.get(f"/requests/{two.id}").status_code == 404
    forged = browser.get(f"/t/{identity.access_token(other_tenant.id, one.id)}")
    assert forged.status_code == 404


def test_my_requests_pages_newest_first_with_access_linked_tickets(
    browser: Any, tenant: Any, customer_ticket: Any, frozen_clock: Any
) -> None:
    shared = customer_ticket("colleague@example.com", "同事的单")
    frozen_clock.advance(minutes=1)
    for n in range(20):
        customer_ticket("buyer@example.com", f"第{n:02d}单")
        frozen_clock.advance(minutes=1)
    customer_ticket("stranger@example.com", "陌生人的单")
    signed_in(browser, tenant, "buyer@example.com")
    link = ticket_url(tenant, shared)
    assert browser.get(link[link.index("/portal/") :]).status_code == 302
    first, second = browser.text("/requests"), browser.text("/requests?page=2")
    shown = re.findall(r"第(\d\d)单", first)
    assert shown == [f"{n:02d}" for n in range(19, -1, -1)], "newest first, 20 a page"
    assert "同事的单" not in first
    assert "/requests?page=2" in first
    assert "同事的单" in second, "the oldest, opened by its access link, is on page 2"
    assert re.findall(r"第(\d\d)单", second) == []
    assert "陌生人的单" not in first + second
    assert "/requests?page=3" not in second


def test_timeline_shows_public_replies_and_plain_statuses_only(
    browser: Any, tenant: Any, customer_ticket: Any, make_user: Any
) -> None:
    agent, _ = make_user("agent", name="小王")
    ticket = customer_ticket("buyer@example.com", "杯子碎了")
    tickets.comment(tenant, ticket, "内部：这个客户常退货", Actor.of(agent), internal=True)
    tickets.comment(tenant, ticket, "非常抱歉，我们马上补发。", Actor.of(agent))
    tickets.transition(tenant, ticket, "pending", Actor.of(agent))
    tickets.record_event(tenant, ticket, "sla.warning", {"target": "resolution"}, Actor.system("plugin:sla"))
    signed_in(browser, tenant, "buyer@example.com")
    html = browser.text(f"/requests/{ticket.id}")
    assert "非常抱歉，我们马上补发。" in html
    assert "小王" in html
    assert "内部" not in html
    assert "sla" not in html.lower()
    assert agent.email not in html
    assert "Awaiting your reply" in html
    assert "Status: In progress" in html
    assert "pending" not in re.sub(r'class="[^"]*"', "", html), "no raw status codes in what the customer reads"
    browser.lang = "zh-CN"
    zh = browser.text(f"/requests/{ticket.id}")
    assert "等待您回复" in zh
    assert "状态：处理中" in zh


def test_customer_reply_with_a_file_reopens_a_pending_ticket(
    browser: Any, tenant: Any, customer_ticket: Any, make_user: Any
) -> None:
    agent, _ = make_user("agent")
    ticket = customer_ticket("buyer@example.com")
    tickets.comment(tenant, ticket, "请提供照片", Actor.of(agent))
    tickets.transition(tenant, ticket, "pending", Actor.of(agent))
    signed_in(browser, tenant, "buyer@example.com")
    browser.get(f"/requests/{ticket.id}")
    response = browser.post(
        f"/requests/{ticket.id}/reply",
        {"body": "照片在附件里", "files": (io.BytesIO(b"hello photo"), "note.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    comment = Comment.get(Comment.body == "照片在附件里")
    assert comment.from_customer
    assert not comment.internal
    assert Ticket.get_by_id(ticket.id).status == "open"
    assert [a.filename for a in Attachment.select().where(Attachment.comment == comment.id)] == ["note.txt"]
    assert "note.txt" in browser.text(f"/requests/{ticket.id}")


def test_close_and_reopen_within_the_window_only(
    browser: Any, tenant: Any, portal: Any, customer_ticket: Any, frozen_clock: Any
) -> None:
    portal({"reopen_days": 3})
    ticket = customer_ticket("buyer@example.com")
    signed_in(browser, tenant, "buyer@example.com")
    browser.get(f"/requests/{ticket.id}")
    assert browser.post(f"/requests/{ticket.id}/close").status_code == 302
    assert Ticket.get_by_id(ticket.id).status == "resolved"
    assert browser.post(f"/requests/{ticket.id}/reopen").status_code == 302
    assert Ticket.get_by_id(ticket.id).status == "open"
    browser.post(f"/requests/{ticket.id}/close")
    frozen_clock.advance(days=4)
    browser.get(f"/requests/{ticket.id}")  # a fresh form (its CSRF token lasts hours, not days)
    late = browser.post(f"/requests/{ticket.id}/reopen")
    assert late.status_code == 409
    assert "can no longer be reopened" in late.get_data(as_text=True)
    assert browser.post(f"/requests/{ticket.id}/reply", {"body": "还在吗"}).status_code == 409
    assert browser.post(f"/requests/{ticket.id}/close").status_code == 302
    assert Ticket.get_by_id(ticket.id).status == "closed"


def test_sign_out_forgets_the_visitor(browser: Any, tenant: Any, customer_ticket: Any) -> None:
    ticket = customer_ticket("buyer@example.com")
    signed_in(browser, tenant, "buyer@example.com")
    browser.get("/requests")
    assert browser.post("/signout").status_code == 302
    assert browser.get(f"/requests/{ticket.id}").status_code == 404


def test_portal_cookie_is_not_the_console_session(browser: Any, tenant: Any) -> None:
    issued = identity.issue_sign_in(tenant, "buyer@example.com")
    response = browser.get(f"/signin/{issued.link_token}")
    cookies = response.headers.getlist("Set-Cookie")
    portal_cookie = [c for c in cookies if c.startswith(identity.SESSION_COOKIE + "=")]
    assert portal_cookie
    assert "Path=/portal/acme/" in portal_cookie[0]
    assert "HttpOnly" in portal_cookie[0]
    assert not any(c.startswith("session=") for c in cookies)


def test_expected_reply_time_from_the_sla_plugin(
    browser: Any, tenant: Any, enable_plugin: Any, customer_ticket: Any, frozen_clock: Any
) -> None:
    from gongdan_sla.policies import save_calendars, save_policies

    enable_plugin("sla")
    week = {str(d): [["09:00", "18:00"]] for d in range(7)}
    save_calendars(tenant, {"items": [{"name": "default", "weekly": week}]})
    save_policies(tenant, {"items": [{"name": "all", "first_response": 60, "resolution": 480}]})
    ticket = customer_ticket("buyer@example.com")
    signed_in(browser, tenant, "buyer@example.com")
    html = browser.text(f"/requests/{ticket.id}")
    assert "You can expect our reply by 2026-11-02 11:00." in html


def test_a_merged_request_points_to_where_the_conversation_went(
    browser: Any, tenant: Any, customer_ticket: Any, make_user: Any
) -> None:
    """The customer's duplicate was merged into their other request: its page says so and links there
    (opened through the duplicate's access link alone); another customer's survivor is not shown."""
    from gongdan_portal import identity

    from gongdan import merge

    lead, _ = make_user("supervisor")
    keeper = customer_ticket("buyer@example.com", subject="快递没到")
    duplicate = customer_ticket("buyer@example.com", subject="快递还没到")
    merge.merge(tenant, duplicate, keeper, Actor.of(lead))
    assert browser.get(f"/t/{identity.access_token(tenant.id, duplicate.id)}").status_code == 302
    page = browser.text(f"/requests/{duplicate.id}")
    assert f"merged into request #{keeper.number}" in page
    assert "快递没到" in browser.text(f"/requests/{keeper.id}")
    stranger = customer_ticket("other@example.com", subject="别人的")
    mine = customer_ticket("buyer@example.com", subject="又一个")
    merge.merge(tenant, mine, stranger, Actor.of(lead))
    assert browser.get(f"/t/{identity.access_token(tenant.id, mine.id)}").status_code == 302
    assert "merged into request" not in browser.text(f"/requests/{mine.id}")
    assert browser.get(f"/requests/{stranger.id}").status_code == 404


ONE_PIXEL_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_files_are_downloads_except_safe_images_and_run_nothing(
    browser: Any, tenant: Any, customer_ticket: Any
) -> None:
    from gongdan import attachments

    mine = customer_ticket("buyer@example.com", "我的")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    files = {
        "x.svg": attachments.store(tenant, svg, "x.svg", ticket=mine),
        "x.html": attachments.store(tenant, b"<html><script>alert(1)</script></html>", "x.html", ticket=mine),
        "photo.png": attachments.store(tenant, ONE_PIXEL_PNG, "photo.png", ticket=mine),
    }
    signed_in(browser, tenant, "buyer@example.com")
    shown = {}
    for name, row in files.items():
        answer = browser.client.get(browser.url(f"/files/{row.id}"))  # bytes: not read as a page
        assert answer.status_code == 200
        assert "sandbox" in answer.headers["Content-Security-Policy"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        shown[name] = answer.headers["Content-Disposition"].split(";")[0]
    assert shown == {"x.svg": "attachment", "x.html": "attachment", "photo.png": "inline"}


def test_portal_pages_run_only_the_sites_own_scripts(browser: Any, tenant: Any, customer_ticket: Any) -> None:
    mine = customer_ticket("buyer@example.com", "我的")
    signed_in(browser, tenant, "buyer@example.com")
    for path in ("/requests", f"/requests/{mine.id}", "/new"):
        answer = browser.get(path)
        assert answer.status_code == 200, path
        policy = dict(part.strip().split(" ", 1) for part in answer.headers["Content-Security-Policy"].split(";"))
        assert policy["script-src"] == "'self'", path  # no inline script, no handler attribute runs
        assert policy["object-src"] == "'none'", path
        assert policy["frame-ancestors"] == "'none'", path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", answer.get_data(as_text=True)), path
