"""Hourly figures in zones whose hours are not UTC hours: India (+05:30), Nepal (+05:45) and
Adelaide (+10:30 → +09:30 on 5 April 2026, when 02:00–03:00 happens twice).

The hourly table is kept per UTC quarter hour, so each local hour is a whole number of its rows.
The forecast's history, the heat map and the alerts' last hour are compared with a count of the
tickets' own creation times in the zone (tickets on each side of every quarter of the hour).
A change of the tenant's zone recounts the local days at the next catch-up.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gongdan_analytics import alerts, reports, rollup
from gongdan_analytics.forecast import load_history
from gongdan_analytics.periods import Period

from gongdan import accounts, tickets
from gongdan.actors import Actor
from gongdan.models import Ticket

from .conftest import CUSTOMER

ZONES = {
    "Asia/Kolkata": date(2026, 11, 9),
    "Asia/Kathmandu": date(2026, 11, 9),
    "Australia/Adelaide": date(2026, 4, 3),  # Friday to Monday across the change on Sunday 5 April
}


def instants(zone: str, first: date, days: int) -> list[datetime]:
    """Creation times (UTC) over `days` local days: a minute either side of each local quarter hour
    of some hours, both passes of Adelaide's repeated hour, and random minutes."""
    tz, rng = ZoneInfo(zone), random.Random(15)
    start = datetime.combine(first, datetime.min.time(), tz).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=days), datetime.min.time(), tz).astimezone(UTC)
    found = []
    for hour in (0, 5, 9, 23):
        local = datetime.combine(first + timedelta(days=1), datetime.min.time(), tz).replace(hour=hour)
        for minute in (0, 14, 15, 29, 30, 44, 45, 59):
            found.append(local.replace(minute=minute).astimezone(UTC))
    if zone == "Australia/Adelaide":
        for fold in (0, 1):
            for minute in (0, 20, 59):
                found.append(datetime(2026, 4, 5, 2, minute, tzinfo=tz, fold=fold).astimezone(UTC))
    span = int((end - start).total_seconds() // 60)
    found += [start + timedelta(minutes=rng.randrange(span)) for _ in range(60)]
    return sorted(set(found))


@pytest.mark.parametrize("zone", list(ZONES))
def test_hourly_figures_are_exact_in_the_zone(
    analytics: Any, tenant: Any, frozen_clock: Any, counted: Any, zone: str
) -> None:
    tenant.timezone = zone
    tenant.save()
    tz, first, days = ZoneInfo(zone), ZONES[zone], 3
    for n, when in enumerate(instants(zone, first, days)):
        frozen_clock.set(when)
        tickets.create(tenant, {"subject": f"工单 {n}", "channel": "web"}, CUSTOMER)
    after = first + timedelta(days=days)
    frozen_clock.set(datetime.combine(after, datetime.min.time(), tz).replace(hour=1, minute=50))
    counted()

    created = [t.created_at.astimezone(tz) for t in Ticket.of(tenant)]
    plain = Counter((at.date(), at.hour) for at in created)
    assert sum(plain.values()) == len(created) > 60

    history = load_history(tenant, after, days=days)  # the forecast's, the staffing plan's and the alerts'
    assert {(day, hour): n for day, hours in history.items() for hour, n in enumerate(hours) if n} == plain
    if zone == "Australia/Adelaide":  # both passes of the repeated hour, in one local hour
        assert history[date(2026, 4, 5)][2] == plain[(date(2026, 4, 5), 2)] >= 6

    grid = [[0] * 24 for _ in range(7)]
    for at in created:
        grid[at.weekday()][at.hour] += 1
    assert reports.heatmap(tenant, Period(first, after - timedelta(days=1)))["grid"] == grid

    # the alerts look at the last full local hour: 00:00–01:00 of `after` (not the UTC hour)
    end = rollup.local_hour_start(datetime.combine(after, datetime.min.time(), tz).replace(hour=1, minute=50), tz)
    assert end.astimezone(tz).replace(tzinfo=None) == datetime.combine(after, datetime.min.time()).replace(hour=1)
    frozen_clock.set(end - timedelta(minutes=45))  # one ticket in the last local hour, at 00:15
    tickets.create(tenant, {"subject": "最后一小时", "channel": "web"}, CUSTOMER)
    frozen_clock.set(end + timedelta(minutes=50))
    counted()
    assert alerts._hour_counts(tenant, end - timedelta(hours=1), end) == {"web": 1}


def test_a_change_of_zone_recounts_the_local_days(analytics: Any, tenant: Any, frozen_clock: Any, counted: Any) -> None:
    """01:00 on 2 November in Shanghai is 22:30 on 1 November in India: after the tenant's zone
    changes, the next catch-up moves the ticket, its first response and the agent's work time to
    the 1st (the hourly rows, per UTC quarter hour, stay as they are)."""
    agent = accounts.create_user(tenant, "li@acme.example.com", "agent", "李娜", "pw-123456789")
    sh = ZoneInfo("Asia/Shanghai")
    frozen_clock.set(datetime(2026, 11, 2, 1, 0, tzinfo=sh))
    ticket, _ = tickets.create(tenant, {"subject": "深夜的工单", "channel": "web"}, CUSTOMER)
    frozen_clock.set(datetime(2026, 11, 2, 1, 5, tzinfo=sh))
    tickets.comment(tenant, Ticket.get_by_id(ticket.id), "您好", Actor.of(agent))
    frozen_clock.set(datetime(2026, 11, 2, 1, 15, tzinfo=sh))
    tickets.comment(tenant, Ticket.get_by_id(ticket.id), "补充", Actor.of(agent))
    frozen_clock.set(datetime(2026, 11, 2, 10, 0, tzinfo=sh))
    counted()
    first, second = Period(date(2026, 11, 1), date(2026, 11, 1)), Period(date(2026, 11, 2), date(2026, 11, 2))

    def figures(span: Period) -> tuple[int, int, int]:
        total = reports.summary(tenant, span, "channel")["total"]
        return total["created"], total["first_response"]["count"], total["handling"]["count"]

    assert (figures(first), figures(second)) == ((0, 0, 0), (1, 1, 1))
    tenant.timezone = "Asia/Kolkata"
    tenant.save()
    counted()
    assert (figures(first), figures(second)) == ((1, 1, 1), (0, 0, 0))
    assert reports.heatmap(tenant, first)["grid"][6][22] == 1  # Sunday 22:30 IST
    counted()  # once: nothing moves again
    assert (figures(first), figures(second)) == ((1, 1, 1), (0, 0, 0))
