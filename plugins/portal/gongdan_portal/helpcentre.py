"""The help centre's reading side, on the knowledge plugin when the tenant has it enabled.

Only published, public articles are ever shown. Without the knowledge plugin the help centre
shows no articles and search finds none; submitting and following requests still work.
"""

from __future__ import annotations

import hashlib
from typing import Any

from gongdan.db import db
from gongdan.errors import NotFound
from gongdan.models import Category, Tenant
from gongdan.plugins import get_host

KNOWLEDGE = "knowledge"


def available(tenant: Tenant) -> bool:
    """Whether the tenant's help centre has articles to search (knowledge plugin on)."""
    return KNOWLEDGE in get_host().loaded and get_host().is_enabled(tenant, KNOWLEDGE)


def _public_filters(category_ids: tuple[int, ...] = ()) -> Any:
    from gongdan_knowledge.index import Filters

    return Filters(statuses=("published",), visibilities=("public",), category_ids=category_ids)


def search(tenant: Tenant, text: str, page: int = 1, per_page: int = 10) -> tuple[list[dict[str, Any]], int]:
    """Published public articles matching `text`, best first: `([{"id", "title", "snippet"}], total)`."""
    if not available(tenant) or not text.strip():
        return [], 0
    from gongdan_knowledge.search import LOCAL
    from gongdan_knowledge.search import search as kb_search

    found = kb_search(tenant, text, _public_filters(), page, per_page, LOCAL)
    return [{k: i[k] for k in ("id", "title", "snippet")} for i in found.items], found.total


def _article_table() -> str:
    from gongdan_knowledge.models import Article

    return Article._meta.table_name


def categories(tenant: Tenant) -> list[dict[str, Any]]:
    """Categories holding public articles: `[{"id", "name", "path", "count"}]`, by path."""
    if not available(tenant):
        return []
    p = db.obj.param
    sql = (
        f'SELECT c.id, c.name, c.path, COUNT(*) FROM "{_article_table()}" a'
        f' JOIN "{Category._meta.table_name}" c ON c.id = a.category_id AND c.tenant_id = a.tenant_id'
        f" WHERE a.tenant_id = {p} AND a.status = 'published' AND a.visibility = 'public'"
        " GROUP BY c.id, c.name, c.path ORDER BY c.path"
    )
    rows = db.execute_sql(sql, (tenant.id,)).fetchall()
    return [{"id": r[0], "name": r[1], "path": r[2], "count": r[3]} for r in rows]


def category(tenant: Tenant, category_id: int) -> Category:
    """The tenant's category `category_id`; NotFound otherwise."""
    found = Category.get_or_none((Category.id == category_id) & (Category.tenant == tenant))
    if found is None:
        raise NotFound("no such category")
    return found


def _listing(tenant: Tenant, where: str, params: tuple, limit: int, order: str) -> list[dict[str, Any]]:
    p = db.obj.param
    sql = (
        f'SELECT a.id, a.title FROM "{_article_table()}" a WHERE a.tenant_id = {p}'
        f" AND a.status = 'published' AND a.visibility = 'public'{where} ORDER BY {order} LIMIT {int(limit)}"
    )
    return [{"id": r[0], "title": r[1]} for r in db.execute_sql(sql, (tenant.id, *params)).fetchall()]


def in_category(tenant: Tenant, node: Category, limit: int = 100) -> list[dict[str, Any]]:
    """Public articles filed under `node` or below it, most viewed first."""
    if not available(tenant):
        return []
    from gongdan_knowledge.search import category_ids

    ids = category_ids(tenant, node.path)
    marks = ", ".join([db.obj.param] * len(ids))
    return _listing(tenant, f" AND a.category_id IN ({marks})", ids, limit, "a.views DESC, a.id")


def popular(tenant: Tenant, limit: int = 8) -> list[dict[str, Any]]:
    """The most viewed public articles."""
    if not available(tenant):
        return []
    return _listing(tenant, "", (), limit, "a.views DESC, a.id")


def article(tenant: Tenant, article_id: int) -> Any:
    """A published public article (counted as viewed); NotFound for anything else."""
    if not available(tenant):
        raise NotFound("no such article")
    from gongdan_knowledge import articles

    found = articles.get(tenant, article_id)
    if found.status != "published" or found.visibility != "public":
        raise NotFound("no such article")
    return found


def article_view(found: Any) -> dict[str, Any]:
    """What the page shows of an article (sanitised HTML body), counting a view."""
    from gongdan_knowledge import articles

    articles.viewed(found)
    return articles.public_dict(found)


def vote(found: Any, visitor_key: str, helpful: bool) -> None:
    """A visitor's 有帮助 / 没帮助 (one per visitor; voting again changes it)."""
    from gongdan_knowledge import articles

    articles.vote(found, "anon:" + hashlib.sha256(visitor_key.encode()).hexdigest()[:32], helpful)
