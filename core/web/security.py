"""Browser-facing protections: session cookie flags, proxy headers, and security headers.

* The session cookie is HttpOnly and SameSite=Lax always; Secure per `GONGDAN_SECURE_COOKIES`
  (`on`, `off`, or `auto`: Secure when the request came over HTTPS, which behind a TLS proxy
  needs `GONGDAN_PROXY_HOPS` so that `X-Forwarded-Proto` is believed).
* `GONGDAN_PROXY_HOPS=N` trusts N proxies' `X-Forwarded-For/-Proto/-Host/-Port` (werkzeug's
  ProxyFix): the client address the sign-in throttle counts and the scheme come from them.
* The REST API (`/api/`) opens no session: bearer tokens only, the cookie is neither read nor set.
* Every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`,
  `X-Frame-Options: DENY`. Console pages also get a Content-Security-Policy that allows only
  the site's own scripts and those carrying the request's nonce (`csp_nonce()`); portal pages
  one that allows only the site's own scripts (the portal has no inline script).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from gongdan.config import Settings

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
CSP_PATHS = ("/console",)
PORTAL_PATH = "/portal"
API_PATH = "/api/"
# the one inline handler Flask-Admin's filter menu carries (`onclick="return false;"`), allowed by its hash
ALLOWED_HANDLER = "'sha256-" + base64.b64encode(hashlib.sha256(b"return false;").digest()).decode() + "'"
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'unsafe-hashes' " + ALLOWED_HANDLER + "; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The customer portal: its own scripts only (no inline script, no handler), the tenant's colour as an
# inline style, and pictures of public articles that may be hosted elsewhere over HTTPS.
PORTAL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, Secure when the settings or the request's scheme say so."""

    def open_session(self, app: Flask, request: Any) -> Any:
        """No session on the REST API (`/api/`): it authenticates by bearer token alone, so its
        requests neither read nor refresh the console's cookie (Flask gives them a null session)."""
        if request.path.startswith(API_PATH):
            return None
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        """`on`: always; `off`: never; `auto`: when this request came over HTTPS."""
        mode = app.config["GONGDAN_SETTINGS"].secure_cookies
        if mode == "auto":
            return has_request_context() and request.is_secure
        return mode == "on"


def csp_nonce() -> str:
    """This request's script nonce (the same for every call during a request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_security(app: Flask, settings: Settings) -> None:
    """Cookie flags, proxy trust and security headers for `app` (see the module docstring)."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies == "on",
    )
    app.session_interface = SessionInterface()
    if settings.proxy_hops > 0:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(_security_headers)


def _security_headers(response: Any) -> Any:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith(CSP_PATHS) and response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
    elif request.path.startswith(PORTAL_PATH) and response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", PORTAL_CSP)
    return response
