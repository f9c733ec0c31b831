"""The knowledge plugin's tables: articles, their versions, votes, the search index, suggestions."""

from __future__ import annotations

import peewee as pw

from gongdan import clock
from gongdan.fields import JSONField, UTCDateTimeField
from gongdan.models import Category, Comment, Tenant, TenantModel, Ticket, User

STATUSES = ("draft", "published", "archived")
VISIBILITIES = ("internal", "public")


class Article(TenantModel):
    """A knowledge article: Markdown body, category, tags, visibility and review status."""

    slug = pw.CharField(max_length=120)
    title = pw.CharField(max_length=200)
    body = pw.TextField(default="")
    status = pw.CharField(max_length=16, default="draft")
    visibility = pw.CharField(max_length=16, default="internal")
    category = pw.ForeignKeyField(Category, null=True, on_delete="SET NULL")
    tags = JSONField(default=list)
    version = pw.IntegerField(default=1)
    author = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    reviewer = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    source_ticket = pw.ForeignKeyField(Ticket, null=True, on_delete="SET NULL", backref="+")
    views = pw.IntegerField(default=0)
    helpful = pw.IntegerField(default=0)
    not_helpful = pw.IntegerField(default=0)
    created_at = UTCDateTimeField(default=clock.now)
    updated_at = UTCDateTimeField(default=clock.now)
    published_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "kb_article"
        indexes = ((("tenant", "slug"), True), (("tenant", "status", "visibility"), False))


class ArticleTag(TenantModel):
    """One tag of an article, for filtering search by tag."""

    article = pw.ForeignKeyField(Article, on_delete="CASCADE", backref="tag_rows")
    tag = pw.CharField(max_length=50)

    class Meta:
        table_name = "kb_article_tag"
        indexes = ((("tenant", "tag", "article"), True),)


class ArticleVersion(TenantModel):
    """A snapshot of an article after one edit; `number` counts from 1."""

    article = pw.ForeignKeyField(Article, on_delete="CASCADE", backref="versions")
    number = pw.IntegerField()
    title = pw.CharField(max_length=200)
    body = pw.TextField()
    status = pw.CharField(max_length=16)
    visibility = pw.CharField(max_length=16)
    category_path = pw.CharField(max_length=320, null=True)
    tags = JSONField(default=list)
    author = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    note = pw.CharField(max_length=200, default="")
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "kb_article_version"
        indexes = ((("article", "number"), True),)


class Vote(TenantModel):
    """A helpful / not-helpful vote; one per voter (`user:ID` or an anonymous visitor's key)."""

    article = pw.ForeignKeyField(Article, on_delete="CASCADE", backref="votes")
    voter = pw.CharField(max_length=80)
    helpful = pw.BooleanField()
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "kb_vote"
        indexes = ((("article", "voter"), True),)


class Posting(TenantModel):
    """The search index: `term` occurs in `article` with BM25 term weight `weight`.

    `state` packs the article's status and visibility so searches filter without a join.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)  # led by the index below
    term = pw.CharField(max_length=64)
    article = pw.ForeignKeyField(Article, on_delete="CASCADE", backref="+")
    weight = pw.DoubleField()
    state = pw.SmallIntegerField()

    class Meta:
        table_name = "kb_posting"
        indexes = ((("tenant", "term", "weight", "article", "state"), False),)


class TermStat(TenantModel):
    """How many of the tenant's articles hold `term` (`""` counts the articles); `pinyin` of CJK terms."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)  # led by the unique index
    term = pw.CharField(max_length=64)
    df = pw.IntegerField(default=0)
    pinyin = pw.CharField(max_length=64, null=True)

    class Meta:
        table_name = "kb_term_stat"
        indexes = ((("tenant", "term"), True), (("tenant", "pinyin"), False))


class Suggestion(TenantModel):
    """An article suggested for a ticket, computed when the ticket was created or changed."""

    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", backref="+")
    article = pw.ForeignKeyField(Article, on_delete="CASCADE", backref="+")
    rank = pw.SmallIntegerField()
    score = pw.DoubleField()
    why = JSONField(default=dict)  # what found it: synonyms, partial, learned, category
    computed_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "kb_suggestion"
        indexes = ((("ticket", "rank"), False),)


class PendingSuggestion(TenantModel):
    """A ticket whose suggestions are to be computed again by the worker (it was created, or a
    field suggestions read changed): the queue of `suggestions.run_pending`."""

    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", backref="+")
    queued_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "kb_suggestion_pending"
        indexes = ((("tenant", "ticket"), True), (("queued_at",), False))


class Usage(TenantModel):
    """An article inserted into a ticket's reply (what reports count as articles that solve tickets)."""

    article = pw.ForeignKeyField(Article, on_delete="CASCADE", backref="usages")
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", backref="+")
    comment = pw.ForeignKeyField(Comment, null=True, on_delete="SET NULL", backref="+")
    user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "kb_usage"
        indexes = ((("tenant", "article"), False),)


class SynonymGroup(TenantModel):
    """One group of the tenant's own thesaurus: words (space-separated) meaning the same thing."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)  # led by the unique index
    position = pw.IntegerField()
    words = pw.TextField()
    weight = pw.FloatField(default=0.8)
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "kb_synonym_group"
        indexes = ((("tenant", "position"), True),)


class ZeroQuery(TenantModel):
    """A search that found nothing, counted per normalised text, for the admin to act on."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)  # led by the unique index
    query = pw.CharField(max_length=200)
    count = pw.IntegerField(default=1)
    last_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "kb_zero_query"
        indexes = ((("tenant", "query"), True), (("tenant", "count"), False))


class Learned(TenantModel):
    """A term of tickets answered with an article: raises the article for similar questions.

    `weight` adds up each time an agent sends the article (or a customer finds it helpful) on a
    ticket with that term, and decays with the time since `updated_at` when read.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)  # led by the unique index
    term = pw.CharField(max_length=64)
    article = pw.ForeignKeyField(Article, on_delete="CASCADE", backref="+")
    weight = pw.FloatField(default=0.0)
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "kb_learned"
        indexes = ((("tenant", "term", "article"), True),)


class SolvedTerm(TenantModel):
    """A term of a resolved ticket's subject, with the reply that answered it (similar solved tickets)."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)  # led by the unique index
    term = pw.CharField(max_length=64)
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", backref="+")
    comment = pw.ForeignKeyField(Comment, on_delete="CASCADE", backref="+")
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "kb_solved_term"
        indexes = ((("tenant", "term", "ticket"), True), (("tenant", "ticket"), False))


MODELS = [
    Article,
    ArticleTag,
    ArticleVersion,
    Vote,
    Posting,
    TermStat,
    Suggestion,
    PendingSuggestion,
    Usage,
    SynonymGroup,
    ZeroQuery,
    Learned,
    SolvedTerm,
]
