"""The one clock every part of gongdan reads, so tests and dry runs can move time.

`now()` returns an aware UTC datetime. Tests call `freeze(at)` / `advance(delta)` /
`unfreeze()`; production code never does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, aware, in UTC (or the frozen time in tests)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(at: datetime) -> None:
    """Stop the clock at `at` (an aware datetime)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward by `delta` and return the new time."""
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock")
    freeze(_frozen + delta)
    return now()


def unfreeze() -> None:
    """Let the clock follow real time again."""
    global _frozen
    _frozen = None
