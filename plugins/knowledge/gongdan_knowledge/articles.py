"""The article service: create, change (each change a version), restore, delete, vote, view.

Every write goes through here so the search index and the versions stay in step with the
articles, in the same transaction.
"""

from __future__ import annotations

import difflib
import secrets
from collections.abc import Sequence
from typing import Any

from peewee import JOIN, fn

from gongdan import audit, categories, clock, permissions
from gongdan.actors import Actor
from gongdan.db import is_postgres, write_transaction
from gongdan.errors import Conflict, Forbidden, NotFound
from gongdan.ids import parse_id
from gongdan.models import Category, Comment, Tenant, User
from gongdan.representation import iso, user_brief
from gongdan.validation import load
from gongdan_knowledge import index, views
from gongdan_knowledge.models import Article, ArticleTag, ArticleVersion, Vote
from gongdan_knowledge.schemas import ArticleInSchema, ArticlePatchSchema
from gongdan_knowledge.text import render_html

REVIEW_ROLES = ("supervisor", "admin", "superadmin")
CONTENT_FIELDS = ("title", "body", "category", "tags", "visibility", "status")


def get(tenant: Tenant, article_id: int | str) -> Article:
    """The tenant's article `article_id`; NotFound also for another tenant's article."""
    article_id = parse_id(article_id)
    if article_id is None:
        raise NotFound("no such article")
    article = Article.get_or_none((Article.id == article_id) & (Article.tenant == tenant))
    if article is None:
        raise NotFound("no such article")
    return article


def may_review(user: User | None) -> bool:
    """Whether `user` may publish, archive and edit what is no longer a draft."""
    return user is None or user.role in REVIEW_ROLES


def _category(tenant: Tenant, path: str | None) -> Category | None:
    return categories.find(tenant, path) if path else None


def _unique_slug(tenant: Tenant, wanted: str | None) -> str:
    if wanted:
        if Article.of(tenant).where(Article.slug == wanted).exists():
            raise Conflict(f"an article with slug {wanted!r} exists")
        return wanted
    return f"kb-{secrets.token_hex(5)}"


def _set_tags(article: Article) -> None:
    ArticleTag.delete().where(ArticleTag.article == article.id).execute()
    rows = [{"tenant": article.tenant_id, "article": article.id, "tag": t} for t in article.tags]
    if rows:
        ArticleTag.insert_many(rows).execute()


def _snapshot(article: Article, author: User | None, note: str) -> ArticleVersion:
    return ArticleVersion.create(
        tenant=article.tenant_id,
        article=article,
        number=article.version,
        title=article.title,
        body=article.body,
        status=article.status,
        visibility=article.visibility,
        category_path=article.category.path if article.category_id else None,
        tags=list(article.tags),
        author=author,
        note=note,
        created_at=article.updated_at,
    )


def _clean_tags(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in tags if t.strip()))


def create(
    tenant: Tenant,
    data: dict[str, Any],
    author: User | None,
    *,
    source_ticket: Any = None,
    reindex: bool = True,
) -> Article:
    """Create an article from loaded `ArticleInSchema` data; version 1 is its first snapshot.

    Publishing needs a reviewer's role (supervisor or above; None means the system).
    `reindex=False` leaves indexing to the caller (bulk imports index in batches).
    """
    data = load(ArticleInSchema, data)  # the console hands in form fields: one check for every caller
    if data.get("status", "draft") != "draft" and not may_review(author):
        raise Forbidden("publishing or archiving needs the supervisor role or above")
    now = clock.now()
    with write_transaction():
        category = _category(tenant, data.get("category"))
        article = Article.create(
            tenant=tenant,
            slug=_unique_slug(tenant, data.get("slug")),
            title=data["title"].strip(),
            body=data["body"],
            status=data.get("status", "draft"),
            visibility=data.get("visibility", "internal"),
            category=category,
            tags=_clean_tags(data.get("tags", [])),
            author=author,
            reviewer=author if data.get("status") == "published" else None,
            source_ticket=source_ticket,
            created_at=now,
            updated_at=now,
            published_at=now if data.get("status") == "published" else None,
        )
        _set_tags(article)
        _snapshot(article, author, data.get("note") or "created")
        if reindex:
            index.index_articles([article])
    return article


def from_comment(
    tenant: Tenant,
    comment: Comment,
    author: User | None,
    title: str = "",
    category: str | None = None,
    tags: Sequence[str] = (),
) -> Article:
    """A draft article made of a ticket's reply, linked to that ticket (its title by default the
    ticket's subject, its category the ticket's). NotFound when `author` may not see the ticket
    (team visibility), as if the reply did not exist."""
    ticket = comment.ticket
    if author is not None and not permissions.can_see(Actor.of(author), ticket, tenant):
        raise NotFound("no such comment")
    data = {
        "title": title or ticket.subject,
        "body": comment.body,
        "status": "draft",
        "category": category or (ticket.category.path if ticket.category_id else None),
        "tags": list(tags),
    }
    return create(tenant, data, author, source_ticket=ticket)


def _locked(article: Article) -> Article:
    query = Article.select().where((Article.id == article.id) & (Article.tenant == article.tenant_id))
    return (query.for_update() if is_postgres() else query).get()


def update(tenant: Tenant, article: Article, data: dict[str, Any], editor: User | None) -> Article:
    """Apply loaded `ArticlePatchSchema` data; a real change becomes a new version.

    Conflict when `data["version"]` is given and is not the current version (someone else
    saved meanwhile). Agents may only edit drafts and may not publish or archive.
    """
    data = load(ArticlePatchSchema, {k: v for k, v in data.items() if v is not None or k == "category"})
    with write_transaction():
        article = _locked(article)
        expected = data.get("version")
        if expected is not None and expected != article.version:
            raise Conflict(f"the article is at version {article.version}, not {expected}: reload and retry")
        wants_review = data.get("status", article.status) != "draft" or article.status != "draft"
        if wants_review and not may_review(editor):
            raise Forbidden("only drafts may be edited by agents; publishing needs the supervisor role or above")
        changed = _apply(tenant, article, data, editor)
        if not changed:
            return article
        article.version += 1
        article.updated_at = clock.now()
        article.save()
        _snapshot(article, editor, data.get("note") or "changed " + ", ".join(changed))
        if set(changed) - {"status", "visibility"}:
            if "tags" in changed:
                _set_tags(article)
            index.index_articles([article])
        else:
            index.set_state(article)
    return article


def _apply(tenant: Tenant, article: Article, data: dict[str, Any], editor: User | None) -> list[str]:
    changed = []
    for name in CONTENT_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name == "category":
            category = _category(tenant, value)
            if (category.id if category else None) != article.category_id:
                article.category = category
                changed.append(name)
            continue
        if name == "tags":
            value = _clean_tags(value)
        if name == "title":
            value = value.strip()
        if value != getattr(article, name):
            setattr(article, name, value)
            changed.append(name)
    if "status" in changed and article.status == "published":
        article.reviewer = editor
        article.published_at = clock.now()
    return changed


def restore(tenant: Tenant, article: Article, number: int, editor: User | None) -> Article:
    """Make version `number`'s content current again, as a new version."""
    old = version(article, number)
    data = {
        "title": old.title,
        "body": old.body,
        "visibility": old.visibility,
        "category": old.category_path if _path_exists(tenant, old.category_path) else None,
        "tags": list(old.tags),
        "note": f"restored version {number}",
    }
    return update(tenant, article, data, editor)


def _path_exists(tenant: Tenant, path: str | None) -> bool:
    return bool(path) and Category.of(tenant).where(Category.path == path).exists()


def delete(article: Article, actor: Actor | None = None) -> None:
    """Delete an article with its versions, votes and index entries.

    `actor` (the system when None) needs `knowledge.delete`; audited as
    `knowledge.article_deleted` with the article's title.
    """
    actor = actor or Actor.system("plugin:knowledge")
    permissions.require(actor, "knowledge.delete")
    with write_transaction():
        index.unindex(article)
        data = {"article": article.id, "title": article.title, "visibility": article.visibility}
        article.delete_instance(recursive=True)
        audit.record(article.tenant, "knowledge.article_deleted", actor, data=data)


def version(article: Article, number: int) -> ArticleVersion:
    """Version `number` of `article`; NotFound when there is none."""
    found = ArticleVersion.get_or_none((ArticleVersion.article == article.id) & (ArticleVersion.number == number))
    if found is None:
        raise NotFound(f"the article has no version {number}")
    return found


def version_dicts(article: Article) -> list[dict[str, Any]]:
    """Every version newest first, each with its diff against the one before."""
    rows = list(
        ArticleVersion.select(ArticleVersion, User)
        .join(User, on=(ArticleVersion.author == User.id), join_type=JOIN.LEFT_OUTER)
        .where(ArticleVersion.article == article.id)
        .order_by(ArticleVersion.number)
    )
    out, previous = [], None
    for row in rows:
        out.append(version_dict(row, previous))
        previous = row
    return out[::-1]


def version_dict(row: ArticleVersion, previous: ArticleVersion | None, full: bool = False) -> dict[str, Any]:
    """One version: number, who, when, what changed, and a unified diff of title and body."""
    data = {
        "number": row.number,
        "title": row.title,
        "status": row.status,
        "visibility": row.visibility,
        "category": row.category_path,
        "tags": row.tags,
        "note": row.note,
        "author": user_brief(row.author) if row.author_id else None,
        "created_at": iso(row.created_at),
        "diff": diff(previous, row),
    }
    if full:
        data["body"] = row.body
    return data


def diff(old: ArticleVersion | None, new: ArticleVersion) -> str:
    """A unified diff from `old` (nothing for the first version) to `new`, title first."""
    before = f"# {old.title}\n\n{old.body}" if old else ""
    after = f"# {new.title}\n\n{new.body}"
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=f"v{old.number}" if old else "empty",
        tofile=f"v{new.number}",
        lineterm="",
    )
    return "\n".join(lines)


def vote(article: Article, voter: str, helpful: bool) -> Article:
    """Record (or change) `voter`'s vote and recount the article's votes."""
    with write_transaction():
        Vote.insert(
            tenant=article.tenant_id, article=article.id, voter=voter, helpful=helpful, at=clock.now()
        ).on_conflict(
            conflict_target=[Vote.tenant, Vote.article, Vote.voter],
            update={Vote.helpful: helpful, Vote.at: clock.now()},
        ).execute()
        counts = dict.fromkeys((True, False), 0)
        for value, n in (
            Vote.select(Vote.helpful, fn.COUNT(Vote.id))
            .where(Vote.article == article.id)
            .group_by(Vote.helpful)
            .tuples()
        ):
            counts[bool(value)] = n
        Article.update(helpful=counts[True], not_helpful=counts[False]).where(Article.id == article.id).execute()
    article.helpful, article.not_helpful = counts[True], counts[False]
    return article


def viewed(article: Article) -> None:
    """Count one view of the article (batched: `gongdan_knowledge.views`)."""
    views.count(article.id)


def article_dict(article: Article, *, full: bool = True) -> dict[str, Any]:
    """The API's representation of an article (`full=False` leaves out the body)."""
    data: dict[str, Any] = {
        "id": article.id,
        "slug": article.slug,
        "title": article.title,
        "status": article.status,
        "visibility": article.visibility,
        "category": article.category.path if article.category_id else None,
        "tags": article.tags or [],
        "version": article.version,
        "author": user_brief(article.author) if article.author_id else None,
        "reviewer": user_brief(article.reviewer) if article.reviewer_id else None,
        "source_ticket_id": article.source_ticket_id,
        "views": article.views + views.pending(article.id),
        "helpful": article.helpful,
        "not_helpful": article.not_helpful,
        "created_at": iso(article.created_at),
        "updated_at": iso(article.updated_at),
        "published_at": iso(article.published_at),
    }
    if full:
        data["body"] = article.body
        data["body_html"] = render_html(article.body)
    return data


def public_dict(article: Article) -> dict[str, Any]:
    """What the customer portal may show of a published, public article."""
    return {
        "id": article.id,
        "title": article.title,
        "body_html": render_html(article.body),
        "category": article.category.path if article.category_id else None,
        "tags": article.tags or [],
        "helpful": article.helpful,
        "not_helpful": article.not_helpful,
        "updated_at": iso(article.updated_at),
    }
