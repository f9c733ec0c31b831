"""marshmallow schemas of the REST API: request bodies, query strings and representations.

Bodies tighten the ticket service's own schemas where the database has limits (lengths,
id ranges), so that no input reaches the database in a form it would refuse. Output
schemas document what the API returns; they accept unknown keys (plugin blocks, fields
added later), so clients must ignore keys they do not know.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from gongdan.ids import MAX_ID, Id
from gongdan.models import PRIORITIES, ROLES, STATUSES
from gongdan.schemas import CommentSchema, CustomerInSchema, LenientSchema, TicketCreateSchema, TicketUpdateSchema


def _team_reference(value: str | None) -> None:
    """A team is named, or given by a numeric id the database can hold."""
    if value is not None and value.isdigit() and not (value.isascii() and int(value) <= MAX_ID):
        raise ValidationError("not a valid team id")


TEAM = {"allow_none": True, "validate": [validate.Length(min=1, max=100), _team_reference]}


# --- bodies ---------------------------------------------------------------------------------


class CustomerBodySchema(CustomerInSchema):
    """A ticket's customer: matched by `external_id` (per system), then by e-mail."""

    email = fields.Email(allow_none=True, load_default=None, validate=validate.Length(max=254))


class TicketCreateBodySchema(TicketCreateSchema):
    """The body of `POST /api/v1/tickets`."""

    team = fields.String(load_default=None, **TEAM)
    customer = fields.Nested(CustomerBodySchema, allow_none=True, load_default=None)


class TicketPatchSchema(TicketUpdateSchema):
    """The body of `PATCH /api/v1/tickets/ID`: any subset of these fields."""

    team = fields.String(**TEAM)

    @validates_schema
    def _subject_not_blank(self, data: dict[str, Any], **_: Any) -> None:
        if "subject" in data and not data["subject"].strip():
            raise ValidationError("must not be blank", "subject")


class CommentBodySchema(CommentSchema):
    """The body of `POST /api/v1/tickets/ID/comments`: a public reply, an internal note, or a
    customer's message relayed by an integration (`from_customer`)."""

    mentions = fields.List(Id(), load_default=list, validate=validate.Length(max=50))
    from_customer = fields.Boolean(
        load_default=False,
        metadata={
            "description": "the customer's own words, relayed by an integration: reopens a pending/resolved "
            "ticket and runs the SLA next-response clock"
        },
    )
    author_name = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "who wrote it, as shown on the timeline (default: the customer's name)"},
    )
    attachment_ids = fields.List(
        Id(),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "files uploaded to the ticket before (`POST .../attachments`) that this reply carries"
        },
    )

    @validates_schema
    def _customers_write_no_notes(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("from_customer") and data.get("internal"):
            raise ValidationError("a customer's message cannot be an internal note", "internal")


class AttachmentUploadSchema(Schema):
    """The multipart form of `POST /api/v1/tickets/ID/attachments`."""

    class Meta:
        unknown = RAISE

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary", "description": "the file"})
    comment_id = Id(allow_none=True, metadata={"description": "a comment of this ticket the file belongs to"})


class DownloadQuerySchema(LenientSchema):
    """`thumbnail=1`: a small preview of an image instead of the file."""

    thumbnail = fields.Boolean(load_default=False)


class AssignSchema(Schema):
    """`{"assignee_id": 7}` assigns, `{"assignee_id": null}` unassigns, `{}` asks the strategy."""

    class Meta:
        unknown = RAISE

    assignee_id = Id(allow_none=True)


class CategoryCreateSchema(Schema):
    """The body of `POST /api/v1/categories`."""

    class Meta:
        unknown = RAISE

    path = fields.String(required=True, validate=validate.Length(min=1, max=320))


class PluginPutSchema(Schema):
    """The body of `PUT /api/v1/plugins/NAME`: the toggle and/or the settings."""

    class Meta:
        unknown = RAISE

    enabled = fields.Boolean()
    settings = fields.Dict(keys=fields.String())

    @validates_schema
    def _something(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("give enabled, settings or both", "_schema")


# --- query strings --------------------------------------------------------------------------


class PageQuerySchema(LenientSchema):
    """`page` (from 1) and `per_page` (1–100)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


TICKET_SORTS = ("-created_at", "created_at", "-updated_at", "updated_at", "-priority", "priority")


class TicketQuerySchema(PageQuerySchema):
    """Filters of `GET /api/v1/tickets`."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    priority = fields.String(validate=validate.OneOf(PRIORITIES))
    assignee = fields.String(
        validate=validate.Regexp(r"^(me|none|[1-9][0-9]{0,8})$", error="me, none or a user id"),
        metadata={"description": "`me`, `none` or a user id"},
    )
    channel = fields.String(validate=validate.Length(min=1, max=32))
    team = fields.Integer(validate=validate.Range(min=1, max=999_999_999), metadata={"description": "a team's id"})
    tag = fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "tickets carrying this tag"})
    created_from = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "created at or after (ISO 8601; no offset: UTC)"}
    )
    created_to = fields.AwareDateTime(
        default_timezone=UTC, metadata={"description": "created before (ISO 8601; no offset: UTC)"}
    )
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "words in the subject, description or public replies, or a ticket, order or external"
            " number; ranked: exact numbers first, then the newest"
        },
    )
    sort = fields.String(
        load_default="-created_at",
        validate=validate.OneOf(TICKET_SORTS),
        metadata={"description": "`created_at`, `updated_at` or `priority`; `-` for descending (ties: newest first)"},
    )
    cursor = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "`next_cursor` of the previous page (keyset paging; then `page` is ignored)"},
    )


class UserQuerySchema(PageQuerySchema):
    """Filters of `GET /api/v1/users`."""

    role = fields.String(validate=validate.OneOf(ROLES))


# --- representations ------------------------------------------------------------------------


class OutSchema(Schema):
    """Base of representations: more keys may appear (plugin blocks, later additions)."""

    class Meta:
        unknown = INCLUDE


class UserBriefSchema(OutSchema):
    """A user as other objects refer to them."""

    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)


class TeamBriefSchema(OutSchema):
    """A team as other objects refer to it."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)


class CustomerSchema(OutSchema):
    """A ticket's customer; contact details masked (`138****5678`) unless revealed."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    phone = fields.String(required=True, allow_none=True)
    address = fields.String(required=True, allow_none=True)
    tier = fields.String(required=True)
    masked = fields.Boolean(required=True, metadata={"description": "false only in the answer of a reveal"})


class ExternalRefOutSchema(OutSchema):
    """The record of an outside system a ticket came from."""

    system = fields.String(required=True)
    id = fields.String(required=True)


class TicketSchema(OutSchema):
    """The ticket representation, plus one block per enabled plugin that adds one (e.g. `sla`)."""

    id = fields.Integer(required=True)
    number = fields.Integer(required=True, metadata={"description": "per tenant, from 1"})
    subject = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    priority = fields.String(required=True, validate=validate.OneOf(PRIORITIES))
    channel = fields.String(required=True)
    category = fields.String(required=True, allow_none=True, metadata={"description": "a `/`-separated path"})
    tags = fields.List(fields.String(), required=True)
    customer = fields.Nested(CustomerSchema, required=True, allow_none=True)
    assignee = fields.Nested(UserBriefSchema, required=True, allow_none=True)
    team = fields.Nested(TeamBriefSchema, required=True, allow_none=True)
    language = fields.String(required=True, allow_none=True)
    external_ref = fields.Nested(ExternalRefOutSchema, required=True, allow_none=True)
    parent_id = fields.Integer(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    first_response_at = fields.DateTime(required=True, allow_none=True)
    resolved_at = fields.DateTime(required=True, allow_none=True)
    closed_at = fields.DateTime(required=True, allow_none=True)
    hooks_pending = fields.Boolean(
        metadata={"description": "the ticket's hooks still wait for the worker (an ingested ticket, seconds at most)"}
    )
    pending = fields.List(
        fields.String(), metadata={"description": "the plugins whose work waits, e.g. assignment, sla (empty: none)"}
    )


class PageSchema(OutSchema):
    """What every paged list carries besides its items."""

    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class TicketPageSchema(PageSchema):
    """A page of tickets in the asked order; `next_cursor` reads the next page (None at the end).

    `total` is exact when `total_exact`; past `gongdan.listing.COUNT_LIMIT` matches it is
    that limit, shown as "10,000+".
    """

    items = fields.List(fields.Nested(TicketSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)
    total_exact = fields.Boolean(required=True)


class AttachmentSchema(OutSchema):
    """A file on a ticket or a comment; `content_type` was sniffed from its bytes."""

    id = fields.Integer(required=True)
    ticket_id = fields.Integer(required=True)
    comment_id = fields.Integer(required=True, allow_none=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    inline = fields.Boolean(required=True)
    content_id = fields.String(required=True, allow_none=True)
    url = fields.String(required=True, metadata={"description": "where to download it"})
    created_at = fields.DateTime(required=True)


class AttachmentListSchema(OutSchema):
    """A ticket's files, oldest first."""

    items = fields.List(fields.Nested(AttachmentSchema), required=True)


class DeliverySchema(OutSchema):
    """A message to the customer through the ticket's channel (the outbox)."""

    id = fields.Integer(required=True)
    channel = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("reply", "acknowledgement", "resolved")))
    state = fields.String(required=True, validate=validate.OneOf(("queued", "sent", "failed", "retrying")))
    attempts = fields.Integer(required=True)
    last_error = fields.String(required=True, allow_none=True)
    external_id = fields.String(required=True, allow_none=True)
    next_attempt_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(required=True, allow_none=True)


class CommentOutSchema(OutSchema):
    """A public reply or an internal note, with who wrote it, its files and its delivery."""

    id = fields.Integer(required=True)
    ticket_id = fields.Integer(required=True)
    body = fields.String(required=True)
    internal = fields.Boolean(required=True)
    from_customer = fields.Boolean(required=True)
    author_kind = fields.String(required=True, validate=validate.OneOf(("agent", "customer", "system")))
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)
    delivery = fields.Nested(
        DeliverySchema,
        required=True,
        allow_none=True,
        metadata={
            "description": "null: not sent to the customer (internal, the customer's own, or no channel reaches them)"
        },
    )
    author = fields.Nested(UserBriefSchema, required=True, allow_none=True)
    author_label = fields.String(required=True)
    mentions = fields.List(fields.Integer(), required=True)
    created_at = fields.DateTime(required=True)


class CommentPageSchema(PageSchema):
    """A page of a ticket's comments, oldest first."""

    items = fields.List(fields.Nested(CommentOutSchema), required=True)


class ActorSchema(OutSchema):
    """Who made a change: a user (id, email, name) or the system / a plugin (label only)."""

    id = fields.Integer(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    label = fields.String(required=True)


class EventSchema(OutSchema):
    """One entry of a ticket's audit trail."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    actor = fields.Nested(ActorSchema, required=True)
    data = fields.Dict(required=True)
    at = fields.DateTime(required=True)


class CategoryNodeSchema(OutSchema):
    """A category and its children (appeal / scene / problem)."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    path = fields.String(required=True)
    children = fields.List(fields.Nested(lambda: CategoryNodeSchema()), required=True)


class CategoryTreeSchema(OutSchema):
    """The tenant's category tree."""

    items = fields.List(fields.Nested(CategoryNodeSchema), required=True)


class CategorySchema(OutSchema):
    """One category."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    path = fields.String(required=True)
    depth = fields.Integer(required=True)
    parent_id = fields.Integer(required=True, allow_none=True)


class UserSchema(OutSchema):
    """A user of the caller's tenant."""

    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    team = fields.Nested(TeamBriefSchema, required=True, allow_none=True)
    is_active = fields.Boolean(required=True)


class UserPageSchema(PageSchema):
    """A page of users."""

    items = fields.List(fields.Nested(UserSchema), required=True)


class TenantBriefSchema(OutSchema):
    """The caller's tenant."""

    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)


class PasswordChangeSchema(Schema):
    """A new password for the caller, with the current one."""

    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True, metadata={"description": "≥ 10 characters, not common"})


class PasswordChangedSchema(OutSchema):
    """The password was changed; every console session of the caller has ended."""

    changed = fields.Boolean(required=True)


class MeSchema(UserSchema):
    """The caller, with their tenant."""

    tenant = fields.Nested(TenantBriefSchema, required=True)


class PluginErrorSchema(OutSchema):
    """A plugin's latest recorded failure: in which hook or job, the error, when."""

    hook = fields.String(required=True)
    error = fields.String(required=True)
    at = fields.String(required=True)


class PluginSchema(OutSchema):
    """A discovered plugin and whether it is enabled for the caller's tenant."""

    name = fields.String(required=True)
    label = fields.String(required=True)
    label_zh = fields.String(required=True)
    category = fields.String(required=True)
    description = fields.String(required=True)
    version = fields.String(required=True)
    distribution = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("loaded", "failed", "incompatible", "blocked")))
    reason = fields.String(required=True, allow_none=True)
    enabled = fields.Boolean(required=True, metadata={"description": "its toggle is on for the tenant"})
    running = fields.Boolean(required=True, metadata={"description": "on and loaded: the core calls it here"})
    has_settings = fields.Boolean(required=True)
    last_error = fields.Nested(
        PluginErrorSchema,
        allow_none=True,
        metadata={"description": "admins only: the latest failure recorded for the plugin here, or null"},
    )
    settings = fields.Dict(metadata={"description": "admins only: the tenant's settings, defaults filled in"})
    secrets = fields.Dict(
        keys=fields.String(),
        values=fields.Boolean(),
        metadata={"description": "admins only: whether each secret setting is set (secrets are never returned)"},
    )


class HealthSchema(OutSchema):
    """The server is up and its database answers."""

    status = fields.String(required=True)
    version = fields.String(required=True)


class ErrorDetailSchema(OutSchema):
    """What went wrong: a stable `code`, a message for people, and per-field reasons — in Chinese when
    `Accept-Language` prefers it, the English original then under `detail` and `fields_detail`."""

    code = fields.String(required=True)
    message = fields.String(required=True)
    field_reasons = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields")
    detail = fields.String(metadata={"description": "the English message, when `message` is worded in Chinese"})
    fields_detail = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "the English reasons, when `fields` are worded in Chinese"},
    )


class ErrorSchema(OutSchema):
    """The error envelope of every failed request."""

    error = fields.Nested(ErrorDetailSchema, required=True)
