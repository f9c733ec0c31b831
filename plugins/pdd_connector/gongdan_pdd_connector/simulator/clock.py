"""The gateway's clock: real time plus an offset that tests move with `POST /_sim/clock`."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


class SimClock:
    """Wall-clock time shifted by `offset` seconds."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        """The gateway's current time, Unix seconds (float)."""
        return time.time() + self.offset

    def seconds(self) -> int:
        """The gateway's current time, whole Unix seconds."""
        return int(self.now())

    def millis(self) -> int:
        """The gateway's current time, Unix milliseconds."""
        return int(self.now() * 1000)


def china_time(ts: float | None) -> str:
    """Unix seconds as the platform writes times: `2026-11-22 16:05:00` (Beijing time); None → ""."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, CHINA).strftime("%Y-%m-%d %H:%M:%S")
