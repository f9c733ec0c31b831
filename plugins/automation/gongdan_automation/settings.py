"""The plugin's per-tenant settings: business hours (for the `business_hours` condition) and limits."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="must be HH:MM")


class AutomationSettingsSchema(Schema):
    """Business hours in the tenant's time zone, and how deep triggers may set each other off."""

    business_start = fields.String(load_default="09:00", validate=HHMM, metadata={"label": "Business hours start"})
    business_end = fields.String(load_default="18:00", validate=HHMM, metadata={"label": "Business hours end"})
    business_days = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=7)),
        load_default=lambda: [1, 2, 3, 4, 5],
        metadata={"label": "Business days (1 = Monday)"},
    )
    max_depth = fields.Integer(
        load_default=3, validate=validate.Range(min=1, max=10), metadata={"label": "Trigger chain depth limit"}
    )
