"""Business-calendar arithmetic: lunch breaks, China's holidays and make-up days, DST, year ends."""

from __future__ import annotations

import logging
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
import pytest
from gongdan_sla import china_days
from gongdan_sla.calendars import CN_YEARS, BusinessCalendar, CalendarError, UnknownHolidayYear

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
LUNCH = {d: [("09:00", "12:00"), ("13:30", "18:00")] for d in range(5)}


def sh(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)


@pytest.fixture
def cal() -> BusinessCalendar:
    return BusinessCalendar(tz="Asia/Shanghai", weekly=LUNCH, region="CN")


def test_the_lunch_hour_is_skipped(cal: BusinessCalendar) -> None:
    assert cal.add_business_minutes(sh(2026, 11, 2, 11, 30), 60) == sh(2026, 11, 2, 14, 0)
    assert cal.business_minutes_between(sh(2026, 11, 2, 11, 0), sh(2026, 11, 2, 14, 0)) == 90


def test_a_start_outside_business_time_counts_from_the_next_opening(cal: BusinessCalendar) -> None:
    saturday_night = sh(2026, 11, 7, 22, 0)
    assert cal.add_business_minutes(saturday_night, 0) == sh(2026, 11, 9, 9, 0)
    assert cal.add_business_minutes(saturday_night, 30) == sh(2026, 11, 9, 9, 30)
    assert cal.add_business_minutes(sh(2026, 11, 2, 12, 15), 10) == sh(2026, 11, 2, 13, 40)


def test_national_day_is_closed(cal: BusinessCalendar) -> None:
    # Wednesday 30 September 17:00: one hour left that day, then 1–7 October are holidays
    assert cal.add_business_minutes(sh(2026, 9, 30, 17, 0), 120) == sh(2026, 10, 8, 10, 0)
    assert cal.business_minutes_between(sh(2026, 9, 30, 17, 0), sh(2026, 10, 8, 10, 0)) == 120
    assert not cal.is_open(sh(2026, 10, 5, 10, 0))


def test_a_make_up_saturday_opens_with_mondays_hours(cal: BusinessCalendar) -> None:
    # Saturday 10 October 2026 is a make-up working day (调休)
    assert cal.is_open(sh(2026, 10, 10, 9, 30))
    assert cal.add_business_minutes(sh(2026, 10, 9, 17, 0), 120) == sh(2026, 10, 10, 10, 0)
    assert not cal.is_open(sh(2026, 10, 17, 9, 30))  # an ordinary Saturday


def test_the_year_end_crosses_new_year_and_its_make_up_sunday(cal: BusinessCalendar) -> None:
    # 31 Dec 2025 (Wed) 17:00: 60 minutes, then 1–3 Jan 2026 holiday, Sunday 4 Jan is a make-up day
    assert cal.add_business_minutes(sh(2025, 12, 31, 17, 0), 120) == sh(2026, 1, 4, 10, 0)


def test_a_year_without_holiday_data_is_an_explicit_error(cal: BusinessCalendar) -> None:
    assert CN_YEARS[0] <= 2026 <= CN_YEARS[1]
    unknown = CN_YEARS[1] + 1
    with pytest.raises(UnknownHolidayYear, match=str(unknown)):
        cal.add_business_minutes(datetime(CN_YEARS[1], 12, 31, 17, 0, tzinfo=SH), 240)


def test_a_year_without_holiday_data_can_be_a_logged_warning(caplog: pytest.LogCaptureFixture) -> None:
    lenient = BusinessCalendar(weekly=LUNCH, on_unknown_year="warn")
    last = CN_YEARS[1]
    start = datetime(last, 12, 31, 17, 0, tzinfo=SH)
    with caplog.at_level(logging.WARNING, logger="gongdan_sla.calendars"):
        due = lenient.add_business_minutes(start, 240)
    assert any(str(last + 1) in message for message in caplog.messages)
    assert due.date() > start.date()


def test_the_two_holiday_sources_agree_on_every_day_both_know() -> None:
    both = sorted({d.year for d in chinese_calendar.constants.holidays})
    china = holidays.China(years=both)
    day, last = date(both[0], 1, 1), date(both[-1], 12, 31)
    disagree = []
    while day <= last:
        if china.is_working_day(day) != chinese_calendar.is_workday(day):
            disagree.append(day)
        day += timedelta(days=1)
    # 国办发明电〔2005〕33号: Saturday 31 Dec 2005 was a working day; chinesecalendar has it closed
    assert len(both) >= 20
    assert disagree == [date(2005, 12, 31)]
    assert china_days.year_days(2005)[1] >= {date(2005, 12, 31)}


def test_a_provisional_year_closes_its_statutory_holidays(caplog: pytest.LogCaptureFixture) -> None:
    lenient = BusinessCalendar(weekly=LUNCH, on_unknown_year="warn")
    year = CN_YEARS[1] + 1
    assert not china_days.is_official(year)
    spring = min(d for d, name in holidays.China(years=year).items() if "Spring Festival" in name)
    weekday = next(spring + timedelta(days=n) for n in range(7) if (spring + timedelta(days=n)).weekday() < 5)
    with caplog.at_level(logging.WARNING, logger="gongdan_sla.calendars"):
        assert not lenient.is_open(datetime.combine(weekday, datetime.min.time(), SH) + timedelta(hours=10))
        assert not lenient.is_open(datetime(year, 1, 1, 10, 0, tzinfo=SH))  # New Year's Day
    assert any(str(year) in message and "announced" in message for message in caplog.messages)


def test_special_hours_override_a_date() -> None:
    eve = BusinessCalendar(weekly=LUNCH, special={"2026-02-13": [["10:00", "15:00"]]}, closed=["2026-02-12"])
    assert eve.hours(date(2026, 2, 13)) == ((600, 900),)
    assert eve.add_business_minutes(sh(2026, 2, 11, 17, 30), 60) == sh(2026, 2, 13, 10, 30)
    assert eve.describe()["special"] == {"2026-02-13": [["10:00", "15:00"]]}
    with pytest.raises(CalendarError) as bad:
        BusinessCalendar(weekly=LUNCH, special={"2026-02-13": [["15:00", "10:00"]]})
    assert list(bad.value.fields) == ["special.2026-02-13"]


def test_the_horizon_warning_starts_sixty_days_before_the_known_schedule_ends() -> None:
    end = date(CN_YEARS[1], 12, 31)
    assert china_days.horizon_warning(end - timedelta(days=china_days.WARN_DAYS + 1)) is None
    warning = china_days.horizon_warning(end - timedelta(days=china_days.WARN_DAYS - 1))
    assert warning is not None
    assert str(end.year + 1) in warning


def test_region_none_knows_no_holidays() -> None:
    plain = BusinessCalendar(weekly=LUNCH, region=None)
    assert plain.is_open(sh(2026, 10, 1, 10, 0))
    assert not plain.is_open(sh(2026, 10, 10, 10, 0))


def test_custom_closed_and_open_dates() -> None:
    custom = BusinessCalendar(weekly=LUNCH, region=None, closed=["2026-11-03"], open=["2026-11-07"])
    assert custom.add_business_minutes(sh(2026, 11, 2, 17, 0), 120) == sh(2026, 11, 4, 10, 0)
    assert custom.add_business_minutes(sh(2026, 11, 6, 17, 0), 120) == sh(2026, 11, 7, 10, 0)


def test_dst_spring_forward_and_fall_back() -> None:
    always = BusinessCalendar.always_open("America/New_York")
    # 8 March 2026: clocks jump 02:00 -> 03:00, the day has 23 hours; 1 November: 25 hours
    assert always.business_minutes_between(datetime(2026, 3, 8, tzinfo=NY), datetime(2026, 3, 9, tzinfo=NY)) == 1380
    assert always.business_minutes_between(datetime(2026, 11, 1, tzinfo=NY), datetime(2026, 11, 2, tzinfo=NY)) == 1500
    office = BusinessCalendar(tz="America/New_York", weekly={d: [("09:00", "17:00")] for d in range(5)}, region=None)
    due = office.add_business_minutes(datetime(2026, 3, 6, 16, 0, tzinfo=NY), 120)
    assert due == datetime(2026, 3, 9, 10, 0, tzinfo=NY)
    assert due.utcoffset() == timedelta(hours=-4)
    assert office.business_minutes_between(datetime(2026, 3, 6, 16, 0, tzinfo=NY), due) == 120


def test_dst_free_zone_days_are_always_24_hours() -> None:
    always = BusinessCalendar.always_open("Asia/Shanghai")
    assert always.business_minutes_between(sh(2026, 3, 8), sh(2026, 3, 9)) == 1440
    assert always.add_business_minutes(sh(2026, 12, 31, 23, 30), 60) == sh(2027, 1, 1, 0, 30)


def test_intervals_ending_at_midnight_join_the_next_day() -> None:
    night = BusinessCalendar(weekly={0: [("22:00", "24:00")], 1: [("00:00", "02:00")]}, region=None)
    assert night.add_business_minutes(sh(2026, 11, 2, 23, 0), 120) == sh(2026, 11, 3, 1, 0)


def test_results_keep_the_callers_time_zone(cal: BusinessCalendar) -> None:
    start = sh(2026, 11, 2, 10, 0).astimezone(UTC)
    due = cal.add_business_minutes(start, 60)
    assert due.tzinfo is UTC
    assert due == sh(2026, 11, 2, 11, 0)


def test_between_is_negative_backwards_and_inverts_add(cal: BusinessCalendar) -> None:
    assert cal.business_minutes_between(sh(2026, 11, 2, 14, 0), sh(2026, 11, 2, 11, 0)) == -90
    rng = random.Random(5)
    for _ in range(300):
        start = sh(2026, 1, 5, 9, 0) + timedelta(minutes=rng.randrange(0, 340 * 24 * 60))
        minutes = rng.choice([1, 30, 60, 240, 480, 1440, 5000])
        due = cal.add_business_minutes(start, minutes)
        assert due > start
        assert cal.business_minutes_between(start, due) == pytest.approx(minutes)


@pytest.mark.parametrize(
    ("weekly", "field"),
    [
        ({0: [("09:00", "12:00"), ("11:00", "13:00")]}, "weekly.0"),
        ({1: [("18:00", "09:00")]}, "weekly.1"),
        ({2: [("9am", "12:00")]}, "weekly.2"),
        ({7: [("09:00", "12:00")]}, "weekly.7"),
        ({}, "weekly"),
    ],
)
def test_bad_opening_hours_are_rejected_with_the_field(weekly: dict, field: str) -> None:
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar(weekly=weekly, region=None)
    assert field in caught.value.fields


def test_bad_zone_region_and_naive_times_are_rejected(cal: BusinessCalendar) -> None:
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar(tz="Mars/Olympus")
    assert "tz" in caught.value.fields
    with pytest.raises(CalendarError):
        BusinessCalendar(region="US")
    with pytest.raises(ValueError, match="aware"):
        cal.add_business_minutes(datetime(2026, 11, 2, 10, 0), 5)
    with pytest.raises(ValueError, match="negative"):
        cal.add_business_minutes(sh(2026, 11, 2, 10, 0), -5)


def _oracle_minutes(start: datetime, end: datetime) -> int:
    """Business minutes by a plain count from python-holidays: its working days, 09:00–12:00 and 13:30–18:00."""
    china = holidays.China(years=range(start.year, end.year + 1))
    total, day = 0, start.date()
    while day <= end.date():
        if china.is_working_day(day):
            for (h1, m1), (h2, m2) in (((9, 0), (12, 0)), ((13, 30), (18, 0))):
                low = max(start, datetime(day.year, day.month, day.day, h1, m1, tzinfo=SH))
                high = min(end, datetime(day.year, day.month, day.day, h2, m2, tzinfo=SH))
                total += max(0, int((high - low).total_seconds()) // 60)
        day += timedelta(days=1)
    return total


def test_2027_closes_every_date_holidays_lists_and_counts_minutes_like_a_plain_oracle() -> None:
    """2027 (provisional with holidays 0.109): Spring Festival and National Day, observed days included."""
    lenient = BusinessCalendar(weekly=LUNCH, on_unknown_year="warn")
    listed = holidays.China(years=2027)
    assert {date(2027, 2, 9), date(2027, 2, 10), date(2027, 10, 4), date(2027, 10, 5)} <= set(listed)
    for day in listed:
        assert lenient.hours(day) == (), day
    for day in (date(2027, 1, 1) + timedelta(days=n) for n in range(365)):
        assert lenient.is_open_day(day) == listed.is_working_day(day), day
    # Thursday 4 Feb 17:00: one hour that day, then 5–10 Feb closed (eve, three days, two in lieu)
    assert lenient.add_business_minutes(sh(2027, 2, 4, 17, 0), 120) == sh(2027, 2, 11, 10, 0)
    assert lenient.business_minutes_between(sh(2027, 2, 4, 17, 0), sh(2027, 2, 11, 10, 0)) == 120
    # Thursday 30 Sep 17:00: 1–5 Oct closed (three days, two in lieu of the weekend)
    assert lenient.add_business_minutes(sh(2027, 9, 30, 17, 0), 120) == sh(2027, 10, 6, 10, 0)
    rng = random.Random(2027)
    for first, last in ((sh(2027, 1, 25), sh(2027, 2, 20)), (sh(2027, 9, 20), sh(2027, 10, 15))):
        span = int((last - first).total_seconds()) // 60
        for _ in range(60):
            a = first + timedelta(minutes=rng.randrange(span))
            b = a + timedelta(minutes=rng.randrange(span))
            assert lenient.business_minutes_between(a, b) == _oracle_minutes(a, b), (a, b)
            minutes = rng.randrange(1, 3000)
            due = lenient.add_business_minutes(a, minutes)
            assert _oracle_minutes(a, due) == minutes, (a, minutes)
            assert _oracle_minutes(a, due - timedelta(minutes=1)) == minutes - 1, (a, minutes)


def test_the_provisional_warnings_say_what_is_not_yet_known() -> None:
    warning = china_days.horizon_warning(date(CN_YEARS[1], 12, 1))
    assert warning is not None
    assert "days in lieu" in warning
    assert "make-up working days (调休) are not yet known" in warning
