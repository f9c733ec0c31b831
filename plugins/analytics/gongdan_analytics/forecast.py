"""Arrivals forecast: a transparent seasonal model with holiday and promotion multipliers.

Why our own model and not statsmodels or statsforecast: both pull numpy/scipy/pandas (or numba)
into a helpdesk for a dozen multiplications, and neither knows China's holidays, 调休 or a
merchant's 双11 without the same hand-made regressors. The model, fitted on the last 8 weeks of
hourly arrivals (local days), is:

* **weekday factor** `W[w]` = mean arrivals of ordinary days on weekday `w` ÷ mean of all ordinary
  days (holidays and promotion days are not ordinary; a make-up working day counts as a Monday);
* **level** `L`: an exponentially weighted mean (α = 0.1, started at the mean of the first week) of
  ordinary days' arrivals ÷ `W[w]`, from the tenant's first day with a ticket;
* **multipliers**: a promotion's `uplift` when the tenant entered one, else the mean ratio of past
  promotion days to `L·W` (2.0 without history); holidays likewise (0.7 without history);
* **day** = `L · W[w] · M`; **hour** = day × the share of that hour on such days (per weekday,
  shrunk towards the all-days profile when few days were seen);
* **80 % prediction interval**: the spread `s` of log(actual ÷ one-step fit) on ordinary days gives
  `day · exp(±1.2816·s)`; an hour adds Poisson noise: `m ± 1.2816·√(m + (s·m)²)`.

`seasonal_naive` (each day repeats the last week of history) is the baseline `mape` compares with.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from statistics import fmean, pstdev
from zoneinfo import ZoneInfo

from peewee import fn

from gongdan.db import db
from gongdan.models import Tenant

from .models import Hourly, Promotion
from .rollup import QUARTER, tz_of

HISTORY_DAYS = 56
ALPHA = 0.1
Z80 = 1.2816
DEFAULT_PROMO, DEFAULT_HOLIDAY = 2.0, 0.7
SHRINK_DAYS = 2.0

History = dict[date, list[float]]


@dataclass(frozen=True)
class Special:
    """What sets a day apart: `holiday`, a promotion's name, or `workday` (a make-up working day)."""

    kind: str
    name: str = ""
    uplift: float | None = None


@dataclass
class Model:
    """A fitted model: weekday factors, level, hour shares, multipliers, spread."""

    weekday: list[float]
    level: float
    hours: dict[int, list[float]]
    overall_hours: list[float]
    holiday: float
    promo: float
    spread: float
    special_hours: dict[str, list[float]] = field(default_factory=dict)


def china_closed_days(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """China's `(holidays, make-up working days)` of `year`: from the SLA plugin's calendar data
    when it is installed (announced schedules, 调休), else from `holidays` (statutory days only)."""
    try:
        from gongdan_sla.china_days import year_days
    except ImportError:
        import holidays

        return frozenset(holidays.China(years=year)), frozenset()
    return year_days(year)


def specials(start: date, end: date, promotions: Sequence[tuple[str, date, date, float | None]]) -> dict[date, Special]:
    """The special days from `start` to `end`: promotions first, then holidays and make-up days."""
    found: dict[date, Special] = {}
    for year in range(start.year, end.year + 1):
        closed, opened = china_closed_days(year)
        found.update({d: Special("holiday") for d in closed if start <= d <= end})
        found.update({d: Special("workday") for d in opened if start <= d <= end})
    for name, first, last, uplift in promotions:
        day = max(first, start)
        while day <= min(last, end):
            found[day] = Special("promo", name, uplift)
            day += timedelta(days=1)
    return found


def _weekday(day: date, special: Special | None) -> int:
    return 0 if special is not None and special.kind == "workday" else day.weekday()


def _ordinary(special: Special | None) -> bool:
    return special is None or special.kind == "workday"


def _shares(days: Sequence[list[float]]) -> list[float]:
    sums = [sum(day[h] for day in days) for h in range(24)]
    total = sum(sums)
    return [s / total for s in sums] if total else [1 / 24] * 24


def fit(history: History, marks: dict[date, Special]) -> Model:
    """Fit the model on `history` (local day → 24 hourly counts)."""
    days = sorted(history)
    while days and not sum(history[days[0]]):  # before the tenant's first ticket
        days.pop(0)
    ordinary = [d for d in days if _ordinary(marks.get(d))]
    totals = {d: sum(history[d]) for d in days}
    mean_all = fmean(totals[d] for d in ordinary) if ordinary else 0.0
    weekday = []
    for w in range(7):
        seen = [totals[d] for d in ordinary if _weekday(d, marks.get(d)) == w]
        weekday.append(fmean(seen) / mean_all if seen and mean_all else 1.0)
    plain = [totals[d] / (weekday[_weekday(d, marks.get(d))] or 1.0) for d in ordinary]
    level, fits = fmean(plain[:7]) if plain else 0.0, []
    for d, value in zip(ordinary, plain, strict=True):
        fits.append((totals[d], level * (weekday[_weekday(d, marks.get(d))] or 1.0)))
        level = ALPHA * value + (1 - ALPHA) * level
    overall = _shares([history[d] for d in ordinary] or [history[d] for d in days])
    hours = {}
    for w in range(7):
        own = [history[d] for d in ordinary if _weekday(d, marks.get(d)) == w]
        mine = _shares(own) if own else overall
        k = len(own)
        hours[w] = [(k * a + SHRINK_DAYS * b) / (k + SHRINK_DAYS) for a, b in zip(mine, overall, strict=True)]

    def ratio(kind: str, default: float) -> float:
        seen = [
            totals[d] / (level * weekday[d.weekday()]) for d in days if (m := marks.get(d)) and m.kind == kind and level
        ]
        return fmean(seen) if seen else default

    special_hours = {
        kind: _shares(chosen)
        for kind in ("holiday", "promo")
        if (chosen := [history[d] for d in days if (m := marks.get(d)) and m.kind == kind])
    }
    spread = pstdev([math.log((a + 1) / (f + 1)) for a, f in fits[-28:]]) if len(fits) >= 2 else 0.3
    return Model(
        weekday,
        level,
        hours,
        overall,
        ratio("holiday", DEFAULT_HOLIDAY),
        ratio("promo", DEFAULT_PROMO),
        spread,
        special_hours,
    )


def predict_day(model: Model, day: date, special: Special | None) -> tuple[float, list[float]]:
    """The expected arrivals of `day` and of each of its hours."""
    multiplier = 1.0
    shares = model.hours[_weekday(day, special)]
    if special is not None and special.kind == "holiday":
        multiplier, shares = model.holiday, model.special_hours.get("holiday", shares)
    elif special is not None and special.kind == "promo":
        multiplier = special.uplift if special.uplift else model.promo
        shares = model.special_hours.get("promo", shares)
    expected = model.level * model.weekday[_weekday(day, special)] * multiplier
    return expected, [expected * share for share in shares]


def interval(model: Model, expected: float, hourly: bool = False) -> tuple[float, float]:
    """The 80 % prediction interval around `expected` (a day, or an hour with Poisson noise)."""
    if hourly:
        width = Z80 * math.sqrt(expected + (model.spread * expected) ** 2)
        return max(0.0, expected - width), expected + width
    return expected * math.exp(-Z80 * model.spread), expected * math.exp(Z80 * model.spread)


def seasonal_naive(history: History, day: date) -> list[float]:
    """The baseline: the same weekday of the last week of `history`."""
    last = max(history)
    source = day - timedelta(days=7 * math.ceil((day - last).days / 7))
    return list(history.get(source, [0.0] * 24))


def mape(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Mean absolute percentage error over the values whose actual is not zero."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a]
    return fmean(abs(a - p) / a for a, p in pairs) if pairs else float("nan")


def backtest(history: History, split: date, marks: dict[date, Special]) -> dict[str, float]:
    """Fit on the days before `split`, forecast every later day of `history`; daily MAPE of the
    model and of the seasonal-naive baseline, and hourly weighted errors (Σ|error| ÷ Σ actual)."""
    train = {d: v for d, v in history.items() if d < split}
    test = sorted(d for d in history if d >= split)
    model = fit(train, {d: m for d, m in marks.items() if d < split})
    ours = [predict_day(model, d, marks.get(d)) for d in test]
    naive = [seasonal_naive(train, d) for d in test]
    actual_days = [sum(history[d]) for d in test]

    def wape(pick: Callable[[int], list[float]]) -> float:
        errors = sum(abs(a - p) for i, d in enumerate(test) for a, p in zip(history[d], pick(i), strict=True))
        return errors / sum(actual_days) if sum(actual_days) else float("nan")

    return {
        "days": len(test),
        "mape": mape(actual_days, [o[0] for o in ours]),
        "naive_mape": mape(actual_days, [sum(n) for n in naive]),
        "hourly_wape": wape(lambda i: ours[i][1]),
        "naive_hourly_wape": wape(lambda i: naive[i]),
    }


# --- from the database ------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _slots(tz: ZoneInfo, start: datetime, span: int) -> tuple[tuple[date, int], ...]:
    """The local (day, hour) of each of the `span` UTC quarter hours from `start` (the hourly
    table's step: exact in half- and quarter-hour zones; cached: the same window serves the
    forecast, the staffing plan and the alerts until the day changes)."""
    return tuple((local.date(), local.hour) for n in range(span) for local in [(start + QUARTER * n).astimezone(tz)])


def load_history(tenant: Tenant, until: date, channel: str | None = None, days: int = HISTORY_DAYS) -> History:
    """Hourly arrivals of the `days` local days before `until`, per local day (one channel or all).

    The database sums the channels per UTC quarter hour; each row is placed by its offset from the
    first quarter into a table of local (day, hour) slots computed once, instead of converting every
    row's timestamp through the ORM (the forecast's main cost on PostgreSQL)."""
    tz = tz_of(tenant)
    first = until - timedelta(days=days)
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(until, time(), tz).astimezone(UTC)
    history: History = {first + timedelta(days=n): [0.0] * 24 for n in range(days)}
    span = int((end - start).total_seconds()) // 900
    slots = _slots(tz, start, span)
    query = (
        Hourly.select(Hourly.hour, fn.SUM(Hourly.count))
        .where((Hourly.tenant == tenant) & (Hourly.metric == "created") & (Hourly.hour >= start) & (Hourly.hour < end))
        .group_by(Hourly.hour)
    )
    if channel:
        query = query.where(Hourly.channel == channel)
    origin = start.replace(tzinfo=None)
    sql, params = query.sql()
    for raw, count in db.execute_sql(sql, params).fetchall():
        at = datetime.fromisoformat(raw) if isinstance(raw, str) else raw  # naive UTC on both databases
        if at.tzinfo is not None:
            at = at.astimezone(UTC).replace(tzinfo=None)
        index = int((at - origin).total_seconds()) // 900
        if 0 <= index < span:
            day, hour = slots[index]
            if day in history:
                history[day][hour] += int(count)
    return history


def promotions_of(tenant: Tenant) -> list[tuple[str, date, date, float | None]]:
    """The tenant's promotions as `(name, start, end, uplift)`."""
    rows = Promotion.of(tenant).order_by(Promotion.start)
    return [(p.name, p.start, p.end, p.uplift) for p in rows]


def forecast(tenant: Tenant, start: date, days: int = 14, channel: str | None = None) -> dict[str, object]:
    """Expected arrivals per day and hour from local day `start`, with 80 % intervals."""
    history = load_history(tenant, start, channel)
    end = start + timedelta(days=days - 1)
    marks = specials(min(history), end, promotions_of(tenant))
    model = fit(history, marks)
    out = []
    for n in range(days):
        day = start + timedelta(days=n)
        special = marks.get(day)
        expected, hours = predict_day(model, day, special)
        low, high = interval(model, expected)
        out.append(
            {
                "date": day.isoformat(),
                "kind": special.kind if special else "ordinary",
                "promotion": special.name if special and special.kind == "promo" else None,
                "expected": round(expected, 1),
                "lower": round(low, 1),
                "upper": round(high, 1),
                "hours": [
                    {"hour": h, "expected": round(v, 2), "lower": round(b[0], 2), "upper": round(b[1], 2)}
                    for h, v in enumerate(hours)
                    for b in [interval(model, v, hourly=True)]
                ],
            }
        )
    return {
        "report": "forecast",
        "from": start.isoformat(),
        "days": days,
        "channel": channel,
        "history_days": len(history),
        "model": {
            "level": round(model.level, 2),
            "weekday": [round(w, 3) for w in model.weekday],
            "holiday_multiplier": round(model.holiday, 3),
            "promotion_multiplier": round(model.promo, 3),
            "spread": round(model.spread, 4),
        },
        "items": out,
    }
