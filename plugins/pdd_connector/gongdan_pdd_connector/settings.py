"""Per-tenant settings of the connector (the console renders its form from this schema)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gongdan.models import PRIORITIES

TICKET_TARGETS = ("open", "pending", "resolved")
KINDS = ("refund_only", "return_refund", "exchange", "resend", "repair")


class PddSettingsSchema(Schema):
    """How after-sales records become tickets, and how often the connector syncs."""

    status_map = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,3}$")),
        values=fields.String(validate=validate.OneOf(TICKET_TARGETS)),
        load_default=dict,
        metadata={"description": "after_sales_status → ticket status (open, pending, resolved); adds to the defaults"},
    )
    categories = fields.Dict(
        keys=fields.String(validate=validate.OneOf(KINDS)),
        values=fields.String(validate=validate.Length(min=1, max=320)),
        load_default=dict,
        metadata={"description": "after-sales type → category path, e.g. refund_only → 售后/仅退款"},
    )
    priorities = fields.Dict(
        keys=fields.String(validate=validate.OneOf(KINDS)),
        values=fields.String(validate=validate.OneOf(PRIORITIES)),
        load_default=dict,
        metadata={"description": "after-sales type → base priority"},
    )
    high_amount_yuan = fields.Float(
        load_default=300.0,
        validate=validate.Range(min=0),
        metadata={"description": "a refund of at least this much (yuan) waiting for the merchant is high priority"},
    )
    urgent_hours = fields.Float(
        load_default=12.0,
        validate=validate.Range(min=0),
        metadata={"description": "a request that expires within this many hours is urgent"},
    )
    extra_tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=50)),
        load_default=list,
        metadata={"description": "tags added to every ticket from Pinduoduo"},
    )
    reason_subcategory = fields.Boolean(
        load_default=True,
        metadata={"description": "file under category/<buyer's reason> when that category exists"},
    )
    fetch_detail = fields.Boolean(
        load_default=True,
        metadata={"description": "read each changed record's detail (buyer's words, images, deadline)"},
    )
    sync_interval_seconds = fields.Integer(
        load_default=60, validate=validate.Range(min=30, max=3600), metadata={"description": "how often to sync"}
    )
    overlap_minutes = fields.Integer(
        load_default=5,
        validate=validate.Range(min=1, max=25),
        metadata={"description": "how far each window reaches back into the previous one"},
    )
    lag_minutes = fields.Integer(
        load_default=3,
        validate=validate.Range(min=3, max=60),
        metadata={"description": "windows end at least this far behind the gateway clock (≥ 3)"},
    )
    initial_days = fields.Integer(
        load_default=1,
        validate=validate.Range(min=0, max=90),
        metadata={"description": "how far back a new shop's first sync reaches"},
    )
