"""Secrets that must outlive one request, kept on the server instead of in the session cookie.

Flask's session cookie is signed, not encrypted: whoever holds it (a shared computer, a proxy's
log, a browser extension) reads it with base64. A secret the console needs on a person's next
page — the TOTP seed they are enrolling, a new webhook's signing secret to be shown once — is
held in a `PendingSecret` row instead: encrypted (`EncryptedTextField`), tied to the user and a
purpose, expiring, and deleted when used. The session keeps only a random handle, which opens
nothing without the signed session of the same user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from gongdan import clock
from gongdan.db import write_transaction
from gongdan.models import PendingSecret, User


def _hash(handle: str) -> str:
    return hashlib.sha256(handle.encode("utf-8")).hexdigest()


def hold(user: User, purpose: str, value: str, seconds: int) -> str:
    """Keep `value` for `user` and `purpose` for `seconds`; returns the handle for the session.

    The user's earlier secret of the same purpose, and the tenant's expired ones, are deleted."""
    handle = secrets.token_urlsafe(24)
    now = clock.now()
    with write_transaction():
        PendingSecret.delete().where(
            (PendingSecret.tenant == user.tenant_id)
            & (
                (PendingSecret.expires_at < now)
                | ((PendingSecret.user == user.id) & (PendingSecret.purpose == purpose))
            )
        ).execute()
        PendingSecret.create(
            tenant=user.tenant_id,
            user=user.id,
            purpose=purpose,
            handle_hash=_hash(handle),
            value=value,
            expires_at=now + timedelta(seconds=seconds),
        )
    return handle


def _row(user: User, purpose: str, handle: object) -> PendingSecret | None:
    if not isinstance(handle, str) or not handle:
        return None
    return PendingSecret.get_or_none(
        (PendingSecret.tenant == user.tenant_id)
        & (PendingSecret.handle_hash == _hash(handle))
        & (PendingSecret.user == user.id)
        & (PendingSecret.purpose == purpose)
        & (PendingSecret.expires_at >= clock.now())
    )


def read(user: User, purpose: str, handle: object) -> str | None:
    """The value `handle` holds for `user` and `purpose`, while it has not expired; else None."""
    row = _row(user, purpose, handle)
    return row.value if row is not None else None


def take(user: User, purpose: str, handle: object) -> str | None:
    """Like `read`, and delete the row: of two requests with the same handle, one gets the value."""
    row = _row(user, purpose, handle)
    if row is None:
        return None
    with write_transaction():
        gone = (
            PendingSecret.delete()
            .where((PendingSecret.tenant == row.tenant_id) & (PendingSecret.id == row.id))
            .execute()
        )
    return row.value if gone else None
