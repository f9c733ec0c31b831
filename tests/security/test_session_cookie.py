"""No secret in the console's session cookie: it is signed, not encrypted, so whoever holds it
(a shared computer, a proxy's log, a browser extension) reads it with base64. The 2FA seed being
enrolled and a new webhook's signing secret wait on the server (`gongdan.pending_secrets`)."""

from __future__ import annotations

import base64
import json
import re
import zlib
from typing import Any

import pyotp

from gongdan.models import PendingSecret, User
from gongdan.testing import ConsoleClient

SEED = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')
HOOK_SECRET = re.compile(r"shown only now: ([A-Za-z0-9_-]{20,})")


def cookie_text(console: ConsoleClient) -> str:
    """The session cookie's content as anyone holding it reads it: no key, only base64 (and zlib)."""
    cookie = console.client.get_cookie("session")
    if cookie is None:
        return ""
    payload = cookie.value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if cookie.value.startswith(".") else raw).decode("utf-8")
    json.loads(text)  # it really is the session's content
    return text


def test_the_2fa_seed_being_enrolled_is_not_in_the_session_cookie(app: Any, make_user: Any) -> None:
    user, _ = make_user("admin")
    console = ConsoleClient(app, user)
    page = console.text("/console/account/")
    seed = SEED.search(page).group(1)
    assert seed not in cookie_text(console)
    assert SEED.search(console.text("/console/account/")).group(1) == seed  # the same seed on reload
    assert seed not in cookie_text(console)

    wrong = "000000" if pyotp.TOTP(seed).now() != "000000" else "111111"
    assert console.post("/console/account/2fa/enable", {"code": wrong}).status_code == 302
    assert seed not in cookie_text(console)
    done = console.post("/console/account/2fa/enable", {"code": pyotp.TOTP(seed).now()})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.headers["Cache-Control"] == "no-store"
    assert seed not in cookie_text(console)
    assert User.get_by_id(user.id).totp_secret == seed
    assert PendingSecret.select().count() == 0  # deleted once used


def test_a_new_webhooks_secret_is_shown_once_and_never_in_the_session_cookie(
    app: Any, tenant: Any, make_user: Any, enable_plugin: Any, outbound_loopback: str
) -> None:
    enable_plugin("automation")
    user, _ = make_user("admin")
    console = ConsoleClient(app, user)
    made = console.post("/console/automation/webhooks/", {"url": "http://127.0.0.1:9/hook"})
    assert made.status_code == 302, made.get_data(as_text=True)
    held = cookie_text(console)
    page = console.get(made.headers["Location"])
    assert page.headers["Cache-Control"] == "no-store"
    secret = HOOK_SECRET.search(page.get_data(as_text=True)).group(1)
    from gongdan_automation.models import Subscription

    assert Subscription.get(Subscription.tenant == tenant).secret == secret
    assert secret not in held
    assert secret not in cookie_text(console)
    assert secret not in console.text("/console/automation/webhooks/")  # not again on reload
    assert PendingSecret.select().count() == 0
