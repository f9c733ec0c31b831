"""`gongdan demo` (what `make demo` runs) builds the demo and serves the API."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

GONGDAN = str(Path(sys.executable).with_name("gongdan"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_demo_serves_health_and_a_working_login(tmp_path):
    port = free_port()
    env = {**os.environ, "GONGDAN_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    env.pop("GONGDAN_STRICT_PLUGINS", None)
    server = subprocess.Popen(
        [GONGDAN, "demo", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                health = requests.get(f"{base}/api/v1/health", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the demo did not start in 120 s"
                time.sleep(0.5)
        assert health.json()["status"] == "ok"
        listed = subprocess.run(
            [GONGDAN, "plugins", "list", "--tenant", "demo", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        token = subprocess.run(
            [GONGDAN, "token", "create", "admin@demo.gongdan.cn"], env=env, capture_output=True, text=True, timeout=60
        ).stdout.split()[-1]
        mine = requests.get(f"{base}/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert mine.status_code == 200
        assert mine.json()["total"] >= 5
        # the simulator's shops are connected: the demo allow-lists loopback for gongdan.outbound
        demo_shops = requests.get(f"{base}/api/v1/pdd/shops", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert len(demo_shops.json()["items"]) == 2
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert "login: admin@demo.gongdan.cn / gongdan-demo" in output
    lines = output.splitlines()
    login = next(n for n, line in enumerate(lines) if "login: admin@demo.gongdan.cn" in line)
    started = [n for n, line in enumerate(lines) if "scheduler running" in line or "serving on http" in line]
    assert started, output
    assert max(started) < login, "the login line is printed last, once the server listens"
    assert "apscheduler" not in output, "the scheduler's per-run lines stay out of the log"
    assert server.returncode == 0, "SIGTERM should end the demo cleanly (its atexit handlers run)"
