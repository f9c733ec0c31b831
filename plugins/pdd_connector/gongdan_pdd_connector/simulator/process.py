"""Run the simulator as a child process (for tests, the demo and benchmarks).

with SimulatorProcess(shops=2, records=50) as sim:
    sim.url            # http://127.0.0.1:PORT/api/router
    sim.shops          # the JSON lines it printed on start
    sim.control("POST", "mutate", {"count": 5})
    sim.call("pdd.refund.address.list.get", shop=0)   # a signed call with the default app

`call` signs with `protocol.sign`; the simulator's own tests also sign by hand.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import requests

from .. import protocol
from .world import Settings


class SimulatorProcess:
    """`gongdan-pdd-sim` on a free loopback port, stopped on exit."""

    def __init__(self, shops: int = 2, records: int = 50, seed: int = 7, *extra: str, **options: Any) -> None:
        args = ["--port", "0", "--shops", str(shops), "--records", str(records), "--seed", str(seed), *extra]
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            args += [flag] if value is True else [flag, str(value)]
        self.args, self.shop_count = args, shops
        self.proc: subprocess.Popen[str] | None = None
        self.shops: list[dict[str, Any]] = []
        self.base = ""
        self.clock_offset = 0.0
        self.stderr_tail: list[str] = []
        self.client_id = options.get("client_id", Settings.client_id)
        self.client_secret = options.get("client_secret", Settings.client_secret)

    @property
    def url(self) -> str:
        """The gateway URL (`…/api/router`)."""
        return self.base + protocol.ROUTER_PATH

    def message_url(self, client_id: str, ts_ms: int, secret: str) -> str:
        """The message service's WebSocket URL for these credentials."""
        digest = protocol.message_digest(client_id, ts_ms, secret)
        return f"{self.base.replace('http://', 'ws://')}/message/{client_id}/{ts_ms}/{digest}"

    def start(self) -> SimulatorProcess:
        """Start the process and wait until it serves."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "gongdan_pdd_connector.simulator", *self.args]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        banner = self.proc.stderr.readline() if self.proc.stderr else ""
        if "listening on" not in banner:
            self.stop()
            raise RuntimeError(f"simulator did not start: {banner}")
        self.base = banner.split("listening on ", 1)[1].strip()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        lines = self.proc.stdout or ()
        self.shops = [json.loads(next(iter(lines))) for _ in range(self.shop_count)]
        return self

    def _drain_stderr(self) -> None:
        """Keep reading stderr (tracebacks) so a chatty simulator never blocks on a full pipe."""
        assert self.proc is not None
        for line in self.proc.stderr or ():
            self.stderr_tail = [*self.stderr_tail[-49:], line]

    def control(self, method: str, route: str, body: dict[str, Any] | None = None, **query: Any) -> Any:
        """Call a `/_sim/<route>` endpoint and return its JSON (raises on an HTTP error)."""
        response = requests.request(method, f"{self.base}/_sim/{route}", json=body, params=query, timeout=30)
        response.raise_for_status()
        return response.json()

    def set_clock(self, offset_seconds: float) -> None:
        """Shift the gateway clock; later `call`s sign timestamps on the shifted clock."""
        self.control("POST", "clock", {"offset_seconds": offset_seconds})
        self.clock_offset = offset_seconds

    def call(self, api: str, shop: int | None = None, **params: Any) -> dict[str, Any]:
        """A signed form-encoded call of `api` (as shop number `shop`, when given); the JSON answer."""
        sent: dict[str, Any] = {
            "type": api,
            "client_id": self.client_id,
            "timestamp": int(time.time() + self.clock_offset),
            "data_type": "JSON",
        }
        if shop is not None:
            sent["access_token"] = self.shops[shop]["access_token"]
        sent = protocol.prepare(sent | params)
        sent["sign"] = protocol.sign(sent, self.client_secret)
        return requests.post(self.url, data=sent, timeout=30).json()

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
