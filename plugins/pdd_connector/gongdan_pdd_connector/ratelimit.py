"""Client-side rate limiting that keeps each shop (and each app) under the published limits.

A sliding-window log per key: a caller waits until fewer than `calls` calls were made in the
last `seconds` (plus a little slack for network jitter). The window keeps a small margin under
the published figure so that the gateway, counting on its own clock, never sees a breach.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from gongdan_pdd_connector import protocol

SLACK_SECONDS = 0.1
MARGIN = 0.03


class SlidingWindow:
    """At most `calls` acquisitions in any `seconds`; `acquire()` blocks until one is allowed."""

    def __init__(self, calls: int, seconds: float, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.calls = max(1, calls - max(1, int(calls * MARGIN)))
        self.seconds = seconds + SLACK_SECONDS
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._sleep = sleep
        self.waited = 0.0

    def acquire(self) -> float:
        """Take one slot, waiting as needed; returns how long it waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self.seconds:
                    self._sent.popleft()
                if len(self._sent) < self.calls:
                    self._sent.append(now)
                    self.waited += waited
                    return waited
                pause = self.seconds - (now - self._sent[0])
            self._sleep(pause)
            waited += pause


class Limiter:
    """Every window of one process: per (app, shop, API) and per app."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, ...], SlidingWindow] = {}
        self._lock = threading.Lock()

    def _window(self, key: tuple[str, ...], limit: tuple[int, float]) -> SlidingWindow:
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = SlidingWindow(*limit)
            return window

    def acquire(self, client_id: str, owner_id: str | None, api: str) -> float:
        """Wait for a slot of this shop's API and of the app; returns the seconds waited."""
        waited = 0.0
        if owner_id is not None:
            waited += self._window((client_id, owner_id, api), protocol.shop_rate_limit(api)).acquire()
        waited += self._window((client_id,), protocol.APP_RATE_LIMIT).acquire()
        return waited


LIMITER = Limiter()
