"""Optional two-factor sign-in: TOTP (RFC 6238, any authenticator app) and one-time recovery codes.

A user enrols by scanning a QR code (rendered here as SVG, no outside service) and confirming one
code; the secret is stored encrypted (`EncryptedTextField`) and ten recovery codes are shown once
and stored hashed. A tenant may require it of its admins (`Tenant.require_admin_2fa`).
"""

from __future__ import annotations

import hashlib
import secrets

import peewee
import pyotp
import segno

from gongdan import audit
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import ValidationError
from gongdan.models import User

ISSUER = "gongdan 工单"
RECOVERY_CODES = 10
ADMIN_ROLES = ("admin", "superadmin")


def new_secret() -> str:
    """A fresh random TOTP secret (base32)."""
    return pyotp.random_base32()


def qr_svg(user: User, secret: str) -> str:
    """The enrolment QR code (an `otpauth://` URI) as inline SVG markup."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#212529")


def required(user: User) -> bool:
    """Whether `user` must sign in with a second factor: an admin of a tenant that requires it."""
    return user.role in ADMIN_ROLES and bool(user.tenant.require_admin_2fa)


def enable(user: User, secret: str, code: str, actor: Actor, *, ip: str | None = None) -> list[str]:
    """Turn two-factor on once `code` proves the app holds `secret`; returns the recovery codes."""
    if not _totp_ok(secret, code):
        raise ValidationError("wrong code", {"code": ["the code does not match: check the app's clock and retry"]})
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    with write_transaction():
        User.update(totp_secret=secret, recovery_codes=[_hash(c) for c in codes]).where(User.id == user.id).execute()
        audit.record(user.tenant, "auth.2fa_enabled", actor, data={"user": user.email}, ip=ip)
    user.totp_secret, user.recovery_codes = secret, [_hash(c) for c in codes]
    return codes


def disable(user: User, actor: Actor, *, ip: str | None = None) -> None:
    """Turn two-factor off for `user` (they or an admin did it; audited)."""
    with write_transaction():
        User.update(totp_secret=None, recovery_codes=None).where(User.id == user.id).execute()
        audit.record(user.tenant, "auth.2fa_disabled", actor, data={"user": user.email}, ip=ip)
    user.totp_secret = user.recovery_codes = None


def verify(user: User, code: str) -> bool:
    """Whether `code` is the user's current TOTP code or one of their unused recovery codes.

    A recovery code is spent by a compare-and-set update, so it works once even when two
    requests race with it.
    """
    code = code.strip().replace(" ", "")
    if user.totp_secret and _totp_ok(user.totp_secret, code):
        return True
    stored = list(user.recovery_codes or [])
    hashed = _hash(code.lower())
    if hashed not in stored:
        return False
    remaining = [h for h in stored if h != hashed]
    with write_transaction():
        spent = (
            User.update(recovery_codes=remaining)
            .where((User.id == user.id) & (User.recovery_codes == _stored_as(stored)))
            .execute()
        )
    return spent == 1


def _stored_as(codes: list[str]) -> peewee.Value:
    """The column's stored text for `codes` (compared as it is, not converted again)."""
    return peewee.Value(User.recovery_codes.db_value(codes), converter=False)


def _totp_ok(secret: str, code: str) -> bool:
    return code.isdigit() and len(code) == 6 and pyotp.TOTP(secret).verify(code, valid_window=1)


def _recovery_code() -> str:
    raw = secrets.token_hex(5)
    return f"{raw[:5]}-{raw[5:]}"


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
