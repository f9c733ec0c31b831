"""Signing in and out: sessions, CSRF, lock-out, redirects."""

from __future__ import annotations

from gongdan.models import User
from gongdan.testing import TEST_PASSWORD

CONSOLE_PAGES = [
    "/console/",
    "/console/workspace/",
    "/console/tickets/",
    "/console/plugins/",
    "/console/users/",
    "/console/tenants/",
    "/console/audit/",
    "/console/tokens/",
]


def test_anonymous_visitors_are_sent_to_sign_in(console, tenant):
    anonymous = console()
    for page in CONSOLE_PAGES:
        response = anonymous.get(page)
        assert response.status_code == 302, page
        assert "/console/login" in response.headers["Location"], page


def test_sign_in_sign_out_and_refusals_that_do_not_say_which_part_was_wrong(console, make_user):
    user, _ = make_user("agent")
    browser = console()
    response = browser.login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/")
    page = browser.text("/console/")
    assert user.display_name in page
    assert User.get_by_id(user.id).last_login_at is not None
    assert browser.post("/console/logout").status_code == 302
    assert browser.get("/console/").status_code == 302
    user, _ = make_user("agent")
    browser = console()
    wrong = browser.login(user.email, "not-the-password")
    unknown = browser.login("nobody@example.com", "whatever1")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail or password" in wrong.get_data(as_text=True)
    assert "Wrong e-mail or password" in unknown.get_data(as_text=True)
    assert browser.get("/console/").status_code == 302


def test_five_failures_lock_the_account_until_the_lock_expires(console, make_user, frozen_clock):
    user, _ = make_user("agent")
    browser = console()
    for _ in range(5):
        assert browser.login(user.email, "bad-password").status_code == 401
    locked = User.get_by_id(user.id)
    assert locked.locked_until is not None
    refused = browser.login(user.email)
    assert refused.status_code == 401
    assert "locked" in refused.get_data(as_text=True)
    frozen_clock.advance(minutes=16)
    assert browser.login(user.email).status_code == 302
    assert User.get_by_id(user.id).failed_logins == 0


def test_console_posts_need_the_csrf_token_and_the_api_does_not(console, make_user, admin_api):
    user, _ = make_user("agent")
    browser = console()
    response = browser.post("/console/login", {"email": user.email, "password": TEST_PASSWORD}, csrf=False)
    assert response.status_code == 400
    signed = console(user)
    assert signed.post("/console/logout", csrf=False).status_code == 400
    assert signed.post("/console/teams/new/", {"name": "无令牌组"}, csrf=False).status_code == 400
    assert signed.post("/console/logout", {"csrf_token": "forged"}, csrf=False).status_code == 400
    assert signed.get("/console/").status_code == 200
    response = admin_api.post("/api/v1/categories", json={"path": "售后/退货退款/质量问题"})
    assert response.status_code == 201


def test_deactivated_users_cannot_sign_in_and_lose_their_session(console, make_user):
    user, _ = make_user("agent")
    browser = console(user)
    User.update(is_active=False).where(User.id == user.id).execute()
    assert browser.get("/console/").status_code == 302
    assert browser.login(user.email).status_code == 401


def test_next_only_redirects_inside_the_site(console, make_user):
    user, _ = make_user("agent")
    browser = console()
    inside = browser.post("/console/login?next=/console/tickets/", {"email": user.email, "password": TEST_PASSWORD})
    assert inside.headers["Location"].endswith("/console/tickets/")
    browser.post("/console/logout")
    outside = browser.post("/console/login?next=//evil.example.com/x", {"email": user.email, "password": TEST_PASSWORD})
    assert "evil" not in outside.headers["Location"]
