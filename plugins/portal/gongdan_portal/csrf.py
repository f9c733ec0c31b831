"""CSRF protection of every portal form: a signed double-submit token.

The visitor's browser holds a random id in a cookie scoped to the portal; each form carries
that id signed with the installation's key. A forged cross-site form cannot read the cookie,
so it cannot carry a matching token. (The console's Flask-WTF token lives in the console's
session, which the portal does not touch.)
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from gongdan import crypto
from gongdan_portal.identity import ClockedSerializer

COOKIE = "gongdan_portal_csrf"
FIELD = "csrf_token"
MAX_AGE = 8 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return ClockedSerializer(crypto.derive("portal.csrf").hex(), salt="gongdan-portal-csrf")


def _browser_id() -> str:
    if "portal_csrf_id" not in g:
        known = request.cookies.get(COOKIE, "")
        g.portal_csrf_id = known if 20 <= len(known) <= 64 else secrets.token_urlsafe(24)
    return g.portal_csrf_id


def token() -> str:
    """The token to put in a form's hidden `csrf_token` field."""
    return _serializer().dumps(_browser_id())


def valid() -> bool:
    """Whether this POST carries a token matching the browser's cookie."""
    sent = request.form.get(FIELD) or request.headers.get("X-CSRFToken") or ""
    try:
        signed_id = _serializer().loads(sent, max_age=MAX_AGE)
    except BadSignature:
        return False
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(str(signed_id), cookie)


def keep_cookie(response: Any, path: str) -> None:
    """Set the browser id cookie when this request made one."""
    made = g.get("portal_csrf_id")
    if made and made != request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, made, path=path, httponly=True, samesite="Lax", secure=request.is_secure)
