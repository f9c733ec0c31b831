"""The gateway's clock: real time plus an offset that tests move with `POST /_sim/clock`."""

from __future__ import annotations

import time
from datetime import timedelta, timezone

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
    t = time.gmtime(ts + 8 * 3600)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
