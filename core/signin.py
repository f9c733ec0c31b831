"""Signing in with an e-mail address and a password: throttling, lock-out and the answers given.

Every attempt is throttled per account and per client address through the shared limiter
(`gongdan.limits`), so the limits hold across web processes. Failures are counted on the user's
row by one atomic UPDATE ... RETURNING, and the lock-out is decided from the count it returns:
attempts sent in parallel cannot each read the same old count. A correct password is accepted
only by an UPDATE that finds the account unlocked, so a lock taken meanwhile wins.

An unknown address gets the same answers in the same time as a real one: its password is
checked against a dummy hash, and it "locks" after the same number of failures (counted in the
limiter), so neither the message nor the timing tells whether an account exists.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from werkzeug.security import check_password_hash

from gongdan import accounts, audit, clock, limits, twofactor
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.models import User
from gongdan.statements import PreparedStatement

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
THROTTLE_SECONDS = 15 * 60
ANONYMOUS = Actor.system("anonymous")

# failures since the last success, restarted after a lock that has run out; the lock is set by
# the failure that reaches MAX_FAILED_LOGINS (the CASE repeats the new count: SET sees old values)
_COUNT = 'CASE WHEN "locked_until" IS NOT NULL AND "locked_until" <= ? THEN 1 ELSE "failed_logins" + 1 END'
_FAIL = PreparedStatement(
    f'UPDATE {{user}} SET "failed_logins" = {_COUNT}, '
    f'"locked_until" = CASE WHEN {_COUNT} >= ? THEN ? WHEN "locked_until" <= ? THEN NULL ELSE "locked_until" END '
    'WHERE "id" = ? RETURNING "failed_logins", "locked_until"',
    user=User,
)
_SUCCEED = PreparedStatement(
    'UPDATE {user} SET "failed_logins" = 0, "locked_until" = NULL, "last_login_at" = ? '
    'WHERE "id" = ? AND ("locked_until" IS NULL OR "locked_until" <= ?)',
    user=User,
)


@dataclass(frozen=True)
class Throttle:
    """How many sign-in attempts an account and a client address may make in 15 minutes."""

    per_account: int = 20
    per_ip: int = 100


@dataclass(frozen=True)
class Attempt:
    """The outcome of a sign-in step: `user` on success, else `refusal` (`wrong`, `locked`, `throttled`).

    `needs_second_factor`: the password was right and the user must now give a TOTP or
    recovery code (`gongdan.twofactor`) before `signed_in` is called.
    """

    user: User | None = None
    refusal: str = ""
    needs_second_factor: bool = False


def authenticate(email: str, password: str, *, ip: str, throttle: Throttle = Throttle()) -> Attempt:
    """Check an e-mail address and password, counting the attempt; see the module docstring."""
    email = email.strip().lower()
    within = limits.allow("login.account", email, throttle.per_account, THROTTLE_SECONDS)
    if not limits.allow("login.ip", ip, throttle.per_ip, THROTTLE_SECONDS) or not within:
        return Attempt(refusal="throttled")
    user = accounts.signing_in_as(email)
    if user is None or not user.is_active or not user.password_hash:
        return _unknown(email, password)
    if user.locked_until is not None and user.locked_until > clock.now():
        return Attempt(refusal="locked")
    if not accounts.check_password(user, password):
        return fail(user, ip, reason="password")
    if user.totp_secret:
        return Attempt(user=user, needs_second_factor=True)
    return signed_in(user, ip)


def fail(user: User, ip: str, *, reason: str) -> Attempt:
    """Count one failure of `user` atomically; locks the account at MAX_FAILED_LOGINS."""
    now = clock.now()
    stamp = User.locked_until.db_value(now)
    until = User.locked_until.db_value(now + timedelta(minutes=LOCK_MINUTES))
    with write_transaction():
        row = _FAIL.execute((stamp, stamp, MAX_FAILED_LOGINS, until, stamp, user.id)).fetchone()
        count, locked_until = int(row[0]), User.locked_until.python_value(row[1])
        data = {"user": user.email, "reason": reason, "failures": count}
        audit.record(user.tenant, "auth.login_failed", ANONYMOUS, data=data, ip=ip)
        if count == MAX_FAILED_LOGINS:
            audit.record(
                user.tenant, "auth.locked", ANONYMOUS, data={"user": user.email, "until": _iso(locked_until)}, ip=ip
            )
    locked = locked_until is not None and locked_until > now
    return Attempt(refusal="locked" if locked else "wrong")


def signed_in(user: User, ip: str) -> Attempt:
    """Complete a sign-in: clear the failures, unless a lock was taken meanwhile (then refuse)."""
    now = clock.now()
    stamp = User.last_login_at.db_value(now)
    with write_transaction():
        if _SUCCEED.execute((stamp, user.id, stamp)).rowcount != 1:
            return Attempt(refusal="locked")
        audit.record(user.tenant, "auth.login", Actor.of(user), ip=ip)
    return Attempt(user=user)


def second_factor(user: User, code: str, *, ip: str) -> Attempt:
    """The second step for a user with two-factor on: a TOTP or recovery code completes the
    sign-in; a wrong one counts as a failure (and locks the account like wrong passwords do)."""
    if user.locked_until is not None and user.locked_until > clock.now():
        return Attempt(refusal="locked")
    if not twofactor.verify(user, code):
        return fail(user, ip, reason="second_factor")
    return signed_in(user, ip)


def sign_out(user: User, ip: str) -> None:
    """End every console session of `user`: a copied session cookie stops working too."""
    with write_transaction():
        User.update(session_generation=User.session_generation + 1).where(User.id == user.id).execute()
        audit.record(user.tenant, "auth.logout", Actor.of(user), ip=ip)


def _unknown(email: str, password: str) -> Attempt:
    """As a real account would answer: a password check's time, and a lock after as many failures."""
    if not limits.allow("login.unknown", email, MAX_FAILED_LOGINS - 1, LOCK_MINUTES * 60):
        return Attempt(refusal="locked")
    check_password_hash(_dummy_hash(accounts.generate_password_hash), password)
    return Attempt(refusal="wrong")


@functools.cache
def _dummy_hash(hasher: Callable[[str], str]) -> str:
    """A hash made the way new passwords are hashed, so checking it costs what a real check does."""
    return hasher(secrets.token_urlsafe(16))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
