"""Searching: the local database as a knowledge source, and the merge of every source.

Other plugins register outside knowledge bases with `gongdan_knowledge_sources()`; a source's
`search(tenant, query, limit)` returns `KnowledgeHit`s with scores from 0 to 1. Merged results
are ordered by score; hits of the local source carry the article id, others `source:id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gongdan.contributions import KnowledgeHit, KnowledgeSource
from gongdan.db import db
from gongdan.models import Category, Tenant
from gongdan.plugins import get_host
from gongdan_knowledge import gaps, index, learning
from gongdan_knowledge.models import Article
from gongdan_knowledge.text import colloquial, index_text, simplified, snippet, terms

LOCAL = "local"
PLUGIN = "knowledge"


@dataclass
class Page:
    """One page of merged results: `items` are dicts of the API's search answer."""

    items: list[dict[str, Any]]
    total: int


def category_ids(tenant: Tenant, path: str) -> tuple[int, ...]:
    """The ids of the category at `path` and of everything under it (empty tuple: none)."""
    path = path.strip().strip("/")
    rows = Category.of(tenant).where((Category.path == path) | Category.path.startswith(path + "/"))
    return tuple(c.id for c in rows.select(Category.id)) or (-1,)


def local_hits(
    tenant: Tenant,
    text: str,
    filters: index.Filters,
    limit: int,
    offset: int = 0,
    *,
    synonyms: bool = True,
    fallback: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """Local articles matching `text`: `[{"id", "title", "snippet", "score", "match", ...}]`, total.

    The strict query (the text's own terms, typo repair, the thesaurus' synonyms) runs first;
    when it finds nothing, a partial query (single characters of the content words) runs and
    its hits say `"match": "partial"` (部分匹配). Articles agents sent on tickets with the same
    words get a bonus (`learning`). Each hit's `why` says what found it. `synonyms=False,
    fallback=False` is the strict search alone, as before synonyms and learning (what the
    benchmark compares against).
    """
    if synonyms:
        text = colloquial(simplified(text))  # 冇 → 没有, 咋 → 怎么: the articles' words
    query = index.prepare(tenant, text, synonyms=synonyms)
    found, total = index.run(tenant, query, filters, limit, offset, coordinate=synonyms)
    if fallback and not offset and (not found or not query.telling):
        # single characters, first among the telling terms, then among terms of any frequency;
        # also when the strict query matched only noise (怎么 alone, a seam, a number)
        for share in (index.COMMON_SHARE, 1.0):
            loose = index.partial(tenant, text, share)
            hits, count = index.run(tenant, loose, filters, limit, offset, coordinate=synonyms)
            if hits:
                query, found, total = loose, hits, count
                break
    narrowed = bool(filters.category_ids or filters.tag)
    learned = learning.boosts(tenant, text) if synonyms and not offset and not narrowed else {}
    if learned:
        found, total = _with_learned(found, learned, _coverage(query, text), limit), max(total, len(learned))
    if not found:
        return [], total
    by_id = _articles(tenant, [i for i, _ in found])
    wanted = query.highlight_terms
    items = []
    for article_id, score in found:
        title, body, status, visibility = by_id[article_id]
        if not _allowed(filters, status, visibility):
            continue
        items.append(
            {
                "id": article_id,
                "title": title,
                "snippet": snippet(_snippet_text(body), wanted),
                "score": score,
                "match": "partial" if query.partial else "full",
                "why": _why(query, article_id in learned),
                "source": LOCAL,
                "status": status,
                "visibility": visibility,
            }
        )
    return items, total


@lru_cache(maxsize=2048)
def _snippet_text(body: str) -> str:
    """An article's body as snippets read it (markup gone, whitespace collapsed), kept by the
    body's text: an edited article is another text, and most searches show the same articles."""
    return " ".join(index_text(body).split())


def _coverage(query: index.Query, text: str) -> float:
    """The share of the text's telling terms that the articles know (search scores ignore the rest)."""
    telling = [t for t in terms(text) if t not in index.QUESTION_WORDS][: index.MAX_QUERY_TERMS]
    own = sum(1 for g in query.groups if g.own)
    return min(1.0, own / len(telling)) if telling else 1.0


def _with_learned(
    found: list[tuple[int, float]], learned: dict[int, float], coverage: float, limit: int
) -> list[tuple[int, float]]:
    """The hits and the learned articles, each at the better of its learned score and its search
    score weighed by how much of the question the articles' words cover."""
    scores = {article_id: round(score * coverage, 4) for article_id, score in found}
    for article_id, score in learned.items():
        scores[article_id] = max(scores.get(article_id, 0.0), score)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]


def _allowed(filters: index.Filters, status: str, visibility: str) -> bool:
    """Whether an article's status and visibility pass the filters (learned hits skip the index's check)."""
    return status in filters.statuses and visibility in filters.visibilities


def _why(query: index.Query, learned: bool) -> dict[str, Any]:
    """Why an article was found: synonyms used, English read in Chinese, intents read, a partial
    match, tickets that used it."""
    return {
        "synonyms": sorted(query.synonyms),
        "translations": sorted(set(query.translations)),
        "intents": list(query.intents),
        "partial": query.partial,
        "learned": learned,
    }


def _articles(tenant: Tenant, ids: list[int]) -> dict[int, tuple[str, str, str, str]]:
    """`{id: (title, body, status, visibility)}` (plain SQL: this is on every search).

    The tenant leads the condition as it leads the key (`tenant_id, id`): on PostgreSQL, ids alone
    scanned the whole key for each id (2,800 pages, 25–80 ms at 100,000 articles)."""
    p = db.obj.param
    sql = (
        f'SELECT id, title, body, status, visibility FROM "{Article._meta.table_name}"'
        f" WHERE tenant_id = {p} AND id IN ({', '.join([p] * len(ids))})"
    )
    return {row[0]: row[1:] for row in db.execute_sql(sql, [tenant.id, *ids]).fetchall()}


def _local_source(tenant: Tenant, query: str, limit: int) -> list[KnowledgeHit]:
    items, _ = local_hits(tenant, query, index.Filters(statuses=("published",)), limit)
    return [KnowledgeHit(LOCAL, str(i["id"]), i["title"], i["snippet"], i["score"]) for i in items]


LOCAL_SOURCE = KnowledgeSource(name=LOCAL, search=_local_source, label="本地知识库 Local articles")


def sources(tenant: Tenant) -> list[tuple[str, KnowledgeSource]]:
    """Outside sources registered by plugins enabled in `tenant` (the local one excluded)."""
    host = get_host()
    found = []
    for plugin, source in host.registered("gongdan_knowledge_sources"):
        if source.name == LOCAL:
            continue
        if plugin == PLUGIN or host.is_enabled(tenant, plugin) or plugin in host.always_on:
            found.append((plugin, source))
    return found


def search(
    tenant: Tenant, text: str, filters: index.Filters, page: int, per_page: int, source: str | None = None
) -> Page:
    """Local results merged with every outside source's, best first.

    Outside sources cannot filter, so they join only unfiltered searches (or when asked by name).
    """
    wanted = page * per_page
    local_items, total = ([], 0)
    if source in (None, LOCAL):
        local_items, total = local_hits(tenant, text, filters, wanted)
    outside: list[dict[str, Any]] = []
    unfiltered = filters.category_ids == () and filters.tag is None
    if source != LOCAL and (unfiltered or source):
        host = get_host()
        for plugin, known in sources(tenant):
            if source and known.name != source:
                continue
            try:
                hits = known.search(tenant, text, wanted)
            except Exception as exc:  # noqa: BLE001 - one failing source never breaks search
                host.record_failure(plugin, tenant, "knowledge_source.search", exc)
                continue
            outside.extend(_hit_dict(hit) for hit in hits[:wanted])
    merged = sorted(local_items + outside, key=lambda i: -i["score"])
    if not merged and page == 1:
        gaps.record(tenant, text)
    start = (page - 1) * per_page
    return Page(items=merged[start : start + per_page], total=total + len(outside))


def _hit_dict(hit: KnowledgeHit) -> dict[str, Any]:
    return {
        "id": f"{hit.source}:{hit.id}",
        "title": hit.title,
        "snippet": hit.snippet,
        "score": round(max(0.0, min(1.0, float(hit.score))), 4),
        "source": hit.source,
        "url": hit.url,
    }
