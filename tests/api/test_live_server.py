"""The production set-up over real HTTP: gunicorn serving `gongdan.web:create_app()` on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from gongdan import accounts

GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(gongdan_database_url: str, gongdan_db: Any, tmp_path: Path) -> Any:
    """gunicorn with the production settings (`gongdan.web.gunicorn_conf`) and 2 workers on a free
    loopback port; a limit of 8 requests a minute, 4 kB bodies."""
    port = _free_port()
    env = {
        **os.environ,
        "GONGDAN_DATABASE_URL": gongdan_database_url,
        "GONGDAN_RATE_LIMIT_PER_MINUTE": "8",
        "GONGDAN_MAX_BODY_BYTES": "4096",
    }
    server = subprocess.Popen(
        [
            *(str(GUNICORN), "-c", "python:gongdan.web.gunicorn_conf", "-w", "2", "-b", f"127.0.0.1:{port}"),
            *("--log-level", "warning", "gongdan.web:create_app()"),
        ],
        env=env,
        cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/health", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("gunicorn did not start")
            time.sleep(0.1)
    yield base
    server.terminate()
    server.wait(timeout=30)


def test_gunicorn_serves_the_api(live_server, tenant):
    user = accounts.create_user(tenant, "live@acme.example.com", "agent")
    auth = {"Authorization": f"Bearer {accounts.create_token(user)[1]}"}
    created = requests.post(f"{live_server}/tickets", json={"subject": "收到的商品破损"}, headers=auth, timeout=10)
    assert created.status_code == 201
    assert created.json()["subject"] == "收到的商品破损"
    assert "收到的商品破损".encode() in created.content  # UTF-8, not \u escapes
    listed = requests.get(f"{live_server}/tickets?assignee=none", headers=auth, timeout=10).json()
    assert [t["id"] for t in listed["items"]] == [created.json()["id"]]
    big = {"subject": "大", "description": "x" * 5000}
    too_big = requests.post(f"{live_server}/tickets", json=big, headers=auth, timeout=10)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"
    unknown = requests.get(f"{live_server}/nowhere", timeout=10)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    # the 2 workers share one limit of 8 a minute (counted in the database), 3 of them spent above
    statuses = [requests.get(f"{live_server}/users/me", headers=auth, timeout=10) for _ in range(20)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited
    assert sum(r.status_code == 200 for r in statuses) <= 8 - 2
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["error"]["code"] == "rate_limited"


def test_a_revoked_token_is_refused_by_every_worker_with_their_caches_warm(live_server, tenant):
    """The workers keep verified tokens (`gongdan.api.token_cache`); a revocation made by another
    process (this one) counts on the very next request, whichever worker and thread answers, on
    a kept-alive connection and on new ones."""
    user = accounts.create_user(tenant, "revoked@acme.example.com", "agent")
    row, token = accounts.create_token(user)
    auth = {"Authorization": f"Bearer {token}"}
    kept = requests.Session()
    warm = [kept.get(f"{live_server}/users/me", headers=auth, timeout=10) for _ in range(3)]
    warm.append(requests.get(f"{live_server}/users/me", headers=auth, timeout=10))
    assert [r.status_code for r in warm] == [200] * 4
    assert warm[0].headers.get("Connection", "keep-alive").lower() != "close"  # threaded workers keep it open
    accounts.revoke_token(row)
    after = [kept.get(f"{live_server}/users/me", headers=auth, timeout=10)]
    after += [requests.get(f"{live_server}/users/me", headers=auth, timeout=10) for _ in range(3)]
    assert [r.status_code for r in after] == [401] * 4
