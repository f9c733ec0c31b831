"""Sign-in in the core (`gongdan.signin`, `gongdan.accounts`): lock-out, enumeration, passwords, tokens.

Passwords are hashed for real here (scrypt), as in production.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from gongdan import accounts, signin
from gongdan.actors import Actor
from gongdan.db import db
from gongdan.errors import ValidationError
from gongdan.models import TicketEvent, User
from gongdan.testing import TEST_PASSWORD

OPEN = signin.Throttle(per_account=1000, per_ip=1000)


def kinds(tenant) -> list[str]:
    """The tenant's sign-in audit events, oldest first."""
    events = TicketEvent.of(tenant).where(TicketEvent.kind.startswith("auth.")).order_by(TicketEvent.id)
    return [e.kind for e in events]


def test_wrong_passwords_sent_at_once_all_count_and_lock_the_account(tenant):
    """H1: the failure counter is one atomic UPDATE, so parallel guesses cannot beat the lock-out."""
    user = accounts.create_user(tenant, "target@acme.example.com", "agent", password=TEST_PASSWORD)

    def guess(n: int) -> str:
        try:
            return signin.authenticate(user.email, f"wrong-guess-{n}", ip="198.51.100.7", throttle=OPEN).refusal
        finally:
            db.close()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(guess, range(40)))
    stored = User.get_by_id(user.id)
    assert stored.locked_until is not None
    # each failure got its own count back: exactly four were below the limit, the rest "locked"
    assert answers.count("wrong") == signin.MAX_FAILED_LOGINS - 1
    assert answers.count("locked") == 40 - answers.count("wrong")
    assert stored.failed_logins >= signin.MAX_FAILED_LOGINS
    right = signin.authenticate(user.email, TEST_PASSWORD, ip="198.51.100.7", throttle=OPEN)
    assert (right.user, right.refusal) == (None, "locked")
    assert kinds(tenant).count("auth.locked") == 1


def test_a_right_password_checked_while_a_lock_is_taken_is_refused(tenant):
    user = accounts.create_user(tenant, "race@acme.example.com", "agent", password=TEST_PASSWORD)
    for _ in range(signin.MAX_FAILED_LOGINS):
        signin.fail(user, "198.51.100.7", reason="password")  # as if they landed during the check
    assert signin.signed_in(user, "198.51.100.7").refusal == "locked"


def test_unknown_addresses_answer_like_real_ones_in_words_and_time(tenant):
    """M8: same refusal, same lock after five failures, and a password check's time."""
    user = accounts.create_user(tenant, "real@acme.example.com", "agent", password=TEST_PASSWORD)
    timings: dict[str, list[float]] = {"real": [], "unknown": []}
    for n in range(signin.MAX_FAILED_LOGINS):
        for who, email in (("real", user.email), ("unknown", "ghost@acme.example.com")):
            started = time.perf_counter()
            answer = signin.authenticate(email, f"not-it-{n}", ip="198.51.100.9", throttle=OPEN).refusal
            timings[who].append(time.perf_counter() - started)
            assert answer == ("locked" if n == signin.MAX_FAILED_LOGINS - 1 else "wrong"), (who, n)
    real, unknown = statistics.median(timings["real"]), statistics.median(timings["unknown"])
    assert 0.5 < unknown / real < 2.0, timings
    assert signin.authenticate("ghost@acme.example.com", "x", ip="198.51.100.9", throttle=OPEN).refusal == "locked"


def test_attempts_are_throttled_per_account_and_per_address(tenant):
    user = accounts.create_user(tenant, "busy@acme.example.com", "agent", password=TEST_PASSWORD)
    tight = signin.Throttle(per_account=2, per_ip=4)
    assert signin.authenticate(user.email, "nope-nope-1", ip="203.0.113.1", throttle=tight).refusal == "wrong"
    assert signin.authenticate(user.email, TEST_PASSWORD, ip="203.0.113.2", throttle=tight).user is not None
    # the third attempt on the account is refused before the password is looked at
    assert signin.authenticate(user.email, TEST_PASSWORD, ip="203.0.113.3", throttle=tight).refusal == "throttled"
    for n in range(3):  # one address spraying many accounts
        signin.authenticate(f"spray{n}@acme.example.com", "x", ip="203.0.113.9", throttle=tight)
    assert signin.authenticate("spray9@acme.example.com", "x", ip="203.0.113.9", throttle=tight).refusal == "wrong"
    assert signin.authenticate("spray8@acme.example.com", "x", ip="203.0.113.9", throttle=tight).refusal == "throttled"


@pytest.mark.parametrize(
    ("password", "reason"),
    [("12345678", "too_short"), ("woaini1314", "common"), ("QQ123456789", "common"), ("password123", "common")],
)
def test_the_password_policy_refuses_short_and_common_passwords(tenant, password, reason):
    with pytest.raises(accounts.PasswordRejected) as refused:
        accounts.create_user(tenant, "p@acme.example.com", "agent", password=password)
    assert refused.value.reason == reason
    assert refused.value.fields["password"]


def test_the_password_policy_accepts_the_demo_password_and_refuses_the_address():
    accounts.check_password_policy("gongdan-demo", "admin@demo.gongdan.cn")
    with pytest.raises(accounts.PasswordRejected):
        accounts.check_password_policy("liu.yang.2024", "liu.yang.2024@acme.cn")


def test_another_tenants_address_is_refused_without_naming_it(tenant, other_tenant):
    accounts.create_user(other_tenant, "taken@globex.example.com", "agent")
    with pytest.raises(ValidationError) as refused:
        accounts.create_user(tenant, "Taken@Globex.example.com", "agent")
    text = f"{refused.value.message} {refused.value.fields}"
    assert "UNIQUE" not in text
    assert "globex" not in text.lower()  # neither the other tenant nor the address is named
    assert refused.value.fields == {"email": ["already in use"]}


def test_a_password_change_ends_sessions_and_is_audited(tenant):
    user = accounts.create_user(tenant, "mover@acme.example.com", "agent", password=TEST_PASSWORD)
    accounts.set_password(user, "a-much-better-passphrase", Actor.of(user), ip="198.51.100.1")
    stored = User.get_by_id(user.id)
    assert stored.session_generation == 1
    assert accounts.check_password(stored, "a-much-better-passphrase")
    event = TicketEvent.get(TicketEvent.kind == "auth.password_changed")
    assert event.data == {"user": user.email, "ip": "198.51.100.1"}
    with pytest.raises(accounts.PasswordRejected):
        accounts.set_password(user, "qwertyuiop", Actor.of(user))


def test_sign_in_events_are_audited(tenant):
    user = accounts.create_user(tenant, "audited@acme.example.com", "agent", password=TEST_PASSWORD)
    signin.authenticate(user.email, "wrong-wrong", ip="198.51.100.2", throttle=OPEN)
    signin.authenticate(user.email, TEST_PASSWORD, ip="198.51.100.2", throttle=OPEN)
    signin.sign_out(user, "198.51.100.2")
    assert kinds(tenant) == ["auth.login_failed", "auth.login", "auth.logout"]
    failed = TicketEvent.get(TicketEvent.kind == "auth.login_failed")
    assert failed.data == {"user": user.email, "reason": "password", "failures": 1, "ip": "198.51.100.2"}
    assert "wrong-wrong" not in str([e.data for e in TicketEvent.select()])
