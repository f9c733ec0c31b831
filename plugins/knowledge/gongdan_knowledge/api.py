"""The knowledge REST routes: articles, versions, votes, search, public search, suggestions."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, request

from gongdan import limits, tickets
from gongdan.accounts import tenant as tenant_by_slug
from gongdan.api.common import api_route, current_actor, current_tenant, current_user
from gongdan.api.ratelimit import RateLimited
from gongdan.errors import NotFound, ValidationError
from gongdan.models import Comment, Tenant
from gongdan.plugins import get_host
from gongdan.representation import iso
from gongdan_knowledge import articles, gaps, index, solved, suggestions, thesaurus, usage
from gongdan_knowledge.models import Article, ArticleTag
from gongdan_knowledge.schemas import (
    ArticleInSchema,
    ArticleListQuerySchema,
    ArticlePatchSchema,
    FromCommentSchema,
    InsertSchema,
    PublicArticleQuerySchema,
    PublicSearchQuerySchema,
    SearchQuerySchema,
    SynonymsSchema,
    VoteSchema,
)
from gongdan_knowledge.search import LOCAL, category_ids, search, sources
from gongdan_knowledge.text import plain_text

PLUGIN = "knowledge"
MAX_SYNONYM_FILE = 512 * 1024
bp = Blueprint("knowledge", __name__, url_prefix="/api/v1")


def _route(rule: str, methods: tuple[str, ...] = ("GET",), **kwargs: Any) -> Any:
    kwargs.setdefault("role", "agent")
    return api_route(bp, rule, methods, plugin=PLUGIN, tags=("knowledge",), **kwargs)


# --- articles -----------------------------------------------------------------------------


@_route("/kb/articles", query=ArticleListQuerySchema)
def list_articles(args: dict) -> dict:
    """Articles of the tenant, newest change first; filter by status, visibility, category, tag."""
    tenant = current_tenant()
    query = Article.of(tenant)
    for name in ("status", "visibility"):
        if args.get(name):
            query = query.where(getattr(Article, name) == args[name])
    if args.get("category"):
        query = query.where(Article.category.in_(category_ids(tenant, args["category"])))
    if args.get("tag"):
        tagged = ArticleTag.select(ArticleTag.article).where(
            (ArticleTag.tenant == tenant) & (ArticleTag.tag == args["tag"])
        )
        query = query.where(Article.id.in_(tagged))
    query = query.order_by(Article.updated_at.desc(), Article.id.desc())
    page, per_page = args["page"], args["per_page"]
    items = [articles.article_dict(a, full=False) for a in query.paginate(page, per_page)]
    return {"items": items, "total": query.count(), "page": page, "per_page": per_page}


@_route("/kb/articles", ("POST",), body=ArticleInSchema, status=201)
def create_article(body: dict) -> dict:
    """Create an article (`title`, `body`; `status` draft and `visibility` internal by default)."""
    article = articles.create(current_tenant(), body, current_user())
    return articles.article_dict(article)


@_route("/kb/articles/<article_id>")
def get_article(article_id: str) -> dict:
    """One article with its body as Markdown and as sanitised HTML; counts a view."""
    article = articles.get(current_tenant(), article_id)
    articles.viewed(article)
    return articles.article_dict(article)


@_route("/kb/articles/<article_id>", ("PATCH",), body=ArticlePatchSchema)
def patch_article(article_id: str, body: dict) -> dict:
    """Change an article; each change is a new version. Give `version` to guard against lost edits."""
    tenant = current_tenant()
    article = articles.update(tenant, articles.get(tenant, article_id), body, current_user())
    return articles.article_dict(article)


@_route("/kb/articles/<article_id>", ("DELETE",), role="supervisor", status=204)
def delete_article(article_id: str) -> Any:
    """Delete an article with its versions and votes (archive it to keep it)."""
    articles.delete(articles.get(current_tenant(), article_id), current_actor())
    return "", 204


@_route("/kb/articles/<article_id>/versions")
def list_versions(article_id: str) -> dict:
    """Every version of an article, newest first, each with a unified diff against the previous."""
    article = articles.get(current_tenant(), article_id)
    items = articles.version_dicts(article)
    return {"items": items, "total": len(items)}


@_route("/kb/articles/<article_id>/versions/<int:number>")
def get_version(article_id: str, number: int) -> dict:
    """One version with its full body and its diff against the previous version."""
    article = articles.get(current_tenant(), article_id)
    row = articles.version(article, number)
    previous = articles.version(article, number - 1) if number > 1 else None
    return articles.version_dict(row, previous, full=True)


@_route("/kb/articles/<article_id>/versions/<int:number>/restore", ("POST",))
def restore_version(article_id: str, number: int) -> dict:
    """Make an old version current again (recorded as a new version)."""
    tenant = current_tenant()
    article = articles.restore(tenant, articles.get(tenant, article_id), number, current_user())
    return articles.article_dict(article)


@_route("/kb/articles/<article_id>/votes", ("POST",), body=VoteSchema)
def vote(article_id: str, body: dict) -> dict:
    """Say whether the article helped (one vote per user; voting again changes it)."""
    article = articles.get(current_tenant(), article_id)
    articles.vote(article, f"user:{current_user().id}", body["helpful"])
    return {"id": article.id, "helpful": article.helpful, "not_helpful": article.not_helpful}


@_route("/kb/articles/from-comment", ("POST",), body=FromCommentSchema, status=201)
def article_from_comment(body: dict) -> dict:
    """Turn a ticket's reply into a draft article linked to that ticket."""
    tenant = current_tenant()
    comment = Comment.get_or_none((Comment.id == body["comment_id"]) & (Comment.tenant == tenant))
    if comment is None:
        raise NotFound("no such comment")
    article = articles.from_comment(tenant, comment, current_user(), body["title"], body["category"], body["tags"])
    return articles.article_dict(article)


@_route("/tickets/<ticket_id>/similar")
def similar_solved(ticket_id: str) -> dict:
    """Solved tickets like this one, with the answer each got: `{"items": [{"ticket_id", "number",
    "subject", "comment_id", "answer", "share"}]}` (turn one into an article with `from-comment`)."""
    tenant = current_tenant()
    actor = current_actor()
    items = solved.similar(tenant, tickets.get(tenant, ticket_id, actor), actor=actor)
    return {"items": items, "total": len(items)}


# --- search -------------------------------------------------------------------------------


def _filters(tenant: Tenant, args: dict) -> index.Filters:
    statuses = (args["status"],) if args.get("status") else ("draft", "published")
    visibilities = (args["visibility"],) if args.get("visibility") else ("internal", "public")
    return index.Filters(
        statuses=statuses,
        visibilities=visibilities,
        category_ids=category_ids(tenant, args["category"]) if args.get("category") else (),
        tag=args.get("tag"),
    )


@_route("/kb/search", query=SearchQuerySchema)
def search_articles(args: dict) -> dict:
    """Ranked search over every source: `{"items": [{"id", "title", "snippet", "score"}], "total"}`.

    Drafts and published articles by default (`status=archived` finds archived ones). Snippets
    mark the matched words with `<mark>`.
    """
    tenant = current_tenant()
    page = search(tenant, args["q"], _filters(tenant, args), args["page"], args["per_page"], args.get("source"))
    return {"items": page.items, "total": page.total, "page": args["page"], "per_page": args["per_page"]}


@_route("/kb/sources")
def list_sources() -> dict:
    """The knowledge sources searches merge: the local articles first, then plugins' sources."""
    items = [{"name": LOCAL, "label": "本地知识库 Local articles", "plugin": PLUGIN}]
    items += [{"name": s.name, "label": s.label, "plugin": p} for p, s in sources(current_tenant())]
    return {"items": items}


# --- self-service (no login) --------------------------------------------------------------


PUBLIC_READS = (300, 60)  # searches and article reads per visitor address per minute
PUBLIC_VOTES = (30, 3600)  # votes per visitor address per hour (one counts per article)


def _visitor() -> str:
    """The visitor's address as the web server saw it (behind a proxy: see GONGDAN_PROXY_HOPS)."""
    return request.remote_addr or "unknown"


def _throttle(bucket: str, rule: tuple[int, int]) -> None:
    """429 with Retry-After when the visitor's address went past `rule` (hits, seconds) in `bucket`."""
    verdict = limits.hit(bucket, _visitor(), *rule)
    if not verdict.allowed:
        raise RateLimited("too many requests from your address; try again later", verdict.retry_after)


def _public_tenant(slug: str) -> Tenant:
    try:
        tenant = tenant_by_slug(slug)
    except NotFound:
        raise NotFound("no such knowledge base") from None
    if not get_host().is_enabled(tenant, PLUGIN):
        raise NotFound("no such knowledge base")
    return tenant


def _public_article(tenant: Tenant, article_id: str) -> Article:
    article = articles.get(tenant, article_id)
    if article.status != "published" or article.visibility != "public":
        raise NotFound("no such article")
    return article


@api_route(bp, "/kb/public/search", auth=False, query=PublicSearchQuerySchema, tags=("knowledge",))
def public_search(args: dict) -> dict:
    """Search a tenant's published public articles without login (`tenant` is its slug)."""
    _throttle("kb.public.read", PUBLIC_READS)
    tenant = _public_tenant(args["tenant"])
    filters = index.Filters(
        statuses=("published",),
        visibilities=("public",),
        category_ids=category_ids(tenant, args["category"]) if args.get("category") else (),
    )
    page = search(tenant, args["q"], filters, args["page"], args["per_page"], LOCAL)
    items = [{k: i[k] for k in ("id", "title", "snippet", "score")} for i in page.items]
    return {"items": items, "total": page.total, "page": args["page"], "per_page": args["per_page"]}


@api_route(bp, "/kb/public/articles/<article_id>", auth=False, query=PublicArticleQuerySchema, tags=("knowledge",))
def public_article(article_id: str, args: dict) -> dict:
    """One published public article for the customer portal; counts a view."""
    _throttle("kb.public.read", PUBLIC_READS)
    article = _public_article(_public_tenant(args["tenant"]), article_id)
    articles.viewed(article)
    return articles.public_dict(article)


@api_route(
    bp,
    "/kb/public/articles/<article_id>/votes",
    ("POST",),
    auth=False,
    query=PublicArticleQuerySchema,
    body=VoteSchema,
    tags=("knowledge",),
)
def public_vote(article_id: str, args: dict, body: dict) -> dict:
    """A visitor's helpful / not-helpful vote: one per address and article (voting again changes it)."""
    _throttle("kb.public.vote", PUBLIC_VOTES)
    article = _public_article(_public_tenant(args["tenant"]), article_id)
    articles.vote(article, "anon:" + hashlib.sha256(_visitor().encode()).hexdigest()[:32], body["helpful"])
    return {"id": article.id, "helpful": article.helpful, "not_helpful": article.not_helpful}


# --- tickets ------------------------------------------------------------------------------


@_route("/tickets/<ticket_id>/suggestions")
def ticket_suggestions(ticket_id: str) -> dict:
    """Articles suggested for a ticket, best first (`?refresh=1` recomputes them now)."""
    tenant = current_tenant()
    ticket = tickets.get(tenant, ticket_id, current_actor())
    rows = suggestions.current(tenant, ticket)
    if not rows or request.args.get("refresh") in ("1", "true"):
        rows = suggestions.refresh(tenant, ticket)
    items = [
        {
            "id": row.article.id,
            "title": row.article.title,
            "score": row.score,
            "rank": row.rank,
            "snippet": plain_text(row.article.body)[:120],
            "visibility": row.article.visibility,
        }
        for row in rows
    ]
    return {"items": items, "total": len(items)}


@_route("/tickets/<ticket_id>/kb-replies", ("POST",), body=InsertSchema, status=201)
def insert_article(ticket_id: str, body: dict) -> dict:
    """Reply on a ticket with an article (plus optional text before it); the use is recorded."""
    tenant = current_tenant()
    ticket = tickets.get(tenant, ticket_id, current_actor())
    article = articles.get(tenant, body["article_id"])
    comment, sent = usage.send(tenant, ticket, article, current_user(), body["text"], body["internal"])
    return {"comment_id": comment.id, "article_id": article.id, "usage_id": sent.id, "body": comment.body}


@_route("/kb/reports/usage", role="supervisor")
def usage_report() -> dict:
    """Which articles were sent on tickets: times sent, tickets, and how many of those are solved."""
    items = usage.report(current_tenant())
    return {"items": items, "total": len(items)}


# --- synonyms and gaps --------------------------------------------------------------------


def _synonyms_answer(tenant: Tenant) -> dict:
    groups = [{"words": list(g.words), "weight": g.weight} for g in thesaurus.own(tenant)]
    builtin = [{"words": list(g.words), "weight": g.weight} for g in thesaurus.builtin()]
    return {"builtin": thesaurus.uses_builtin(tenant), "builtin_groups": builtin, "items": groups}


@_route("/kb/synonyms")
def get_synonyms() -> dict:
    """The tenant's thesaurus: its own groups (`items`), and the built-in groups and whether they apply."""
    return _synonyms_answer(current_tenant())


def _replace_synonyms(groups: list[thesaurus.Group]) -> dict:
    tenant = current_tenant()
    thesaurus.replace(tenant, groups, current_actor(), _visitor())
    return _synonyms_answer(tenant)


@_route("/kb/synonyms", ("PUT",), role="admin", body=SynonymsSchema)
def put_synonyms(body: dict) -> dict:
    """Replace the tenant's own groups: `{"items": [{"words": ["满减券", "优惠券"], "weight": 0.8}]}`."""
    groups, problems = [], {}
    for n, item in enumerate(body["items"]):
        try:
            groups.append(thesaurus.group(item["words"], item["weight"]))
        except ValidationError as exc:
            problems[f"items.{n}.words"] = exc.fields["words"]
    if problems:
        raise ValidationError("invalid synonym groups", problems)
    return _replace_synonyms(groups)


@_route("/kb/synonyms/export", produces="text/plain")
def export_synonyms() -> Response:
    """The tenant's own groups as a text file (one group a line; `?builtin=1` adds the built-in ones)."""
    tenant = current_tenant()
    groups = [*(thesaurus.builtin() if request.args.get("builtin") == "1" else ()), *thesaurus.own(tenant)]
    return Response(
        thesaurus.dump(list(groups)),
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="synonyms-{tenant.slug}.txt"'},
    )


@_route("/kb/synonyms/import", ("POST",), role="admin")
def import_synonyms() -> dict:
    """Replace the tenant's own groups with a file (multipart `file`, or the text as the body)."""
    upload = request.files.get("file")
    raw = upload.read(MAX_SYNONYM_FILE + 1) if upload else request.get_data(cache=False)[: MAX_SYNONYM_FILE + 1]
    if len(raw) > MAX_SYNONYM_FILE:
        raise ValidationError("file too large", {"file": [f"at most {MAX_SYNONYM_FILE // 1024} KB"]})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("not UTF-8 text", {"file": ["save the file as UTF-8 text"]}) from None
    return _replace_synonyms(thesaurus.parse(text))


@_route("/kb/gaps", role="supervisor")
def search_gaps() -> dict:
    """Searches that found nothing, most frequent first: `{"items": [{"query", "count", "last_at"}]}`."""
    items = gaps.top(current_tenant())
    return {"items": [{**i, "last_at": iso(i["last_at"])} for i in items], "total": len(items)}
