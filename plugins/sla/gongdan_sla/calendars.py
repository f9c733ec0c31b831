"""Business calendars: opening hours per weekday, mainland China's holidays and make-up days.

`BusinessCalendar` answers two questions in business time: "what is `start` plus N business
minutes?" and "how many business minutes lie between two instants?". Each local date is
turned once into its opening intervals as UTC timestamps (cached), so a step is a few dict
look-ups and additions whatever the time zone (DST-aware through `zoneinfo`).

Holidays and make-up days come from `china_days` (the `chinesecalendar` and `holidays`
packages), whose announced schedules cover the years in `CN_YEARS`. A later year is
provisional (statutory holidays by rule, no make-up days): an explicit `UnknownHolidayYear`
error, or that provisional schedule and a logged warning when the calendar was built with
`on_unknown_year="warn"`. Per-date overrides (`closed`, `open`, `special` hours) come first.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import china_days

log = logging.getLogger("gongdan_sla.calendars")

CN_YEARS: tuple[int, int] = china_days.OFFICIAL_YEARS
"""First and last year (inclusive) whose announced holiday schedule is known."""

REGIONS = ("CN",)
WEEKDAYS = 7
DAY_MINUTES = 24 * 60
MAX_SEARCH_DAYS = 3 * 366

Interval = tuple[str, str]
DEFAULT_WEEKLY: dict[int, list[Interval]] = {day: [("09:00", "12:00"), ("13:30", "18:00")] for day in range(5)}
ALWAYS_WEEKLY: dict[int, list[Interval]] = {day: [("00:00", "24:00")] for day in range(WEEKDAYS)}

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class CalendarError(ValueError):
    """A calendar definition that cannot work: `fields` maps each bad part to its reasons."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {"_schema": [message]}


class UnknownHolidayYear(LookupError):
    """The year's announced schedule is not known: deadlines there rest on a provisional one."""


def _minutes(text: str) -> int:
    match = _HHMM.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time HH:MM")
    value = int(match.group(1)) * 60 + int(match.group(2))
    if value > DAY_MINUTES:
        raise ValueError(f"{text!r} is after 24:00")
    return value


def parse_weekly(weekly: Mapping[int | str, Sequence[Sequence[str]]]) -> dict[int, tuple[tuple[int, int], ...]]:
    """Validate `{weekday: [("09:00", "12:00"), ...]}` into minutes; CalendarError names each fault.

    Weekday 0 is Monday. Intervals must be start < end within 00:00–24:00 and must not overlap.
    """
    problems: dict[str, list[str]] = {}
    parsed: dict[int, tuple[tuple[int, int], ...]] = {}
    for key, intervals in weekly.items():
        name = f"weekly.{key}"
        try:
            day = int(key)
        except (TypeError, ValueError):
            problems[name] = ["weekday must be 0 (Monday) to 6 (Sunday)"]
            continue
        if not 0 <= day < WEEKDAYS:
            problems[name] = ["weekday must be 0 (Monday) to 6 (Sunday)"]
            continue
        spans = []
        for item in intervals or ():
            try:
                start, end = (_minutes(part) for part in item)
            except (TypeError, ValueError) as exc:
                problems.setdefault(name, []).append(f"{item!r}: {exc}" if isinstance(exc, ValueError) else "bad pair")
                continue
            if start >= end:
                problems.setdefault(name, []).append(f"{item[0]}–{item[1]}: the start must be before the end")
                continue
            spans.append((start, end))
        spans.sort()
        for (_, end_a), (start_b, _) in itertools.pairwise(spans):
            if start_b < end_a:
                problems.setdefault(name, []).append("intervals overlap")
                break
        parsed[day] = tuple(spans)
    if problems:
        raise CalendarError("invalid opening hours", problems)
    return parsed


def _dates(values: Iterable[date | str], field: str) -> frozenset[date]:
    found = set()
    for value in values:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise CalendarError("invalid date", {field: [f"{value!r} is not a date YYYY-MM-DD"]}) from None
        found.add(value)
    return frozenset(found)


def _special_hours(special: Mapping[date | str, Sequence[Sequence[str]]]) -> dict[date, tuple[tuple[int, int], ...]]:
    """Validate `{date: [("10:00", "16:00"), ...]}`; each date's intervals as `parse_weekly` checks them."""
    found: dict[date, tuple[tuple[int, int], ...]] = {}
    problems: dict[str, list[str]] = {}
    for key, intervals in special.items():
        (day,) = _dates([key], "special")
        try:
            found[day] = parse_weekly({0: intervals})[0]
        except CalendarError as exc:
            problems[f"special.{day.isoformat()}"] = exc.fields["weekly.0"]
    if problems:
        raise CalendarError("invalid special hours", problems)
    return found


class BusinessCalendar:
    """Opening hours in a time zone, with holidays; arithmetic in business minutes.

    `weekly` maps weekday (0 Monday … 6 Sunday) to `[("09:00", "12:00"), ("13:30", "18:00")]`;
    a missing weekday is closed. `region="CN"` closes mainland China's public holidays and
    opens its make-up working days (调休) with Monday's intervals; `closed` and `open` are extra
    dates (`open` dates also use Monday's intervals); `special` maps a date to its own
    intervals (e.g. shorter hours on 除夕); `region=None` for no public holidays. A date
    after `CN_YEARS` raises `UnknownHolidayYear`, or logs a warning once per year and uses
    that year's provisional schedule (statutory holidays, no make-up days) when
    `on_unknown_year="warn"`.
    """

    def __init__(
        self,
        tz: str = "Asia/Shanghai",
        weekly: Mapping[int | str, Sequence[Sequence[str]]] | None = None,
        region: str | None = "CN",
        closed: Iterable[date | str] = (),
        open: Iterable[date | str] = (),
        special: Mapping[date | str, Sequence[Sequence[str]]] | None = None,
        *,
        on_unknown_year: str = "error",
    ) -> None:
        try:
            self.tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError("unknown time zone", {"tz": [f"{tz!r} is not an IANA time zone"]}) from None
        if region not in (None, *REGIONS):
            raise CalendarError("unknown region", {"region": [f"must be one of: {', '.join(REGIONS)} or null"]})
        if on_unknown_year not in ("error", "warn"):
            raise ValueError("on_unknown_year must be 'error' or 'warn'")
        self.tz_name = tz
        self.region = region
        self.weekly = parse_weekly(DEFAULT_WEEKLY if weekly is None else weekly)
        self.closed = _dates(closed, "closed")
        self.open = _dates(open, "open")
        self.special = _special_hours(special or {})
        self.on_unknown_year = on_unknown_year
        if not any(self.weekly.get(d) for d in range(WEEKDAYS)) and not (self.open and self.weekly.get(0)):
            raise CalendarError("the calendar is never open", {"weekly": ["give at least one opening interval"]})
        self._days: dict[int, tuple[tuple[float, float], ...]] = {}
        self._warned: set[int] = set()

    @classmethod
    def always_open(cls, tz: str = "Asia/Shanghai") -> BusinessCalendar:
        """A 24×7 calendar: business minutes are plain minutes."""
        return cls(tz=tz, weekly=ALWAYS_WEEKLY, region=None)

    # --- which hours a date has ----------------------------------------------------------

    def _check_year(self, day: date) -> None:
        """Raise or warn (once a year) when `day`'s year has only a provisional schedule."""
        if china_days.is_official(day.year):
            return
        if self.on_unknown_year == "error":
            raise UnknownHolidayYear(
                f"China's announced holiday schedule is known for {CN_YEARS[0]}–{CN_YEARS[1]} only, not "
                f"{day.year}; upgrade holidays/chinesecalendar, enter the dates as overrides, or build the "
                "calendar with on_unknown_year='warn'"
            )
        if day.year not in self._warned:
            self._warned.add(day.year)
            log.warning(
                "%s: China's holiday schedule not yet announced; closed: %s", day.year, china_days.PROVISIONAL_RULE
            )

    def hours(self, day: date) -> tuple[tuple[int, int], ...]:
        """The opening intervals of local date `day`, in minutes after its midnight."""
        if day in self.closed:
            return ()
        if day in self.special:
            return self.special[day]
        if day in self.open:
            return self.weekly.get(0, ())
        if self.region == "CN":
            self._check_year(day)
            holidays, workdays = china_days.year_days(day.year)
            if day in workdays:
                return self.weekly.get(0, ())
            if day in holidays:
                return ()
        return self.weekly.get(day.weekday(), ())

    def is_open_day(self, day: date) -> bool:
        """Whether local date `day` has any opening hours."""
        return bool(self.hours(day))

    def _day(self, ordinal: int) -> tuple[tuple[float, float], ...]:
        """The opening intervals of the local date with this ordinal, as UTC timestamps (cached)."""
        spans = self._days.get(ordinal)
        if spans is None:
            day = date.fromordinal(ordinal)
            midnight = datetime.combine(day, time(0), self.tz)
            spans = tuple((_stamp(midnight, start), _stamp(midnight, end)) for start, end in self.hours(day))
            self._days[ordinal] = spans
        return spans

    def _ordinal(self, ts: float) -> int:
        return datetime.fromtimestamp(ts, self.tz).toordinal()

    # --- arithmetic ----------------------------------------------------------------------

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant `minutes` business minutes after `start` (in `start`'s time zone).

        A start outside business time counts from the next opening; 0 minutes gives that
        opening. Raises ValueError for a naive `start` or negative minutes.
        """
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        ts = _timestamp(start)
        left = minutes * 60.0
        ordinal = self._ordinal(ts)
        for _ in range(MAX_SEARCH_DAYS):
            for begin, end in self._day(ordinal):
                if ts >= end:
                    continue
                cur = begin if begin > ts else ts
                room = end - cur
                if left <= room:
                    return datetime.fromtimestamp(cur + left, start.tzinfo)
                left -= room
                ts = end
            ordinal += 1
        raise CalendarError(f"no business time within {MAX_SEARCH_DAYS} days of {start.isoformat()}")

    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes from `start` to `end`; negative when `end` is before `start`."""
        a, b = _timestamp(start), _timestamp(end)
        if b < a:
            return -self.business_minutes_between(end, start)
        total = 0.0
        last = self._ordinal(b)
        ordinal = self._ordinal(a)
        while ordinal <= last:
            for begin, finish in self._day(ordinal):
                low = begin if begin > a else a
                high = finish if finish < b else b
                if high > low:
                    total += high - low
            ordinal += 1
        return total / 60.0

    def is_open(self, at: datetime) -> bool:
        """Whether `at` falls in business time."""
        ts = _timestamp(at)
        return any(begin <= ts < end for begin, end in self._day(self._ordinal(ts)))

    def describe(self) -> dict[str, object]:
        """The definition as JSON-ready data (what the API stores and shows)."""
        return {
            "tz": self.tz_name,
            "weekly": {str(d): [[hhmm(s), hhmm(e)] for s, e in spans] for d, spans in sorted(self.weekly.items())},
            "region": self.region,
            "closed": sorted(d.isoformat() for d in self.closed),
            "open": sorted(d.isoformat() for d in self.open),
            "special": {
                d.isoformat(): [[hhmm(s), hhmm(e)] for s, e in spans] for d, spans in sorted(self.special.items())
            },
        }


def _stamp(midnight: datetime, minute: int) -> float:
    """The UTC timestamp of wall-clock minute `minute` after local `midnight` (DST-aware)."""
    local = midnight + timedelta(minutes=minute)
    if minute >= DAY_MINUTES:
        local = datetime.combine(midnight.date() + timedelta(days=1), time(0), midnight.tzinfo)
    return local.astimezone(UTC).timestamp()


def _timestamp(value: datetime) -> float:
    if value.tzinfo is None:
        raise ValueError("an aware datetime is required (with tzinfo)")
    return value.timestamp()


def hhmm(minute: int) -> str:
    """Minutes after midnight as `HH:MM` (1440 → `24:00`)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


__all__ = [
    "CN_YEARS",
    "BusinessCalendar",
    "CalendarError",
    "UnknownHolidayYear",
    "hhmm",
    "parse_weekly",
]
