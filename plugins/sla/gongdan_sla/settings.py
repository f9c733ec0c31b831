"""The plugin's per-tenant settings (the console renders its form from this schema)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

TRANSPORT_NAMES = ("in_app", "email", "webhook")


class SlaSettingsSchema(Schema):
    """Which transports notify, and how to reach the SMTP server and the webhook."""

    transports = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        load_default=lambda: list(TRANSPORT_NAMES),
        metadata={"description": "notification transports to use (in_app, email, webhook, or a plugin's)"},
    )
    smtp_host = fields.String(load_default="", metadata={"description": "SMTP server; empty: no e-mail"})
    smtp_port = fields.Integer(load_default=25, validate=validate.Range(min=1, max=65535))
    smtp_from = fields.Email(load_default="sla@gongdan.invalid")
    smtp_username = fields.String(load_default="")
    smtp_password = fields.String(load_default="", metadata={"secret": True})
    smtp_starttls = fields.Boolean(load_default=False)
    webhook_url = fields.Url(
        load_default=None,
        allow_none=True,
        require_tld=False,
        metadata={"description": "POST target; empty: no webhook"},
    )
    webhook_secret = fields.String(load_default="", metadata={"description": "HMAC-SHA256 key", "secret": True})
    max_attempts = fields.Integer(load_default=5, validate=validate.Range(min=1, max=20))
