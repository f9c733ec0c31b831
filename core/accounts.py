"""Tenants, users and API tokens: creating them and checking credentials."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

import peewee
from werkzeug.security import check_password_hash, generate_password_hash

from gongdan import clock
from gongdan.db import write_transaction
from gongdan.errors import Conflict, NotFound, ValidationError
from gongdan.models import ROLES, ApiToken, Tenant, User
from gongdan.queries import Placeholders, ShapedQuery

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "gd_"  # noqa: S105 - a marker, not a secret


def create_tenant(slug: str, name: str, timezone: str = "Asia/Shanghai") -> Tenant:
    """A new tenant; Conflict if the slug is taken, ValidationError if it is malformed."""
    if not SLUG.match(slug):
        raise ValidationError("malformed slug", {"slug": ["lower-case letters, digits and dashes, 1–63"]})
    if not name.strip():
        raise ValidationError("empty name", {"name": ["must not be blank"]})
    try:
        with write_transaction():
            return Tenant.create(slug=slug, name=name.strip(), timezone=timezone)
    except peewee.IntegrityError:
        raise Conflict(f"a tenant with slug {slug!r} exists already") from None


def tenant(slug: str) -> Tenant:
    """The tenant with `slug`; NotFound otherwise."""
    found = Tenant.get_or_none(Tenant.slug == slug)
    if found is None:
        raise NotFound(f"no tenant {slug!r}")
    return found


def create_user(tenant: Tenant, email: str, role: str, name: str = "", password: str | None = None) -> User:
    """A new user of `tenant`; e-mail addresses are unique across the installation."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise ValidationError("malformed e-mail", {"email": ["not a valid e-mail address"]})
    if role not in ROLES:
        raise ValidationError("unknown role", {"role": [f"must be one of: {', '.join(ROLES)}"]})
    if password is not None and len(password) < 8:
        raise ValidationError("password too short", {"password": ["at least 8 characters"]})
    try:
        with write_transaction():
            return User.create(
                tenant=tenant,
                email=email,
                role=role,
                name=name.strip(),
                password_hash=hash_password(password) if password else None,
            )
    except peewee.IntegrityError:
        raise Conflict(f"a user {email} exists already") from None


def user_by_email(email: str) -> User:
    """The user with `email`; NotFound otherwise."""
    found = User.get_or_none(User.email == email.strip().lower())
    if found is None:
        raise NotFound(f"no user {email!r}")
    return found


def hash_password(password: str) -> str:
    """A salted, slow hash of `password` (werkzeug's scrypt)."""
    return generate_password_hash(password)


def check_password(user: User, password: str) -> bool:
    """Whether `password` is the user's."""
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256 hex (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for `user`: returns the row and the token, which is never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction():
        row = ApiToken.create(
            tenant=user.tenant_id, user=user, token_hash=token_hash(token), prefix=token[:10], name=name
        )
    return row, token


def revoke_token(row: ApiToken) -> None:
    """Revoke a token: it stops working at once."""
    ApiToken.update(revoked_at=clock.now()).where(ApiToken.id == row.id).execute()


def _token_row(p: Placeholders) -> Any:
    return (
        ApiToken.select(ApiToken, User, Tenant)
        .join(User)
        .join(Tenant)
        .where((ApiToken.token_hash == p("hash", str)) & ApiToken.revoked_at.is_null())
        .limit(1)
    )


# asked on every API request: compiled once per database
_TOKEN_QUERY = ShapedQuery(_token_row)


def user_for_token(token: str) -> tuple[User, ApiToken] | None:
    """The active user behind a valid, unrevoked token, with the token row; else None."""
    found = _TOKEN_QUERY.rows((), {"hash": token_hash(token)})
    if not found or not found[0].user.is_active:
        return None
    return found[0].user, found[0]
