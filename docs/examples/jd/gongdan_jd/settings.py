"""The plugin's per-tenant settings: the console renders a form from this schema and
`PUT /api/v1/plugins/jd` validates with it (422 naming `settings.<field>`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate, validates

from gongdan import outbound
from gongdan.schemas import Secret

NAME = "jd"


class Settings(Schema):
    """What an admin sets per tenant; read it with `get_host().settings(tenant, NAME)`."""

    tag = fields.String(
        load_default="jd",
        validate=validate.Length(min=1, max=32),
        metadata={"label": _l("Tag for new tickets"), "description": _l("Added to every new ticket from JD.")},
    )
    gateway_url = fields.Url(
        load_default=None,
        allow_none=True,
        require_tld=False,
        metadata={"label": _l("Gateway URL"), "description": _l("JD open platform's address.")},
    )
    vender_id = fields.String(
        load_default="", validate=validate.Length(max=64), metadata={"label": _l("JD shop id (venderId)")}
    )
    app_key = fields.String(load_default="", validate=validate.Length(max=64), metadata={"label": _l("App key")})
    app_secret = Secret(metadata={"label": _l("App secret"), "description": _l("Stored encrypted, never shown.")})
    access_token = Secret(metadata={"label": _l("Access token"), "description": _l("Stored encrypted, never shown.")})

    @validates("gateway_url")
    def _reachable(self, value: str | None, **_: object) -> None:
        outbound.check_url(value, allow_http=True)  # checked when saved, and again on every call
