"""marshmallow schemas of what the ticket service accepts; the API documents them as-is."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from gongdan.ids import Id
from gongdan.models import PRIORITIES, STATUSES

TAG = fields.String(validate=validate.Length(min=1, max=50))


def not_blank(value: str) -> None:
    """A field validator: a non-empty text must not be only blanks (empty is Length's to report)."""
    if value and not value.strip():
        raise ValidationError("must not be blank")


class CustomerInSchema(Schema):
    """A customer as a ticket's creator describes it; an existing one by `id`, else matched by
    external id, then e-mail."""

    class Meta:
        unknown = RAISE

    id = Id(load_default=None, metadata={"description": "an existing customer of the tenant (e.g. found by lookup)"})
    name = fields.String(validate=validate.Length(max=200), load_default="")
    email = fields.Email(allow_none=True, load_default=None)
    phone = fields.String(validate=validate.Length(max=32), allow_none=True, load_default=None)
    address = fields.String(validate=validate.Length(max=500), allow_none=True, load_default=None)
    tier = fields.String(validate=validate.Length(min=1, max=32), load_default=None)
    external_id = fields.String(validate=validate.Length(min=1, max=128), allow_none=True, load_default=None)


class ExternalRefSchema(Schema):
    """`(system, id)` of the record in an outside system; unique per tenant."""

    class Meta:
        unknown = RAISE

    system = fields.String(required=True, validate=validate.Length(min=1, max=32))
    id = fields.String(required=True, validate=validate.Length(min=1, max=128))


class TicketCreateSchema(Schema):
    """The body of `POST /api/v1/tickets` and the input of `tickets.create`."""

    class Meta:
        unknown = RAISE

    subject = fields.String(required=True, validate=[validate.Length(min=1, max=200), not_blank])
    description = fields.String(load_default="", validate=validate.Length(max=100_000))
    channel = fields.String(load_default="api", validate=validate.Length(min=1, max=32))
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    category = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320))
    tags = fields.List(TAG, load_default=list, validate=validate.Length(max=50))
    team = fields.String(allow_none=True, load_default=None)
    language = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=16))
    customer = fields.Nested(CustomerInSchema, allow_none=True, load_default=None)
    external_ref = fields.Nested(ExternalRefSchema, allow_none=True, load_default=None)


class TicketUpdateSchema(Schema):
    """The body of `PATCH /api/v1/tickets/ID`: any subset of these fields."""

    class Meta:
        unknown = RAISE

    subject = fields.String(validate=[validate.Length(min=1, max=200), not_blank])
    description = fields.String(validate=validate.Length(max=100_000))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    category = fields.String(allow_none=True, validate=validate.Length(max=320))
    tags = fields.List(TAG, validate=validate.Length(max=50))
    team = fields.String(allow_none=True)


class TransitionSchema(Schema):
    """The body of `POST /api/v1/tickets/ID/transitions`."""

    class Meta:
        unknown = RAISE

    to = fields.String(required=True, validate=validate.OneOf(STATUSES))


MAX_COMMENT_LENGTH = 100_000  # characters of a reply or note; the ticket service checks it for every caller


class CommentSchema(Schema):
    """The body of `POST /api/v1/tickets/ID/comments`."""

    class Meta:
        unknown = RAISE

    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_COMMENT_LENGTH))
    internal = fields.Boolean(load_default=False)
    mentions = fields.List(Id(), load_default=list)


class LenientSchema(Schema):
    """Base for query-string schemas: unknown parameters are ignored."""

    class Meta:
        unknown = EXCLUDE


class Secret(fields.String):
    """A secret setting (password, signing key, API secret) of a plugin or form.

    The core stores it encrypted (`gongdan.crypto`), never returns it through the API or the
    console (they show whether it is set), and keeps the stored value when a `PUT` or a form
    omits it; an explicit empty string or null clears it. Plugins read the plain text from
    `PluginHost.settings`. Defaults to the empty string (not set).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("load_default", "")
        kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)


def secret_names(schema: Schema) -> list[str]:
    """The keys (data keys) of `schema`'s `Secret` fields."""
    return [item.data_key or name for name, item in schema.fields.items() if isinstance(item, Secret)]
