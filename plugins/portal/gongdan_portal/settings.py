"""The portal's per-tenant settings (the console renders its form from this schema)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

WHO_MAY_SUBMIT = ("anyone", "known_customers")


class PortalSettings(Schema):
    """Branding, what is public, who may submit, and how ratings are followed up."""

    open = fields.Boolean(load_default=True, metadata={"description": "off: the portal answers 404"})
    display_name = fields.String(
        load_default="", validate=validate.Length(max=100), metadata={"description": "empty: the tenant's name"}
    )
    colour = fields.String(
        load_default="#1f6feb",
        validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="must be a colour like #1f6feb"),
        metadata={"description": "brand colour, #RRGGBB"},
    )
    welcome_text = fields.String(load_default="", validate=validate.Length(max=1000))
    public_categories = fields.List(
        fields.String(validate=validate.Length(min=1, max=320)),
        load_default=list,
        metadata={"description": "category paths customers may pick (and their sub-categories); empty: all"},
    )
    who_may_submit = fields.String(load_default="anyone", validate=validate.OneOf(WHO_MAY_SUBMIT))
    submits_per_ip_hour = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=100_000),
        metadata={"description": "requests one IP address may submit an hour (raise it for a shared office NAT)"},
    )
    reopen_days = fields.Integer(
        load_default=7,
        validate=validate.Range(min=0, max=365),
        metadata={"description": "days after resolution a customer may reopen"},
    )
    low_rating_followup = fields.Boolean(
        load_default=False, metadata={"description": "a 不满意 rating opens a follow-up ticket"}
    )
    followup_team = fields.String(
        load_default="", validate=validate.Length(max=100), metadata={"description": "team of follow-ups"}
    )
    public_url = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(https?://[^\s/]+)?$", error="must be like https://help.example.com"),
        metadata={"description": "address of this server in links sent to customers; empty: GONGDAN_PUBLIC_URL"},
    )
