"""Per-token rate limiting for the REST API: a token bucket per API token, per process.

Each token may make `per_minute` requests a minute, in bursts of up to that many. The
buckets live in the web process's memory, so with N gunicorn workers a token can make up
to N × `per_minute` requests a minute in the worst case (requests are spread over workers).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from gongdan.errors import GongdanError


class RateLimited(GongdanError):
    """Too many requests with one token; `retry_after` seconds until the next is allowed."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TokenBucketLimiter:
    """`per_minute` requests a minute per key, refilled continuously; thread-safe."""

    def __init__(self, per_minute: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.monotonic = monotonic
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: int) -> float:
        """Spend one request of `key`'s bucket and return what is left; RateLimited when empty."""
        now = self.monotonic()
        with self._lock:
            tokens, since = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - since) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = max(1, math.ceil((1.0 - tokens) / self.rate))
                raise RateLimited(f"rate limit of {self.per_minute} requests a minute exceeded", wait)
            tokens -= 1.0
            self._buckets[key] = (tokens, now)
        return tokens
