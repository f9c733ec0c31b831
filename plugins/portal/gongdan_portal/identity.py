"""Who the visitor is, without passwords: signed one-time sign-in links and codes, per-ticket
access links, and the portal's own session cookie (apart from the console's).

* A sign-in e-mail carries a link and a six-digit code. Both name one nonce; whichever is
  used first spends it (a row in `UsedToken`), and both expire after 15 minutes.
* The code is checked against a signed *challenge* the sign-in form keeps (the code's HMAC,
  never the code), so nothing waits in the database before it is used; five tries per challenge.
* A per-ticket access link opens that one ticket without signing in.
* The session cookie is signed, scoped to `/portal/<slug>/`, and lists the verified e-mail
  and the tickets opened by access links.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

import peewee
from flask import request
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from gongdan import clock, crypto
from gongdan.customers import normal_email
from gongdan.db import write_transaction
from gongdan.models import Tenant
from gongdan_portal.models import UsedToken

SIGN_IN_SECONDS = 15 * 60
ACCESS_SECONDS = 180 * 24 * 3600
SESSION_SECONDS = 14 * 24 * 3600
SESSION_COOKIE = "gongdan_portal"
MAX_ACCESS_TICKETS = 50


def _secret() -> str:
    """The portal's signing key, derived from the installation's root key (never in the database)."""
    return crypto.derive("portal.tokens").hex()


class ClockedSigner(TimestampSigner):
    """itsdangerous' timestamp signer on gongdan's clock (so expiry follows `gongdan.clock`)."""

    def get_timestamp(self) -> int:
        """Now, in whole seconds."""
        return int(clock.now().timestamp())


class ClockedSerializer(URLSafeTimedSerializer):
    """A URL-safe timed serializer whose timestamps come from `gongdan.clock`."""

    default_signer = ClockedSigner


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return ClockedSerializer(_secret(), salt=f"gongdan-portal-{purpose}")


# --- sign-in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """What one sign-in e-mail carries: the link's token, the code, and the form's challenge."""

    link_token: str
    code: str
    challenge: str


def _code_mac(nonce: str, code: str) -> str:
    return hmac.new(_secret().encode(), f"{nonce}:{code}".encode(), hashlib.sha256).hexdigest()[:32]


def issue_sign_in(tenant: Tenant, email: str) -> SignIn:
    """A fresh link token, six-digit code and challenge for `email` in `tenant`."""
    nonce = secrets.token_urlsafe(16)
    code = f"{secrets.randbelow(1_000_000):06d}"
    address = normal_email(email)
    link = _serializer("sign-in").dumps({"t": tenant.id, "e": address, "n": nonce})
    challenge = _serializer("code").dumps({"t": tenant.id, "e": address, "n": nonce, "h": _code_mac(nonce, code)})
    return SignIn(link_token=link, code=code, challenge=challenge)


def blank_challenge(tenant: Tenant, email: str) -> str:
    """A challenge no code opens, for addresses we sent nothing to (the page looks the same)."""
    return _serializer("code").dumps(
        {"t": tenant.id, "e": normal_email(email), "n": secrets.token_urlsafe(16), "h": ""}
    )


def _loads(purpose: str, token: str, max_age: int) -> dict[str, Any] | None:
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def challenge_nonce(tenant: Tenant, challenge: str) -> str | None:
    """The nonce of a still-valid challenge of `tenant` (for counting tries), else None."""
    data = _loads("code", challenge, SIGN_IN_SECONDS)
    return data["n"] if data and data.get("t") == tenant.id else None


def _spend(tenant: Tenant, nonce: str) -> bool:
    """Mark `nonce` used; False when it already was."""
    try:
        with write_transaction():
            UsedToken.create(tenant=tenant, nonce=nonce, used_at=clock.now())
    except peewee.IntegrityError:
        return False
    return True


def redeem_link(tenant: Tenant, token: str) -> str | None:
    """The verified e-mail of a sign-in link (spending it), or None: bad, expired or used."""
    data = _loads("sign-in", token, SIGN_IN_SECONDS)
    if not data or data.get("t") != tenant.id or not _spend(tenant, data["n"]):
        return None
    return data["e"]


def redeem_code(tenant: Tenant, challenge: str, code: str) -> str | None:
    """The verified e-mail when `code` opens `challenge` (spending it), else None."""
    data = _loads("code", challenge, SIGN_IN_SECONDS)
    if not data or data.get("t") != tenant.id or not data.get("h"):
        return None
    if not hmac.compare_digest(data["h"], _code_mac(data["n"], code.strip())):
        return None
    return data["e"] if _spend(tenant, data["n"]) else None


def forget_used(before: Any) -> int:
    """Delete spent nonces older than `before` (they are expired anyway)."""
    return UsedToken.delete().where(UsedToken.used_at < before).execute()


# --- per-ticket access --------------------------------------------------------------------


def access_token(tenant_id: int, ticket_id: int) -> str:
    """A link token that opens ticket `ticket_id` of tenant `tenant_id` (180 days)."""
    return _serializer("ticket").dumps({"t": tenant_id, "k": ticket_id})


def redeem_access(tenant: Tenant, token: str) -> int | None:
    """The ticket id an access token opens in `tenant`, or None."""
    data = _loads("ticket", token, ACCESS_SECONDS)
    return data["k"] if data and data.get("t") == tenant.id and isinstance(data.get("k"), int) else None


# --- the session --------------------------------------------------------------------------


@dataclass
class Visitor:
    """The portal session: a verified e-mail (or None) and tickets opened by access links."""

    tenant_id: int
    email: str | None = None
    tickets: list[int] = field(default_factory=list)
    changed: bool = False

    def sign_in(self, email: str) -> None:
        """Remember a verified address."""
        self.email, self.changed = normal_email(email), True

    def sign_out(self) -> None:
        """Forget the address and the opened tickets."""
        self.email, self.tickets, self.changed = None, [], True

    def grant(self, ticket_id: int) -> None:
        """Remember that an access link opened `ticket_id`."""
        if ticket_id not in self.tickets:
            self.tickets = [*self.tickets, ticket_id][-MAX_ACCESS_TICKETS:]
            self.changed = True


def read_session(tenant: Tenant) -> Visitor:
    """The visitor of this request (an empty one when the cookie is missing, bad or another tenant's)."""
    raw = request.cookies.get(SESSION_COOKIE)
    data = _loads("session", raw, SESSION_SECONDS) if raw else None
    if not data or data.get("t") != tenant.id:
        return Visitor(tenant_id=tenant.id)
    tickets = [k for k in data.get("k", []) if isinstance(k, int)]
    return Visitor(tenant_id=tenant.id, email=data.get("e"), tickets=tickets)


def write_session(response: Any, visitor: Visitor, path: str) -> None:
    """Store the visitor in the portal's cookie (HttpOnly, SameSite=Lax, scoped to `path`)."""
    if not visitor.email and not visitor.tickets:
        response.delete_cookie(SESSION_COOKIE, path=path)
        return
    value = _serializer("session").dumps({"t": visitor.tenant_id, "e": visitor.email, "k": visitor.tickets})
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_SECONDS,
        path=path,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
