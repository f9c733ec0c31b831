"""Report periods: whole days in the tenant's time zone, and the period before them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from gongdan import clock
from gongdan.errors import ValidationError
from gongdan.models import Tenant

from .rollup import tz_of

MAX_DAYS = 366
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Period:
    """Local days `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def dates(self) -> list[date]:
        """Each day of the period."""
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def utc_bounds(self, tenant: Tenant) -> tuple[datetime, datetime]:
        """`[start of the first day, start of the day after the last)` in UTC."""
        tz = tz_of(tenant)
        first = datetime.combine(self.start, time(), tz).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(), tz).astimezone(UTC)
        return first, after


def today(tenant: Tenant) -> date:
    """Today in the tenant's time zone."""
    return clock.now().astimezone(tz_of(tenant)).date()


def period(tenant: Tenant, start: date | None, end: date | None) -> Period:
    """The period asked for; by default the last `DEFAULT_DAYS` days up to today (tenant's zone).

    Raises ValidationError (422) naming `from`/`to` when the period is reversed or too long.
    """
    end = end or today(tenant)
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationError("invalid period", {"from": ["must not be after `to`"]})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError("invalid period", {"to": [f"a period has at most {MAX_DAYS} days"]})
    return Period(start, end)
