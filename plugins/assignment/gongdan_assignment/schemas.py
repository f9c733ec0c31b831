"""marshmallow schemas of what the assignment plugin accepts: availability, skills, rules, settings."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from gongdan.models import PRIORITIES
from gongdan_assignment.models import STATUSES

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
MAX_LEVEL = 5
MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL


def minutes(text: str) -> int:
    """`"09:30"` → 570 minutes after midnight (`"24:00"` → 1440)."""
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


class StrictSchema(Schema):
    """A schema that rejects unknown keys."""

    class Meta:
        unknown = RAISE


class ShiftSchema(StrictSchema):
    """A weekly shift in the tenant's time zone; `end` before `start` runs past midnight."""

    day = fields.String(required=True, validate=validate.OneOf(DAYS))
    start = fields.String(required=True, validate=validate.Regexp(CLOCK, error="HH:MM, 00:00 to 24:00"))
    end = fields.String(required=True, validate=validate.Regexp(CLOCK, error="HH:MM, 00:00 to 24:00"))

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["start"] == data["end"] or (data["start"] == "24:00"):
            raise ValidationError("a shift must not be empty", "end")


class LeaveSchema(StrictSchema):
    """Leave from one date to another (both included, tenant's time zone), maybe with a stand-in."""

    start = fields.Date(required=True, data_key="from")
    until = fields.Date(required=True)
    replacement_id = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_ID))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["until"] < data["start"]:
            raise ValidationError("must not be before from", "until")


class AvailabilitySchema(StrictSchema):
    """The body of `PUT /api/v1/agents/ID/availability` (any subset)."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    capacity = fields.Integer(validate=validate.Range(min=0, max=1000))
    weight = fields.Integer(validate=validate.Range(min=1, max=1000))
    shifts = fields.List(fields.Nested(ShiftSchema), validate=validate.Length(max=50))
    leave = fields.Nested(LeaveSchema, allow_none=True)


class SkillsSchema(StrictSchema):
    """The body of `PUT /api/v1/agents/ID/skills`: `{"skills": {"退货退款": 3}}`, levels 1–5."""

    skills = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)),
        values=fields.Integer(validate=validate.Range(min=1, max=MAX_LEVEL)),
        required=True,
    )


class WhenSchema(StrictSchema):
    """A rule's conditions; every key given must match (tags: any of them)."""

    category = fields.String(validate=validate.Length(min=1, max=320))
    channel = fields.String(validate=validate.Length(min=1, max=32))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    customer_tier = fields.String(validate=validate.Length(min=1, max=32))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(min=1))


class TargetSchema(StrictSchema):
    """Where a matching ticket goes: a strategy, optionally within a team and above a skill level."""

    strategy = fields.String(required=True, validate=validate.Length(min=1, max=64))
    team = fields.String(allow_none=True, load_default=None, validate=validate.Length(min=1, max=100))
    min_level = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_LEVEL))
    options = fields.Dict(keys=fields.String(), load_default=dict)


class RuleSchema(TargetSchema):
    """One rule: `when` these conditions hold, use this target."""

    when = fields.Nested(WhenSchema, required=True)


class RulesSchema(StrictSchema):
    """The body of `PUT /api/v1/assignment/rules`: ordered rules (first match wins) and a default."""

    rules = fields.List(fields.Nested(RuleSchema), required=True, validate=validate.Length(max=200))
    default = fields.Nested(TargetSchema, load_default=lambda: {"strategy": "least_loaded"})

    @validates("rules")
    def _has_conditions(self, rules: list[dict[str, Any]], **kwargs: Any) -> None:
        empty = [str(i) for i, rule in enumerate(rules) if rule.get("when") == {}]
        if empty:
            raise ValidationError(f"rule(s) {', '.join(empty)} have no condition: use the default instead")


class QueueQuerySchema(Schema):
    """Query of `GET /api/v1/assignment/queue`: a team's queue only, and paging."""

    team = fields.String(validate=validate.Length(min=1, max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class SettingsSchema(Schema):
    """The plugin's per-tenant settings (console form, `PUT /api/v1/plugins/assignment`)."""

    auto_assign = fields.Boolean(
        load_default=True,
        metadata={
            "label_zh": "自动分配",
            "label_en": "Assign automatically",
            "description_zh": "新工单一到就分配给客服",
            "description_en": "assign new tickets at once",
        },
    )
    first_response_minutes = fields.Integer(
        load_default=30,
        validate=validate.Range(min=0, max=7 * 24 * 60),
        metadata={
            "label_zh": "无人回复多久后改派（分钟）",
            "label_en": "Reassign when unanswered for (minutes)",
            "description_zh": "工单分配后这么多分钟没人回复就改派给别人（0：从不改派）",
            "description_en": "reassign a ticket nobody answered after this many minutes (0: never)",
        },
    )
    default_capacity = fields.Integer(
        load_default=8,
        validate=validate.Range(min=0, max=1000),
        metadata={
            "label_zh": "每位客服默认容量",
            "label_en": "Default tickets per agent",
            "description_zh": "未单独设置时，每位客服最多同时处理的未结工单数",
            "description_en": "open tickets an agent may hold unless set otherwise",
        },
    )
