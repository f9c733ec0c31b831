"""The console under its Content-Security-Policy in a real Chromium: nothing of ours is blocked,
confirmations still ask, and two-factor sign-in can be set up from the account page."""

from __future__ import annotations

import pyotp
import pytest

from gongdan.testing import TEST_PASSWORD

pytestmark = pytest.mark.browser
PAGES = (
    "/console/",
    "/console/tickets/",
    "/console/users/",
    "/console/teams/",
    "/console/categories/",
    "/console/account/",
)


def test_console_pages_run_under_the_policy_and_two_factor_is_set_up(live_server, page, make_user):
    admin, _ = make_user("admin", email="admin@acme.example.com")
    blocked: list[str] = []
    page.on(
        "console", lambda m: blocked.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None
    )
    page.goto(f"{live_server}/console/login")
    page.fill("#email", admin.email)
    page.fill("#password", TEST_PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#console-user")
    for path in PAGES:
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
    assert blocked == []
    assert page.locator("#totp-qr svg").is_visible()  # drawn by the server, no outside service
    secret = page.inner_text("#totp-secret")
    page.fill("#enable-2fa-form input[name=code]", pyotp.TOTP(secret).now())
    page.click("#enable-2fa")
    assert len(page.inner_text("#recovery-codes pre").split()) == 10
    page.goto(f"{live_server}/console/teams/new/")
    page.fill("#name", "售后组")
    page.click("input[type=submit]")
    page.goto(f"{live_server}/console/teams/")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("form.icon button")  # Flask-Admin's delete: its inline confirm is blocked, console.js asks
    assert asked
    assert "售后组" in page.inner_text("body")  # dismissed: not deleted
