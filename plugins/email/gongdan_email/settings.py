"""The plugin's per-tenant settings (the console renders the form from this schema)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from gongdan.models import Tenant
from gongdan.plugins import get_host

PLUGIN = "email"


class EmailSettingsSchema(Schema):
    """Reopen window, message size limit and the acknowledgement cap."""

    reopen_days = fields.Integer(
        load_default=7,
        validate=validate.Range(min=0, max=365),
        metadata={
            "label": _l("Reopen window (days)"),
            "description": _l("A reply to a ticket resolved this recently reopens it; later it opens a follow-up."),
        },
    )
    max_message_mb = fields.Integer(
        load_default=25,
        validate=validate.Range(min=1, max=100),
        metadata={
            "label": _l("Largest message (MB)"),
            "description": _l("Bigger messages are not downloaded; they go to the quarantine."),
        },
    )
    acknowledgements_per_hour = fields.Integer(
        load_default=3,
        validate=validate.Range(min=0, max=100),
        metadata={
            "label": _l("Acknowledgements per sender per hour"),
            "description": _l("More automatic acknowledgements to one address within an hour are not sent."),
        },
    )


def settings_of(tenant: Tenant) -> dict:
    """The tenant's settings with defaults filled in."""
    return get_host().settings(tenant, PLUGIN)
