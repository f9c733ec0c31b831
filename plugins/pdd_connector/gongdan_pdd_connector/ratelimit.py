"""Client-side rate limiting that keeps each shop (and each app) under the published limits:
a `gongdan.connectors.SlidingWindow` per key, a little under the published figure."""

from __future__ import annotations

import threading

from gongdan.connectors import SlidingWindow
from gongdan_pdd_connector import protocol


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
