"""Mainland China's public holidays and make-up working days (调休), year after year.

Two maintained sources, each kept current by its authors as the State Council announces a
year's schedule: `holidays` (python-holidays) and `chinesecalendar`. Where both know a year's
announced schedule they agree day for day but for one date (a test checks it: 31 Dec 2005, a
make-up working day that `chinesecalendar` misses), so `holidays` is read first and
`chinesecalendar` fills a year only it knows; a year either knows counts as **official**.
Past the announced years, `holidays` still knows the statutory holidays by the rules of the
全国年节及纪念日放假办法 (Spring Festival eve and three days, Labour Day two days, …) and adds
a weekday in lieu ("observed") for one that falls on a weekend, but not the make-up working
days: such a year is **provisional**, every date `holidays` lists and the weekends closed,
and a warning says so until an upgrade of either package (or the calendar's own per-date
overrides) brings the announced schedule.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays as _holidays
from chinese_calendar import constants as _chinese_calendar
from holidays.countries.china import ChinaStaticHolidays

WARN_DAYS = 60
"""How long before the end of the announced schedules the console and the log warn."""

_CC_HOLIDAYS: frozenset[date] = frozenset(_chinese_calendar.holidays)
_CC_WORKDAYS: frozenset[date] = frozenset(_chinese_calendar.workdays)
_CC_YEARS = frozenset(d.year for d in _CC_HOLIDAYS)
_PH_YEARS = frozenset(ChinaStaticHolidays.special_public_holidays)

PROVISIONAL_RULE = (
    "the holidays `holidays` derives from the statutory rules (with the days in lieu it adds when one "
    "falls on a weekend); make-up working days (调休) are not yet known, and the announced schedule "
    "may close or open other dates"
)
"""What a provisional year closes and what it cannot know yet, for warnings."""

OFFICIAL_YEARS: tuple[int, int] = (min(_CC_YEARS | _PH_YEARS), max(_CC_YEARS | _PH_YEARS))
"""First and last year (inclusive) whose announced schedule one of the sources carries."""


def is_official(year: int) -> bool:
    """Whether `year`'s announced schedule (holidays and make-up days) is known."""
    return OFFICIAL_YEARS[0] <= year <= OFFICIAL_YEARS[1]


@lru_cache(maxsize=64)
def year_days(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """`(holidays, make-up working days)` of `year`: closed dates and weekend dates that open.

    An official year comes from `holidays` when it carries the year's announced schedule (else
    from `chinesecalendar`); a provisional year has every date `holidays` lists for it (statutory
    days and the days in lieu it derives) and no make-up days.
    """
    if year in _CC_YEARS and year not in _PH_YEARS:
        return (
            frozenset(d for d in _CC_HOLIDAYS if d.year == year),
            frozenset(d for d in _CC_WORKDAYS if d.year == year),
        )
    china = _holidays.China(years=year)
    days = [date(year, 1, 1) + timedelta(days=n) for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    closed = frozenset(d for d in days if d.weekday() < 5 and not china.is_working_day(d))
    opened = frozenset(d for d in days if d.weekday() >= 5 and china.is_working_day(d))
    # holidays that fall on a weekend are closed either way; keep them for the calendar's view
    return closed | frozenset(d for d in china if d.year == year), opened


def horizon_warning(today: date) -> str | None:
    """A warning when `today` is within `WARN_DAYS` of the end of the announced schedules.

    Returns an English sentence for the log (the console translates its own), or None.
    """
    end = date(OFFICIAL_YEARS[1], 12, 31)
    if today < end - timedelta(days=WARN_DAYS):
        return None
    return (
        f"China's announced holiday schedule is known up to {end.isoformat()}; from {end.year + 1} "
        f"deadlines close {PROVISIONAL_RULE} until the schedule is announced: upgrade "
        "`holidays`/`chinesecalendar` or enter it as per-date overrides on each calendar"
    )
