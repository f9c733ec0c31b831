"""The plugin's per-tenant settings (the console renders its form from this schema)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from gongdan import outbound
from gongdan.plugins import get_host
from gongdan.schemas import Secret

TRANSPORT_NAMES = ("in_app", "email", "webhook")


class SlaSettingsSchema(Schema):
    """Which transports notify, and how to reach the SMTP server and the webhook."""

    transports = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=lambda: list(TRANSPORT_NAMES),
        metadata={
            "label_zh": "通知方式",
            "label_en": "Transports",
            "description": "how notifications go out (a plugin may offer more ways)",
            "description_zh": "通知通过哪些方式发出（插件可以提供更多方式）",
            "choices": lambda: sorted({t.name for _, t in get_host().registered("gongdan_notification_transports")}),
            "choice_labels_zh": {"in_app": "站内通知（铃铛）", "email": "邮件", "webhook": "Webhook"},
            "choice_labels_en": {"in_app": "In the console (the bell)", "email": "E-mail", "webhook": "Webhook"},
        },
    )
    smtp_host = fields.String(
        load_default="",
        metadata={
            "label_zh": "SMTP 服务器",
            "label_en": "SMTP server",
            "description": "SMTP server (a public address); empty: no e-mail",
            "description_zh": "SMTP 服务器（公网地址）；留空则不发邮件",
        },
    )
    smtp_port = fields.Integer(
        load_default=25,
        validate=validate.Range(min=1, max=65535),
        metadata={"label_zh": "SMTP 端口", "label_en": "SMTP port"},
    )
    smtp_from = fields.Email(
        load_default="sla@gongdan.invalid", metadata={"label_zh": "发件地址", "label_en": "From address"}
    )
    smtp_username = fields.String(load_default="", metadata={"label_zh": "SMTP 用户名", "label_en": "SMTP user name"})
    smtp_password = Secret(
        metadata={
            "label_zh": "SMTP 密码",
            "label_en": "SMTP password",
            "description": "stored encrypted, never shown",
            "description_zh": "加密保存，不会显示",
        }
    )
    smtp_starttls = fields.Boolean(
        load_default=True,
        metadata={
            "label_zh": "使用 STARTTLS",
            "label_en": "Use STARTTLS",
            "description": "STARTTLS (certificate checked); off only for allow-listed servers",
            "description_zh": "STARTTLS（校验证书）；只有白名单内的服务器才可关闭",
        },
    )
    webhook_url = fields.Url(
        load_default=None,
        allow_none=True,
        require_tld=False,
        schemes={"http", "https"},
        metadata={
            "label_zh": "Webhook 地址",
            "label_en": "Webhook URL",
            "description": "POST target (https; http only to allow-listed addresses); empty: no webhook",
            "description_zh": "POST 到此地址（https；http 只限白名单地址）；留空则不用 webhook",
        },
    )
    webhook_secret = Secret(
        metadata={
            "label_zh": "Webhook 密钥",
            "label_en": "Webhook secret",
            "description": "HMAC-SHA256 key; stored encrypted, never shown",
            "description_zh": "HMAC-SHA256 签名密钥；加密保存，不会显示",
        }
    )
    max_attempts = fields.Integer(
        load_default=5,
        validate=validate.Range(min=1, max=20),
        metadata={"label_zh": "最多尝试次数", "label_en": "Attempts at most"},
    )

    @validates("transports")
    def _known_transports(self, value: list[str], **_: Any) -> None:
        known = set(TRANSPORT_NAMES) | {t.name for _, t in get_host().registered("gongdan_notification_transports")}
        unknown = [name for name in value if name not in known]
        if unknown:
            raise ValidationError(f"unknown transport {', '.join(unknown)}; known: {', '.join(sorted(known))}")

    @validates("webhook_url")
    def _public_webhook(self, value: str | None, **_: Any) -> None:
        outbound.check_url(value, allow_http=True)

    @validates_schema(skip_on_field_errors=True)
    def _public_smtp(self, data: dict[str, Any], **_: Any) -> None:
        plaintext = not data["smtp_starttls"]
        outbound.check_host(data.get("smtp_host"), data["smtp_port"], plaintext=plaintext, field="smtp_host")
