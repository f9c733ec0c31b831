"""marshmallow schemas of what the knowledge API accepts."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from gongdan.ids import Id
from gongdan_knowledge.models import STATUSES, VISIBILITIES

TAG = fields.String(validate=validate.Length(min=1, max=50))
SLUG = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$", error="letters, digits, - and _ (at most 120)")


class ArticleInSchema(Schema):
    """An article to create (`title` and `body` required) or the fields of one to change."""

    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(max=200_000))
    status = fields.String(validate=validate.OneOf(STATUSES), load_default="draft")
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES), load_default="internal")
    category = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320))
    tags = fields.List(TAG, load_default=list, validate=validate.Length(max=30))
    slug = fields.String(load_default=None, validate=SLUG)


class ArticlePatchSchema(Schema):
    """The fields of `PATCH /api/v1/kb/articles/ID`; `version`, when given, must be the current one."""

    class Meta:
        unknown = RAISE

    title = fields.String(validate=validate.Length(min=1, max=200))
    body = fields.String(validate=validate.Length(max=200_000))
    status = fields.String(validate=validate.OneOf(STATUSES))
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    category = fields.String(allow_none=True, validate=validate.Length(max=320))
    tags = fields.List(TAG, validate=validate.Length(max=30))
    version = fields.Integer(validate=validate.Range(min=1))
    note = fields.String(validate=validate.Length(max=200))


class SearchQuerySchema(Schema):
    """`GET /api/v1/kb/search`: the words, filters and paging."""

    q = fields.String(required=True, validate=validate.Length(min=1, max=500))
    category = fields.String(validate=validate.Length(max=320))
    tag = fields.String(validate=validate.Length(max=50))
    status = fields.String(validate=validate.OneOf(STATUSES))
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    source = fields.String(validate=validate.Length(max=64))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    per_page = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class PublicSearchQuerySchema(Schema):
    """`GET /api/v1/kb/public/search`: the tenant's slug and the words."""

    tenant = fields.String(required=True, validate=validate.Length(min=1, max=64))
    q = fields.String(required=True, validate=validate.Length(min=1, max=500))
    category = fields.String(validate=validate.Length(max=320))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))
    per_page = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class PublicArticleQuerySchema(Schema):
    """The tenant's slug, for the public article routes."""

    tenant = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ArticleListQuerySchema(Schema):
    """`GET /api/v1/kb/articles` filters."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    category = fields.String(validate=validate.Length(max=320))
    tag = fields.String(validate=validate.Length(max=50))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class VoteSchema(Schema):
    """A helpful / not-helpful vote."""

    class Meta:
        unknown = RAISE

    helpful = fields.Boolean(required=True)


class InsertSchema(Schema):
    """Insert an article into a reply on a ticket."""

    class Meta:
        unknown = RAISE

    article_id = Id(required=True)
    text = fields.String(load_default="", validate=validate.Length(max=10_000))
    internal = fields.Boolean(load_default=False)


class FromCommentSchema(Schema):
    """Turn a reply into a draft article."""

    class Meta:
        unknown = RAISE

    comment_id = Id(required=True)
    title = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    category = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=320))
    tags = fields.List(TAG, load_default=list)


class SynonymGroupSchema(Schema):
    """One synonym group: words meaning the same thing and how much a match through them counts."""

    class Meta:
        unknown = RAISE

    words = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)), required=True, validate=validate.Length(min=2, max=40)
    )
    weight = fields.Float(load_default=0.8, validate=validate.Range(min=0, max=1, min_inclusive=False))


class SynonymsSchema(Schema):
    """`PUT /api/v1/kb/synonyms`: the tenant's own groups."""

    class Meta:
        unknown = RAISE

    items = fields.List(fields.Nested(SynonymGroupSchema), required=True)
