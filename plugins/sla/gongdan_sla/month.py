"""A calendar's month as the console shows it: each date's hours and why it has them."""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date

from . import china_days
from .calendars import BusinessCalendar, hhmm

KINDS = ("default", "closed", "open", "special")
"""What an admin may set for one date: back to the rules, closed, open (Monday's hours), own hours."""


@dataclass(frozen=True)
class Day:
    """One date of the month view.

    `reason` is why the date has its hours: `override_closed`, `override_open`, `special`,
    `holiday`, `makeup` (调休 working day), `weekday` or `weekend`; `provisional` when the
    year's holiday schedule is not yet announced.
    """

    day: date
    hours: tuple[str, ...]
    reason: str
    provisional: bool

    @property
    def override(self) -> str:
        """The date's override kind (one of `KINDS`)."""
        return {"override_closed": "closed", "override_open": "open", "special": "special"}.get(self.reason, "default")


def _reason(cal: BusinessCalendar, day: date) -> str:
    if day in cal.closed:
        return "override_closed"
    if day in cal.special:
        return "special"
    if day in cal.open:
        return "override_open"
    if cal.region == "CN":
        holidays, workdays = china_days.year_days(day.year)
        if day in workdays:
            return "makeup"
        if day in holidays:
            return "holiday"
    return "weekday" if cal.weekly.get(day.weekday()) else "weekend"


def month(cal: BusinessCalendar, year: int, number: int) -> list[list[Day | None]]:
    """The weeks (Monday first) of month `number` of `year`; None pads the first and last week.

    Build `cal` with `on_unknown_year="warn"` to show a provisional year's estimate.
    """
    provisional = cal.region == "CN" and not china_days.is_official(year)
    weeks = []
    for week in _cal.Calendar(firstweekday=0).monthdatescalendar(year, number):
        row: list[Day | None] = []
        for day in week:
            if day.month != number:
                row.append(None)
                continue
            hours = tuple(f"{hhmm(s)}–{hhmm(e)}" for s, e in cal.hours(day))
            row.append(Day(day=day, hours=hours, reason=_reason(cal, day), provisional=provisional))
        weeks.append(row)
    return weeks
