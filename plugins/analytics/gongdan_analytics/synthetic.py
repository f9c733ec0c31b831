"""Synthetic but realistic arrivals: weekly and daily peaks, a slow trend, China's holidays and
promotion peaks with their own midnight rush, day-to-day noise and Poisson counts.

Used by the benchmark (forecast error on a held-back month), the demo's history and the tests.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from .forecast import History, Special, specials

WEEKDAY = (1.15, 1.05, 1.0, 1.0, 0.95, 0.8, 0.85)
# e-commerce service: quiet at night, a late-morning peak and a larger evening peak
HOURS = (
    0.8, 0.4, 0.2, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 4.0, 5.5, 6.0,
    5.0, 5.0, 5.5, 5.5, 5.0, 4.5, 4.5, 5.5, 7.0, 8.0, 6.5, 3.0,
)  # fmt: skip
PROMO_HOURS = (9.0, 5.0, 2.0, 1.0, 0.5, 0.5, 0.8, 1.5, 3.0, 4.5, 5.5, 6.0,
               5.0, 5.0, 5.0, 5.0, 4.5, 4.5, 4.5, 5.0, 6.0, 6.5, 6.0, 4.0)  # fmt: skip
HOLIDAY = 0.6
TREND = 0.002


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (normal approximation above 30)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def arrivals(
    start: date,
    days: int,
    per_day: float,
    promotions: list[tuple[str, date, date, float | None]],
    seed: int = 7,
) -> tuple[History, dict[date, Special]]:
    """`days` days of hourly arrivals from `start` around `per_day` an ordinary Wednesday, and the
    special days (holidays, make-up days, promotions) they were made with."""
    rng = random.Random(seed)
    marks = specials(start, start + timedelta(days=days - 1), promotions)
    history: History = {}
    for n in range(days):
        day = start + timedelta(days=n)
        special = marks.get(day)
        weekday = 0 if special is not None and special.kind == "workday" else day.weekday()
        mean = per_day * WEEKDAY[weekday] * (1 + TREND * n) * math.exp(rng.gauss(0, 0.05))
        shape = HOURS
        if special is not None and special.kind == "holiday":
            mean *= HOLIDAY
        elif special is not None and special.kind == "promo":
            mean *= special.uplift or 2.5
            shape = PROMO_HOURS
        total = sum(shape)
        history[day] = [float(poisson(rng, mean * h / total)) for h in shape]
    return history, marks
