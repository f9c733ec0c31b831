"""The plugin's per-tenant settings: alert thresholds, robot webhooks, staffing targets."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate, validates

from gongdan import outbound
from gongdan.schemas import Secret


def _robot_url(description: Any) -> fields.Url:
    return fields.Url(
        load_default=None,
        allow_none=True,
        require_tld=False,
        schemes={"http", "https"},
        metadata={"description": description},
    )


class AnalyticsSettingsSchema(Schema):
    """Thresholds of the anomaly alerts, where they go, and the staffing target."""

    wecom_url = _robot_url(_l("WeCom (企业微信) group robot webhook URL; empty: not used"))
    dingtalk_url = _robot_url(_l("DingTalk (钉钉) group robot webhook URL with its access_token; empty: not used"))
    dingtalk_secret = Secret(
        metadata={"description": _l("DingTalk signing secret (加签, starts with SEC); stored encrypted")}
    )
    feishu_url = _robot_url(_l("Feishu (飞书) custom bot webhook URL; empty: not used"))
    feishu_secret = Secret(metadata={"description": _l("Feishu signing secret (签名校验); stored encrypted")})
    console_url = fields.Url(
        load_default=None,
        allow_none=True,
        require_tld=False,
        metadata={"description": _l("Public address of this console (links in alerts), e.g. https://kefu.example.com")},
    )
    spike_ratio = fields.Float(
        load_default=2.0,
        validate=validate.Range(min=1.0, max=100.0),
        metadata={
            "description": _l("Alert when the last hour's arrivals exceed the forecast's upper bound times this")
        },
    )
    spike_min = fields.Integer(
        load_default=10,
        validate=validate.Range(min=1, max=100_000),
        metadata={"description": _l("…and are at least this many tickets")},
    )
    slow_ratio = fields.Float(
        load_default=1.5,
        validate=validate.Range(min=1.0, max=100.0),
        metadata={
            "description": _l("Alert when an agent's or team's handling time today exceeds its 28-day norm times this")
        },
    )
    slow_min_replies = fields.Integer(
        load_default=5,
        validate=validate.Range(min=1, max=10_000),
        metadata={"description": _l("…counting at least this many replies today")},
    )
    breach_min = fields.Integer(
        load_default=5,
        validate=validate.Range(min=1, max=100_000),
        metadata={"description": _l("Alert when at least this many SLA breaches happened in the last hour…")},
    )
    breach_ratio = fields.Float(
        load_default=3.0,
        validate=validate.Range(min=1.0, max=100.0),
        metadata={"description": _l("…and this many times the hourly mean of the last 7 days")},
    )
    silent_hours = fields.Integer(
        load_default=3,
        validate=validate.Range(min=1, max=72),
        metadata={"description": _l("Alert when a channel brought nothing for this many hours…")},
    )
    silent_expected = fields.Float(
        load_default=5.0,
        validate=validate.Range(min=0.5, max=100_000),
        metadata={"description": _l("…while the forecast expected at least this many tickets in them")},
    )
    service_level = fields.Float(
        load_default=0.8,
        validate=validate.Range(min=0.01, max=0.999),
        metadata={"description": _l("Staffing target: share of tickets answered within the answer time")},
    )
    answer_minutes = fields.Float(
        load_default=30.0,
        validate=validate.Range(min=0.1, max=1440),
        metadata={"description": _l("Staffing target: answer time in minutes")},
    )

    @validates("wecom_url", "dingtalk_url", "feishu_url")
    def _public(self, value: str | None, **_: Any) -> None:
        outbound.check_url(value, allow_http=True)


LABELS = {
    "wecom_url": _l("WeCom robot"),
    "dingtalk_url": _l("DingTalk robot"),
    "dingtalk_secret": _l("DingTalk secret"),
    "feishu_url": _l("Feishu robot"),
    "feishu_secret": _l("Feishu secret"),
    "console_url": _l("Console address"),
    "spike_ratio": _l("Arrivals spike: times the forecast"),
    "spike_min": _l("Arrivals spike: at least"),
    "slow_ratio": _l("Slow handling: times the norm"),
    "slow_min_replies": _l("Slow handling: replies at least"),
    "breach_min": _l("SLA breaches in an hour: at least"),
    "breach_ratio": _l("SLA breaches: times the weekly mean"),
    "silent_hours": _l("Silent channel: hours"),
    "silent_expected": _l("Silent channel: expected at least"),
    "service_level": _l("Staffing: service level"),
    "answer_minutes": _l("Staffing: answer within (minutes)"),
}
for _name, _label in LABELS.items():  # the console's settings form shows `label`
    AnalyticsSettingsSchema._declared_fields[_name].metadata["label"] = _label
