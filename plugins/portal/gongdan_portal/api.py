"""`GET /api/v1/csat`: satisfaction figures over a period, overall and per group."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from gongdan import clock
from gongdan.api.common import api_route, current_tenant
from gongdan_portal import csat

bp = Blueprint("portal_api", __name__, url_prefix="/api/v1")
DEFAULT_DAYS = 30


class CsatQuerySchema(Schema):
    """`from` and `to` (dates or ISO times; `to` is exclusive, a date counts whole) and `group_by`."""

    class Meta:
        unknown = RAISE

    start = fields.String(data_key="from", load_default=None)
    end = fields.String(data_key="to", load_default=None)
    group_by = fields.String(load_default=None, validate=validate.OneOf(csat.GROUPS))

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        for key, name in (("start", "from"), ("end", "to")):
            if data.get(key) is not None and _parse(data[key], end=key == "end") is None:
                raise ValidationError("must be a date (2026-11-02) or an ISO 8601 time", name)


def _parse(text: str, *, end: bool, zone: Any = UTC) -> datetime | None:
    try:
        if len(text) == 10:
            day = datetime.combine(datetime.fromisoformat(text).date(), time(), tzinfo=zone)
            return day + timedelta(days=1) if end else day
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


@api_route(bp, "/csat", query=CsatQuerySchema, role="supervisor", plugin="portal", tags=("portal",))
def csat_report(args: dict) -> dict:
    """Satisfaction over resolutions in `[from, to)` (default the last 30 days): asked, answered,
    response rate, mean score (1–5), counts of 满意 (5) / 一般 (3) / 不满意 (1), per `group_by`
    (`agent`, `team`, `category` or `channel`) when given. Dates are days in the tenant's time zone."""
    tenant = current_tenant()
    try:
        zone = ZoneInfo(tenant.timezone)
    except (KeyError, ValueError):
        zone = UTC
    end = _parse(args["end"], end=True, zone=zone) if args.get("end") else clock.now()
    start = _parse(args["start"], end=False, zone=zone) if args.get("start") else end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        from gongdan.errors import ValidationError as Invalid

        raise Invalid("empty period", {"from": ["must be before to"]})
    return csat.report(tenant, start, end, args.get("group_by"))
