"""The plugin's per-tenant settings: business hours (for the `business_hours` condition) and limits."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="must be HH:MM")


class AutomationSettingsSchema(Schema):
    """Business hours in the tenant's time zone, and how deep triggers may set each other off."""

    business_start = fields.String(
        load_default="09:00",
        validate=HHMM,
        metadata={
            "label_zh": "工作时间开始",
            "label_en": "Business hours start",
            "description_zh": "时:分，例如 09:00",
            "description_en": "HH:MM, e.g. 09:00",
        },
    )
    business_end = fields.String(
        load_default="18:00",
        validate=HHMM,
        metadata={
            "label_zh": "工作时间结束",
            "label_en": "Business hours end",
            "description_zh": "时:分，例如 18:00",
            "description_en": "HH:MM, e.g. 18:00",
        },
    )
    business_days = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=7)),
        load_default=lambda: [1, 2, 3, 4, 5],
        metadata={
            "label_zh": "工作日",
            "label_en": "Business days",
            "choices": ["1", "2", "3", "4", "5", "6", "7"],
            "choice_labels_zh": dict(
                zip("1234567", ("周一", "周二", "周三", "周四", "周五", "周六", "周日"), strict=True)
            ),
            "choice_labels_en": dict(zip("1234567", ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True)),
        },
    )
    max_depth = fields.Integer(
        load_default=3,
        validate=validate.Range(min=1, max=10),
        metadata={
            "label_zh": "触发器连锁层数上限",
            "label_en": "Trigger chain depth limit",
            "description_zh": "一个触发器的动作最多再引发几层触发器",
            "description_en": "how many levels of triggers one trigger's actions may set off",
        },
    )
