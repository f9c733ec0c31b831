"""One way to run a report by name, for the API, the console and the exports alike."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as Invalid

from gongdan import audit, outbound
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import ValidationError
from gongdan.models import Tenant

from . import reports
from .forecast import forecast
from .models import Promotion
from .periods import period, today
from .staffing import staffing

TABLE_REPORTS = ("summary", "daily", "top_problems", "backlog")
LANGS = ("zh", "en")


class ReportQuery(Schema):
    """`from`/`to`: local days (inclusive, tenant's zone; default the last 7 days); `group_by`; `limit`."""

    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None)
    group_by = fields.String(load_default="channel", validate=validate.OneOf(reports.GROUPS))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class ExportQuery(ReportQuery):
    """A report as a file: `format` csv or xlsx, column headers in `lang`."""

    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))
    lang = fields.String(load_default="zh", validate=validate.OneOf(LANGS))


class ForecastQuery(Schema):
    """`from`: the first local day (default today); `days` 1–28; `channel` (default all)."""

    start = fields.Date(data_key="from", load_default=None)
    days = fields.Integer(load_default=14, validate=validate.Range(min=1, max=28))
    channel = fields.String(load_default=None, validate=validate.Length(max=32))


class StaffingQuery(Schema):
    """`date`: the local day to staff (default tomorrow)."""

    day = fields.Date(data_key="date", load_default=None)


class PromotionSchema(Schema):
    """A promotion: name, first and last local day, the expected uplift (× ordinary; empty: learnt)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    uplift = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0.1, max=50))

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        if data["start"] > data["end"]:
            raise Invalid("must not be before start", "end")


class PromotionsBody(Schema):
    """`{"items": [...]}`: the tenant's promotions, replacing the stored ones."""

    items = fields.List(fields.Nested(PromotionSchema), required=True, validate=validate.Length(max=200))


def language(args: dict[str, Any]) -> str:
    """`zh` or `en`: the query's `lang`, else the request's language (the console's, or the API
    caller's Accept-Language), else English."""
    if args.get("lang") in LANGS:
        return args["lang"]
    return "zh" if outbound.request_language().lower().startswith("zh") else "en"


def run(tenant: Tenant, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """The report `name` for the loaded query `args`; labels of values in `args["lang"]` (or the request's)."""
    if name == "backlog":
        return reports.backlog(tenant, args.get("group_by", "channel"), language(args))
    if name == "forecast":
        return forecast(tenant, args.get("start") or today(tenant), args.get("days", 14), args.get("channel"))
    if name == "staffing":
        return staffing(tenant, args.get("day") or today(tenant) + timedelta(days=1))
    span = period(tenant, args.get("start"), args.get("end"))
    if name == "summary":
        return reports.summary(tenant, span, args.get("group_by", "channel"), language(args))
    if name == "daily":
        return reports.daily(tenant, span)
    if name == "top_problems":
        return reports.top_problems(tenant, span, args.get("limit", 10))
    if name == "heatmap":
        return reports.heatmap(tenant, span)
    raise ValidationError("unknown report", {"name": [f"unknown report {name!r}"]})


def promotions(tenant: Tenant) -> list[dict[str, Any]]:
    """The tenant's promotions, by first day."""
    return [
        {"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat(), "uplift": p.uplift}
        for p in Promotion.of(tenant).order_by(Promotion.start, Promotion.name)
    ]


def save_promotions(tenant: Tenant, items: list[dict[str, Any]], actor: Actor) -> list[dict[str, Any]]:
    """Replace the tenant's promotions (already validated by `PromotionsBody`); audited."""
    seen: set[tuple[str, date]] = set()
    for n, item in enumerate(items):
        key = (item["name"], item["start"])
        if key in seen:
            raise ValidationError("duplicate promotion", {f"items.{n}.name": ["the same name and start twice"]})
        seen.add(key)
    before = promotions(tenant)
    with write_transaction():
        Promotion.delete().where(Promotion.tenant == tenant).execute()
        for item in items:
            Promotion.create(tenant=tenant, **item)
    after = promotions(tenant)
    audit.record(tenant, "analytics.promotions_changed", actor, data={"before": before, "after": after})
    return after
