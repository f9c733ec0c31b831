"""Sign-in and sessions over HTTP: parallel guesses against a real server, throttling, revoked and
idle sessions, cookie flags and security headers, two-factor sign-in, expiring tokens."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pyotp
import pytest
import requests
from werkzeug.serving import make_server

from gongdan import accounts
from gongdan.config import Settings
from gongdan.models import Tenant, TicketEvent, User
from gongdan.testing import TEST_PASSWORD, ApiClient
from gongdan.web import create_app

from .conftest import Console, csrf_of

GUESSES = 39


@pytest.fixture
def serve(gongdan_db: Any) -> Iterator[Any]:
    """`serve(**settings)` → the base URL of the app with those settings, served over real HTTP."""
    running = []

    def start(**settings: Any) -> str:
        server = make_server("127.0.0.1", 0, create_app(replace(Settings.from_env(), **settings)), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in running:
        server.shutdown()
        thread.join(timeout=10)


def login_form(base: str) -> tuple[requests.Session, str]:
    """A browser-like session that has opened the sign-in page, and its CSRF token."""
    session = requests.Session()
    return session, csrf_of(session.get(f"{base}/console/login", timeout=10).text)


def test_parallel_wrong_passwords_cannot_beat_the_lock_out(serve, make_user):
    """H1: 39 wrong passwords at once, then the right one: it is refused while the account is locked."""
    user, _ = make_user("agent")
    base = serve(login_limit_per_account=1000, login_limit_per_ip=1000)
    forms = [login_form(base) for _ in range(GUESSES)]
    start = threading.Barrier(GUESSES)

    def guess(n: int) -> int:
        session, token = forms[n]
        start.wait()
        data = {"email": user.email, "password": f"guess-{n}", "csrf_token": token}
        return session.post(f"{base}/console/login", data=data, allow_redirects=False, timeout=60).status_code

    with ThreadPoolExecutor(GUESSES) as pool:
        assert set(pool.map(guess, range(GUESSES))) == {401}
    session, token = login_form(base)
    data = {"email": user.email, "password": TEST_PASSWORD, "csrf_token": token}
    right = session.post(f"{base}/console/login", data=data, allow_redirects=False, timeout=10)
    assert right.status_code == 401
    assert "locked" in right.text
    assert User.get_by_id(user.id).locked_until is not None
    assert TicketEvent.select().where(TicketEvent.kind == "auth.locked").count() == 1


def test_sign_in_is_throttled_per_account_for_every_process(serve, make_user):
    user, _ = make_user("agent")
    first, second = serve(login_limit_per_account=2), serve(login_limit_per_account=2)  # two "web processes"
    answers = []
    for base in (first, second, first):
        session, token = login_form(base)
        data = {"email": user.email, "password": "wrong-password", "csrf_token": token}
        answers.append(session.post(f"{base}/console/login", data=data, allow_redirects=False, timeout=10))
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert "Too many sign-in attempts" in answers[-1].text


def test_unknown_and_real_addresses_get_the_same_refusals(console, make_user):
    """M8: 'locked' is said after five failures whether the account exists or not."""
    user, _ = make_user("agent")
    browser = console()
    for n in range(5):
        real = browser.login(user.email, f"wrong-{n}").get_data(as_text=True)
        ghost = browser.login("nobody@acme.example.com", f"wrong-{n}").get_data(as_text=True)
        assert re.search('id="login-error">([^<]*)', real)[1] == re.search('id="login-error">([^<]*)', ghost)[1]
    assert "locked" in real


def copy_of(browser: Console, app: Any) -> Console:
    """A second client carrying a copy of `browser`'s session cookie (a stolen cookie)."""
    thief = Console(app)
    thief.client.set_cookie("session", browser.client.get_cookie("session").value)
    return thief


def test_signing_out_ends_copied_sessions_too(app, signed_in):
    _, browser = signed_in("agent")
    thief = copy_of(browser, app)
    assert thief.get("/console/").status_code == 200
    assert browser.post("/console/logout").status_code == 302
    assert thief.get("/console/").status_code == 302
    assert TicketEvent.select().where(TicketEvent.kind == "auth.logout").count() == 1


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, signed_in):
    user, browser = signed_in("agent")
    thief = copy_of(browser, app)
    weak = browser.post(
        "/console/account/password",
        {"current_password": TEST_PASSWORD, "new_password": "woaini1314", "repeat_password": "woaini1314"},
    )
    assert weak.status_code == 302
    assert "too common" in browser.text("/console/account/")
    assert thief.get("/console/").status_code == 200  # nothing changed yet
    new = "lantern-harbour-93"
    browser.post(
        "/console/account/password", {"current_password": TEST_PASSWORD, "new_password": new, "repeat_password": new}
    )
    assert "Password changed" in browser.text("/console/account/")
    assert thief.get("/console/").status_code == 302
    assert browser.get("/console/").status_code == 200
    assert accounts.check_password(User.get_by_id(user.id), new)


def test_the_password_rules_are_explained_in_chinese(signed_in):
    _, browser = signed_in("agent")
    browser.post("/console/language", {"lang": "zh_CN"})
    browser.post(
        "/console/account/password",
        {"current_password": TEST_PASSWORD, "new_password": "short", "repeat_password": "short"},
    )
    assert "至少" in browser.text("/console/account/")


def test_an_idle_session_ends(signed_in, frozen_clock):
    _, browser = signed_in("agent")
    frozen_clock.advance(hours=7)
    assert browser.get("/console/").status_code == 200  # activity restarts the idle clock
    frozen_clock.advance(hours=7)
    assert browser.get("/console/").status_code == 200
    frozen_clock.advance(hours=8, minutes=1)
    assert browser.get("/console/").status_code == 302


def test_cookie_flags_and_security_headers(app, make_user, gongdan_db):
    user, _ = make_user("agent")
    page = app.test_client().get("/console/login")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    browser = Console(app)
    signed = browser.login(user.email).headers["Set-Cookie"]
    assert "SameSite=Lax" in signed
    assert "HttpOnly" in signed
    assert "Secure" not in signed  # plain HTTP, `auto`
    behind_tls = create_app(replace(Settings.from_env(), proxy_hops=1))
    proxied = behind_tls.test_client().get("/console/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in proxied.headers["Set-Cookie"]


def test_console_pages_name_their_scripts_nonce(signed_in):
    """Flask-Admin's script tags carry the policy's nonce, so its inline form helpers may run."""
    _, browser = signed_in("admin")
    response = browser.get("/console/users/new/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
    tags = re.findall(r"<script[^>]*>", response.get_data(as_text=True))
    assert any("jquery" in tag and f'nonce="{nonce}"' in tag for tag in tags)
    assert not re.search(r"<script(?![^>]*\b(src|nonce)=)[^>]*>(?!</script>)", response.get_data(as_text=True))


def enrol(browser: Console) -> tuple[str, list[str]]:
    """Turn two-factor on from the account page; returns the secret and the recovery codes."""
    page = browser.text("/console/account/")
    assert "<svg" in page  # the QR code, drawn here
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)[1]
    shown = browser.post("/console/account/2fa/enable", {"code": pyotp.TOTP(secret).now()})
    assert shown.status_code == 200
    codes = re.search(r'id="recovery-codes">.*?<pre[^>]*>(.*?)</pre>', shown.get_data(as_text=True), re.S)[1].split()
    return secret, codes


def test_two_factor_sign_in_with_an_app_code_or_a_recovery_code(console, signed_in):
    user, browser = signed_in("agent")
    secret, codes = enrol(browser)
    assert len(codes) == 10
    assert TicketEvent.select().where(TicketEvent.kind == "auth.2fa_enabled").count() == 1
    again = console()
    first = again.login(user.email)
    assert first.status_code == 302
    assert "/console/login/second-factor" in first.headers["Location"]
    assert again.get("/console/").status_code == 302  # not signed in yet
    assert again.post("/console/login/second-factor", {"code": "000000"}).status_code == 401
    assert again.post("/console/login/second-factor", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert again.get("/console/").status_code == 200
    spare = console()
    spare.login(user.email)
    assert spare.post("/console/login/second-factor", {"code": codes[0]}).status_code == 302
    reuse = console()
    reuse.login(user.email)
    assert reuse.post("/console/login/second-factor", {"code": codes[0]}).status_code == 401


def test_a_tenant_can_require_two_factor_of_its_admins(signed_in, tenant):
    _, admin = signed_in("admin")
    _, agent = signed_in("agent")
    admin.post("/console/account/tenant-rule", {"require_admin_2fa": "y"})
    assert Tenant.get_by_id(tenant.id).require_admin_2fa
    blocked = admin.get("/console/tickets/")
    assert blocked.status_code == 302
    assert blocked.headers["Location"].endswith("/console/account/")
    assert agent.get("/console/tickets/").status_code == 200  # agents are not asked
    enrol(admin)
    assert admin.get("/console/tickets/").status_code == 200


def test_an_expired_token_is_refused(client, tenant, frozen_clock):
    user = accounts.create_user(tenant, "bot@acme.example.com", "agent")
    row, token = accounts.create_token(user, "nightly export", expires_in_days=1)
    api = ApiClient(client, token, user)
    assert api.get("/api/v1/users/me").status_code == 200
    frozen_clock.advance(days=1, seconds=1)
    refused = api.get("/api/v1/users/me")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    created = TicketEvent.get(TicketEvent.kind == "token.created")
    assert created.data["expires_at"] == row.expires_at.isoformat()
    assert token not in str(created.data)
