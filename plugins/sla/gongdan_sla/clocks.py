"""Pure clock arithmetic: one SLA target's state, and the thresholds it will cross.

A clock is a JSON dict stored in `SlaTicket.clocks[target]`:

* `target` business minutes (None when only an outside deadline applies), `cycle` (the
  next-response clock restarts with each customer reply),
* `status`: `running` (since `since`, after `spent` business minutes), `paused`, `met`, `idle`,
  `not_applicable` (the ticket closed before the target could be met: no reply was owed, or the
  case arrived already finished) or `missed` (closed unmet after its due time; `breached`),
* `due` / `warn_at`: the effective times (the earlier of the business-time due and an
  announced `deadline`), `biz_due` the business-time one,
* `met_at`, `breached` once it stopped.

Nothing here touches the database: `gongdan_sla.engine` loads, calls and saves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .calendars import BusinessCalendar

ACTIVE = ("running", "paused")


def iso(value: datetime | None) -> str | None:
    """UTC ISO text of an aware datetime (None stays None)."""
    return value.astimezone(UTC).isoformat() if value else None


def parse(value: str | None) -> datetime | None:
    """The aware datetime of stored ISO text."""
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Point:
    """A threshold a clock crosses at `at`: a warning, the breach, or an escalation level."""

    key: str
    kind: str  # warning | breach | escalation
    target: str
    level: int
    at: datetime


def new_clock(target: int | None, since: datetime, *, cycle: int = 0, paused: bool = False) -> dict[str, Any]:
    """A clock that started at `since` with nothing spent."""
    return {
        "target": target,
        "cycle": cycle,
        "status": "paused" if paused else "running",
        "since": None if paused else iso(since),
        "spent": 0.0,
        "due": None,
        "biz_due": None,
        "warn_at": None,
        "deadline": None,
        "deadline_warn": None,
        "met_at": None,
        "breached": False,
    }


def is_active(clock: dict[str, Any] | None) -> bool:
    """Whether the clock still counts (running or paused)."""
    return bool(clock) and clock["status"] in ACTIVE


def settle(clock: dict[str, Any], cal: BusinessCalendar, now: datetime) -> None:
    """Fold the business minutes since `since` into `spent` and restart the count at `now`."""
    if clock["status"] == "running" and clock["since"]:
        clock["spent"] += max(0.0, cal.business_minutes_between(parse(clock["since"]), now))
        clock["since"] = iso(now)


def pause(clock: dict[str, Any], cal: BusinessCalendar, now: datetime) -> None:
    """Stop counting (the ticket waits on the customer)."""
    if clock["status"] == "running":
        settle(clock, cal, now)
        clock["status"], clock["since"] = "paused", None


def resume(clock: dict[str, Any], now: datetime) -> None:
    """Count again from `now`."""
    if clock["status"] == "paused":
        clock["status"], clock["since"] = "running", iso(now)


def stop(clock: dict[str, Any], cal: BusinessCalendar, now: datetime) -> None:
    """The target was met at `now` (late if more than the target was spent or the deadline passed)."""
    if not is_active(clock):
        return
    settle(clock, cal, now)
    deadline = parse(clock["deadline"])
    late = clock["target"] is not None and clock["spent"] > clock["target"]
    clock.update(status="met", since=None, met_at=iso(now), breached=late or bool(deadline and now > deadline))


def close_unmet(clock: dict[str, Any], cal: BusinessCalendar, now: datetime) -> None:
    """The ticket closed while the target was still open: `missed` if it was late, else `not_applicable`.

    Never `met`: a response target without a response, or a case that arrived already finished,
    is not a success.
    """
    if not is_active(clock):
        return
    settle(clock, cal, now)
    deadline = parse(clock["deadline"])
    late = (clock["target"] is not None and clock["spent"] > clock["target"]) or bool(deadline and now > deadline)
    clock.update(status="missed" if late else "not_applicable", since=None, met_at=None, breached=late)


def reopen(clock: dict[str, Any], now: datetime) -> None:
    """A met clock counts again from `now`, keeping what it had spent (a reopened ticket)."""
    if clock["status"] == "met":
        clock.update(status="running", since=iso(now), met_at=None, breached=False)


def tighten(clock: dict[str, Any], deadline: datetime, now: datetime, warning_percent: int) -> bool:
    """Apply an outside deadline; True when it is earlier than what the clock had."""
    current = parse(clock["deadline"])
    if current is not None and current <= deadline:
        return False
    clock["deadline"] = iso(deadline)
    lead = (deadline - now) * (1 - warning_percent / 100)
    clock["deadline_warn"] = iso(max(now, deadline - lead))
    due = parse(clock["due"])
    return due is None or deadline < due


def recompute(clock: dict[str, Any], cal: BusinessCalendar, warning_percent: int) -> None:
    """Set `due` and `warn_at` from the clock's state, its calendar and any deadline."""
    if not is_active(clock):
        return
    biz_due = biz_warn = None
    target = clock["target"]
    if clock["status"] == "running" and target is not None:
        since = parse(clock["since"])
        left = target - clock["spent"]
        biz_due = cal.add_business_minutes(since, left) if left > 0 else (parse(clock["biz_due"]) or since)
        warn_left = target * warning_percent / 100 - clock["spent"]
        biz_warn = cal.add_business_minutes(since, warn_left) if warn_left > 0 else since
        clock["biz_due"] = iso(biz_due)
    due = _earliest(biz_due, parse(clock["deadline"]))
    warn = _earliest(biz_warn, parse(clock["deadline_warn"]))
    clock["due"], clock["warn_at"] = iso(due), iso(min(warn, due) if warn and due else warn)


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def points(name: str, clock: dict[str, Any], cal: BusinessCalendar, escalations: list[dict[str, Any]]) -> list[Point]:
    """Every threshold the active clock `name` will cross: warning, breach, escalation levels."""
    due = parse(clock["due"]) if is_active(clock) else None
    if due is None:
        return []
    prefix = f"{name}:{clock['cycle']}"
    found = [Point(f"breach:{prefix}:0", "breach", name, 0, due)]
    warn = parse(clock["warn_at"])
    if warn is not None and warn < due:
        found.append(Point(f"warning:{prefix}:0", "warning", name, 0, warn))
    for level, step in enumerate(escalations, start=1):
        at = due if step["after"] == 0 else cal.add_business_minutes(due, step["after"])
        found.append(Point(f"escalation:{prefix}:{level}", "escalation", name, level, at))
    return found


def remaining(clock: dict[str, Any], cal: BusinessCalendar, now: datetime) -> float | None:
    """Business minutes left before the clock's due time (negative once breached)."""
    if not is_active(clock):
        return None
    due = parse(clock["due"])
    if clock["status"] == "paused":
        if clock["target"] is None:
            return None
        return clock["target"] - clock["spent"]
    if due is None:
        return None
    if due >= now:
        return cal.business_minutes_between(now, due)
    return -cal.business_minutes_between(due, now)
