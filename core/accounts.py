"""Tenants, users and API tokens: creating them and checking credentials."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import peewee
from werkzeug.security import check_password_hash, generate_password_hash

from gongdan import audit, clock, permissions
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import Conflict, NotFound, ValidationError
from gongdan.models import ROLES, ApiToken, SignInName, Team, Tenant, User
from gongdan.queries import Placeholders, ShapedQuery

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "gd_"  # noqa: S105 - a marker, not a secret
MIN_PASSWORD_LENGTH = 10
MAX_TOKEN_DAYS = 3650
PREFIX_LENGTH = 10  # what people see of a token: `gd_` and 7 characters
COMMON_PASSWORDS = Path(__file__).with_name("data") / "common-passwords.txt"


class PasswordRejected(ValidationError):
    """A password the policy refuses: `reason` is `too_short` or `common`."""

    REASONS: ClassVar[dict[str, str]] = {
        "too_short": f"at least {MIN_PASSWORD_LENGTH} characters",
        "common": "too common or too easy to guess: choose another",
    }

    def __init__(self, reason: str) -> None:
        super().__init__("password refused by the policy", {"password": [self.REASONS[reason]]})
        self.reason = reason


class EmailTaken(ValidationError):
    """The e-mail address is in use (possibly in another tenant, which is never named)."""

    def __init__(self) -> None:
        super().__init__("this e-mail address cannot be used", {"email": ["already in use"]})


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


def create_user(
    tenant: Tenant,
    email: str,
    role: str,
    name: str = "",
    password: str | None = None,
    *,
    actor: Actor | None = None,
    team: Team | None = None,
) -> User:
    """A new user of `tenant`; e-mail addresses are unique across the installation.

    `actor` (default: the system, e.g. the CLI) needs `user.manage` for `role`: nobody grants
    a role above their own. Audited as `user.created`.

    The password, when given, must pass the policy (`check_password_policy`). An address in
    use anywhere (in another tenant too) is refused with EmailTaken, which names no tenant.
    """
    actor = actor or Actor.system("cli")
    permissions.require(actor, "user.manage", role)
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise ValidationError("malformed e-mail", {"email": ["not a valid e-mail address"]})
    if role not in ROLES:
        raise ValidationError("unknown role", {"role": [f"must be one of: {', '.join(ROLES)}"]})
    if password is not None:
        check_password_policy(password, email)
    if email_taken(email):
        raise EmailTaken()
    try:
        with write_transaction():
            user = User.create(
                tenant=tenant,
                email=email,
                role=role,
                name=name.strip(),
                team=team,
                password_hash=hash_password(password) if password else None,
            )
            team_name = team.name if team is not None else None
            audit.record(tenant, "user.created", actor, data={"user": email, "role": role, "team": team_name})
            return user
    except peewee.IntegrityError:
        raise EmailTaken() from None


def email_taken(email: str, *, other_than: int | None = None) -> bool:
    """Whether a user (of any tenant) other than user `other_than` has this e-mail address."""
    query = User.select(User.id).where(User.email == email.strip().lower())
    if other_than is not None:
        query = query.where(User.id != other_than)
    return query.exists()


def signing_in_as(email: str) -> User | None:
    """The user an e-mail address signs in as, or None: found through `SignInName` (one row per
    address across the installation), then read in its tenant (one Citus shard)."""
    name = SignInName.get_or_none(SignInName.email == email.strip().lower())
    if name is None:
        return None
    return User.get_or_none((User.tenant == name.tenant_id) & (User.id == name.user_id))


def user_by_email(email: str) -> User:
    """The user with `email`; NotFound otherwise."""
    found = signing_in_as(email)
    if found is None:
        raise NotFound(f"no user {email!r}")
    return found


def hash_password(password: str) -> str:
    """A salted, slow hash of `password` (werkzeug's scrypt)."""
    return generate_password_hash(password)


def check_password(user: User, password: str) -> bool:
    """Whether `password` is the user's."""
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def check_password_policy(password: str, email: str = "") -> None:
    """Raise PasswordRejected unless `password` has MIN_PASSWORD_LENGTH characters and is not
    common: not in the shipped list of common passwords, nor the e-mail address or its name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected("too_short")
    lowered = password.lower()
    name = email.partition("@")[0].lower()
    if lowered in _common_passwords() or (email and lowered in (email.lower(), name)):
        raise PasswordRejected("common")


def set_password(user: User, password: str, actor: Actor, *, ip: str | None = None) -> None:
    """Give `user` a new password (checked by the policy) and end every session they have."""
    check_password_policy(password, user.email)
    with write_transaction():
        User.update(
            password_hash=hash_password(password),
            session_generation=User.session_generation + 1,
            failed_logins=0,
            locked_until=None,
        ).where(User.id == user.id).execute()
        audit.record(user.tenant, "auth.password_changed", actor, data={"user": user.email}, ip=ip)
    user.session_generation += 1


@functools.cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256 hex (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user: User, name: str = "", *, expires_in_days: int | None = None, actor: Actor | None = None
) -> tuple[ApiToken, str]:
    """A new API token for `user`: returns the row and the token, which is never stored.

    With `expires_in_days` the token stops working after that many days (401 afterwards).
    Audited as `token.created` by `actor` (the system when None, e.g. the CLI), who needs
    `token.manage` on `user` (an admin mints no token for a superadmin).
    """
    permissions.require(actor or Actor.system("cli"), "token.manage", user)
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise ValidationError("bad expiry", {"expires_in_days": [f"between 1 and {MAX_TOKEN_DAYS}"]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = clock.now() + timedelta(days=expires_in_days) if expires_in_days else None
    with write_transaction():
        row = ApiToken.create(
            tenant=user.tenant_id,
            user=user,
            token_hash=token_hash(token),
            prefix=token[:PREFIX_LENGTH],
            name=name,
            expires_at=expires,
        )
        audit.record(user.tenant, "token.created", actor or Actor.system("cli"), data=_token_data(row, user))
    return row, token


def revoke_token(row: ApiToken, actor: Actor | None = None) -> None:
    """Revoke a token: it stops working at once. Audited as `token.revoked`; `actor` needs
    `token.manage` on the token's user."""
    permissions.require(actor or Actor.system("cli"), "token.manage", row.user)
    with write_transaction():
        ApiToken.update(revoked_at=clock.now()).where(ApiToken.id == row.id).execute()
        audit.record(row.user.tenant, "token.revoked", actor or Actor.system("cli"), data=_token_data(row, row.user))


def active_tokens_by_prefix(prefix: str) -> list[ApiToken]:
    """The unrevoked tokens whose prefix starts with `prefix` (or that are the full token `prefix`)."""
    prefix = prefix.strip().rstrip("…").rstrip(".")
    if len(prefix) < len(TOKEN_PREFIX) + 4:
        raise ValidationError("prefix too short", {"prefix": [f"at least {len(TOKEN_PREFIX) + 4} characters"]})
    query = ApiToken.select(ApiToken, User).join(User).where(ApiToken.revoked_at.is_null())
    if len(prefix) > PREFIX_LENGTH:
        return list(query.where(ApiToken.token_hash == token_hash(prefix)))
    return list(query.where(ApiToken.prefix.startswith(prefix)))


def _token_data(row: ApiToken, user: User) -> dict[str, Any]:
    expires = row.expires_at.isoformat() if row.expires_at else None
    return {"token": f"{row.prefix}…", "name": row.name, "user": user.email, "expires_at": expires}


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
TOKEN_QUERY = _TOKEN_QUERY  # public: `gongdan.api.token_cache` re-reads the row with it on every request


def user_for_token(token: str) -> tuple[User, ApiToken] | None:
    """The active user behind a valid, unrevoked, unexpired token, with the token row; else None."""
    found = _TOKEN_QUERY.rows((), {"hash": token_hash(token)})
    if not found or not found[0].user.is_active:
        return None
    if found[0].expires_at is not None and found[0].expires_at <= clock.now():
        return None
    return found[0].user, found[0]
