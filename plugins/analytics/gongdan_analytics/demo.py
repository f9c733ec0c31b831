"""Demo history (`gongdan demo`): eight weeks of imported arrival counts and the tenant's promotions.

Creating thousands of backdated tickets through the ticket service would take minutes (every
plugin follows each ticket), so the demo imports the arrival counts of the eight weeks before
today as a tenant migrating from another system would (`rollup.import_arrivals`): the forecast,
the heat map and the volume charts have history; figures that need tickets (response times, SLA,
drill-down) come from the demo's real tickets. Promotions: the past 双11 (its peak is in the
history), the coming 双12 and 年货节, and next year's 618. A paused weekly report by e-mail to
the demo's admin shows the scheduled reports page with an example.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from gongdan.actors import Actor
from gongdan.models import Tenant, User

from . import rollup, scheduled, service
from .periods import today
from .synthetic import arrivals

HISTORY_DAYS = 56
PER_DAY = 60
CHANNELS = (("web", 0.45), ("email", 0.25), ("phone", 0.15), ("api", 0.15))


def promotions(now: date) -> list[dict[str, object]]:
    """The demo's promotions around `now`: the last 双11, the next 双12 and 年货节, next 618."""
    year = now.year if now.month >= 11 else now.year - 1
    return [
        {"name": "双11", "start": date(year, 11, 10), "end": date(year, 11, 11), "uplift": 3.0},
        {"name": "双12", "start": date(year, 12, 12), "end": date(year, 12, 12), "uplift": None},
        {"name": "年货节", "start": date(year + 1, 1, 10), "end": date(year + 1, 1, 20), "uplift": 1.5},
        {"name": "618", "start": date(year + 1, 6, 1), "end": date(year + 1, 6, 18), "uplift": 1.8},
    ]


def prepare(tenant: Tenant, admin: User) -> None:
    """Save the promotions and import the arrivals of the `HISTORY_DAYS` days before today."""
    now = today(tenant)
    items = promotions(now)
    service.save_promotions(tenant, items, Actor.of(admin))
    start = now - timedelta(days=HISTORY_DAYS)
    spans = [(p["name"], p["start"], p["end"], p["uplift"]) for p in items]
    history, _ = arrivals(start, HISTORY_DAYS, PER_DAY, spans, seed=11)  # type: ignore[arg-type]
    tz = rollup.tz_of(tenant)
    counts: dict[tuple[datetime, str], int] = {}
    for day, hours in history.items():
        for hour, total in enumerate(hours):
            at = datetime.combine(day, time(hour), tz).astimezone(UTC)
            left = int(total)
            for n, (channel, share) in enumerate(CHANNELS):
                part = left if n == len(CHANNELS) - 1 else round(total * share)
                part = min(part, left)
                left -= part
                if part:
                    counts[(at, channel)] = part
    rollup.import_arrivals(tenant, counts)
    scheduled.save(
        tenant,
        {"name": "示例周报 Sample weekly report", "report": "summary", "group_by": "problem", "frequency": "weekly",
         "weekday": 0, "hour": 8, "recipients": [admin.email], "language": "zh", "format": "xlsx", "active": False},
        Actor.of(admin),
    )  # fmt: skip
