"""The per-process cache of verified tokens (`gongdan.api.token_cache`) never outlives a change.

Each change is made by another process (a subprocess on the same database, as a second gunicorn
worker or the CLI would), never through this process, whose cache is warm: the very next request
here must see it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gongdan import accounts
from gongdan.api import token_cache
from gongdan.models import ApiToken, Tenant
from gongdan.testing import ApiClient

CHANGE = """
import sys
from gongdan.db import open_database
from gongdan.models import User
open_database(sys.argv[1])
user_id = int(sys.argv[3])
if sys.argv[2] == "deactivate":
    User.update(is_active=False).where(User.id == user_id).execute()
elif sys.argv[2] == "downgrade":
    User.update(role="agent").where(User.id == user_id).execute()
"""


def _in_another_process(url: str, *args: str) -> None:
    subprocess.run([sys.executable, "-c", CHANGE, url, *args], check=True, capture_output=True, timeout=60)


def _warm(api: ApiClient) -> None:
    """Three requests: the first verifies the token and notes its use (`last_used_at`, a column
    the cache takes from the row read rather than compares), the next two are answered from this
    process's cache."""
    hits = token_cache.stats["hits"]
    for _ in range(3):
        assert api.get("/api/v1/users").status_code == 200
    assert token_cache.stats["hits"] == hits + 2


@pytest.mark.parametrize("change", ["revoke", "deactivate", "downgrade"])
def test_a_change_in_another_process_counts_on_the_next_request(make_user, gongdan_database_url, expect_error, change):
    user, api = make_user("supervisor")
    _warm(api)
    if change == "revoke":  # the CLI, as an operator would
        done = subprocess.run(
            [str(Path(sys.executable).parent / "gongdan"), "token", "revoke", api.token],
            env={**os.environ, "GONGDAN_DATABASE_URL": gongdan_database_url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    else:
        _in_another_process(gongdan_database_url, change, str(user.id))
    answer = api.get("/api/v1/users")
    if change == "downgrade":
        expect_error(answer, 403, "forbidden")  # still signed in, no longer a supervisor
        assert api.get("/api/v1/users/me").get_json()["role"] == "agent"
    else:
        expect_error(answer, 401, "unauthorized")


def test_an_expired_token_is_refused_with_the_cache_warm(tenant, client, frozen_clock, expect_error):
    user = accounts.create_user(tenant, "short@acme.example.com", "supervisor")
    api = ApiClient(client, accounts.create_token(user, expires_in_days=1)[1], user)
    _warm(api)
    frozen_clock.advance(minutes=24 * 60 + 1)
    expect_error(api.get("/api/v1/users"), 401, "unauthorized")


def test_each_request_gets_its_own_instances(agent_api):
    """A request that changes its user object in memory (and rolls back) leaves later ones alone."""
    seen = []
    for _ in range(3):
        found = token_cache.verify(agent_api.token)
        assert found is not None
        seen.append(found[0])
        found[0].name = "changed in memory only"
    assert len({id(user) for user in seen}) == 3
    assert agent_api.get("/api/v1/users/me").get_json()["name"] != "changed in memory only"


def test_creates_keep_the_cache_warm(agent_api, gongdan_db):
    """A create bumps the tenant's ticket numbering (a column of the token's joined row): the
    token's next request is still answered from the cache, with the row's fresh values, and runs
    the token's join once. Without `VOLATILE` every request after a create verified from scratch
    (a second read of the same join)."""
    token_sql = token_cache.TOKEN_QUERY.query(()).sql()[0]
    agent_api.post("/api/v1/tickets", json={"subject": "第一张"})
    for n in range(3):
        hits = token_cache.stats["hits"]
        ran = []
        with _statements(gongdan_db, ran):
            answer = agent_api.post("/api/v1/tickets", json={"subject": f"收到的商品破损 {n}"})
        assert answer.status_code == 201
        assert token_cache.stats["hits"] == hits + 1
        assert ran.count(token_sql) == 1
    user, row = token_cache.verify(agent_api.token)
    stored = Tenant.get_by_id(user.tenant.id)
    assert user.tenant.ticket_seq == stored.ticket_seq == 4  # the row's value, not the one kept
    assert row.last_used_at == ApiToken.get_by_id(row.id).last_used_at


@contextlib.contextmanager
def _statements(database: Any, ran: list[str]) -> Iterator[None]:
    """Note the SQL text of every statement the database runs inside the block."""
    original = database.execute_sql

    def noted(sql: str, *args: Any, **kwargs: Any) -> Any:
        ran.append(sql)
        return original(sql, *args, **kwargs)

    database.execute_sql = noted
    try:
        yield
    finally:
        del database.execute_sql
