"""The plugin's per-tenant settings (the console renders its form from this schema)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate, validates, validates_schema

from gongdan import outbound
from gongdan.schemas import Secret

TRANSPORT_NAMES = ("in_app", "email", "webhook")


class SlaSettingsSchema(Schema):
    """Which transports notify, and how to reach the SMTP server and the webhook."""

    transports = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=lambda: list(TRANSPORT_NAMES),
        metadata={"description": "notification transports to use (in_app, email, webhook, or a plugin's)"},
    )
    smtp_host = fields.String(
        load_default="", metadata={"description": "SMTP server (a public address); empty: no e-mail"}
    )
    smtp_port = fields.Integer(load_default=25, validate=validate.Range(min=1, max=65535))
    smtp_from = fields.Email(load_default="sla@gongdan.invalid")
    smtp_username = fields.String(load_default="")
    smtp_password = Secret(metadata={"description": "stored encrypted, never shown"})
    smtp_starttls = fields.Boolean(
        load_default=True,
        metadata={"description": "STARTTLS (certificate checked); off only for allow-listed servers"},
    )
    webhook_url = fields.Url(
        load_default=None,
        allow_none=True,
        require_tld=False,
        schemes={"http", "https"},
        metadata={"description": "POST target (https; http only to allow-listed addresses); empty: no webhook"},
    )
    webhook_secret = Secret(metadata={"description": "HMAC-SHA256 key; stored encrypted, never shown"})
    max_attempts = fields.Integer(load_default=5, validate=validate.Range(min=1, max=20))

    @validates("webhook_url")
    def _public_webhook(self, value: str | None, **_: Any) -> None:
        outbound.check_url(value, allow_http=True)

    @validates_schema(skip_on_field_errors=True)
    def _public_smtp(self, data: dict[str, Any], **_: Any) -> None:
        plaintext = not data["smtp_starttls"]
        outbound.check_host(data.get("smtp_host"), data["smtp_port"], plaintext=plaintext, field="smtp_host")
