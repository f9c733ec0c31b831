"""Articles suggested for a ticket: computed when it is created or changed, stored, shown with it."""

from __future__ import annotations

from typing import Any

from gongdan import clock, hooks
from gongdan.db import write_transaction
from gongdan.models import Category, Tenant, Ticket
from gongdan_knowledge import index
from gongdan_knowledge.models import Article, Suggestion
from gongdan_knowledge.search import local_hits

KEEP = 5
BLOCK_SIZE = 3
DESCRIPTION_CHARS = 600
SAME_CATEGORY, SAME_PARENT = 0.15, 0.05
WATCHED_FIELDS = {"subject", "description", "category", "tags"}


def ticket_text(ticket: Ticket) -> str:
    """What a ticket's suggestions are searched with: the kind of problem (category, twice, and
    tags) ahead of the words of the subject and description.

    The category and tags say what the customer wants (仅退款, 少件); a marketplace ticket's
    subject and description also name the product, whose words must not outweigh the problem's
    (a missing-item ticket for 新疆阿克苏苹果 is not about shipping to 新疆): for tickets of a
    connector that offers `problem_text`, its words replace the subject and description.
    """
    path = ticket.category.path.replace("/", " ") if ticket.category_id else ""
    connector = _problem_texts().get(ticket.external_system or "")
    words = connector(ticket) if connector else f"{ticket.subject} {(ticket.description or '')[:DESCRIPTION_CHARS]}"
    return " ".join([path, path, " ".join(ticket.tags or []), words])


def _problem_texts() -> dict[str, Any]:
    """`{system: problem_text}` of the connectors that say what their tickets ask."""
    return {c.system: c.problem_text for c in hooks.connectors().values() if c.problem_text}


def _bonus(ticket_category: Category | None, article: Article) -> float:
    if ticket_category is None or article.category_id is None:
        return 0.0
    if article.category_id == ticket_category.id:
        return SAME_CATEGORY
    if ticket_category.parent_id and article.category.parent_id == ticket_category.parent_id:
        return SAME_PARENT
    return 0.0


def compute(tenant: Tenant, ticket: Ticket) -> list[tuple[int, float, dict[str, Any]]]:
    """The best published articles for `ticket`, `[(article_id, score, why)]`, best first.

    Scores come from search over the ticket's text, raised a little for articles in the
    ticket's category (or its parent scene); `why` is the search hit's, plus `category`.
    """
    items, _ = local_hits(tenant, ticket_text(ticket), index.Filters(statuses=("published",)), KEEP * 3)
    if not items:
        return []
    category = Category.get_or_none(Category.id == ticket.category_id) if ticket.category_id else None
    articles = {a.id: a for a in Article.select().where(Article.id.in_([i["id"] for i in items]))}
    scored = []
    for item in items:
        bonus = _bonus(category, articles[item["id"]])
        scored.append((item["id"], round(item["score"] + bonus, 4), {**item["why"], "category": bonus > 0}))
    scored.sort(key=lambda row: (-row[1], row[0]))
    return scored[:KEEP]


def refresh(tenant: Tenant, ticket: Ticket) -> list[Suggestion]:
    """Recompute and store the suggestions of `ticket`."""
    best = compute(tenant, ticket)
    now = clock.now()
    with write_transaction():
        Suggestion.delete().where(Suggestion.ticket == ticket.id).execute()
        rows = [
            {
                "tenant": tenant.id,
                "ticket": ticket.id,
                "article": aid,
                "rank": n,
                "score": s,
                "why": why,
                "computed_at": now,
            }
            for n, (aid, s, why) in enumerate(best, start=1)
        ]
        if rows:
            Suggestion.insert_many(rows).execute()
    return stored(ticket.id)


def stored(ticket_id: int) -> list[Suggestion]:
    """The stored suggestions of one ticket, best first, with their articles."""
    return list(
        Suggestion.select(Suggestion, Article)
        .join(Article)
        .where(Suggestion.ticket == ticket_id)
        .order_by(Suggestion.rank)
    )


def on_ticket_changed(tenant: Tenant, ticket: Ticket, changes: dict[str, Any] | None = None) -> None:
    """Recompute when a ticket is created or a field suggestions read changed."""
    if changes is None or WATCHED_FIELDS & set(changes):
        refresh(tenant, ticket)


def blocks(tickets: list[Ticket]) -> dict[int, dict[str, Any]]:
    """`{ticket_id: {"suggestions": [{"id", "title", "score"}]}}` for a page, in one query."""
    found: dict[int, dict[str, Any]] = {t.id: {"suggestions": []} for t in tickets}
    rows = (
        Suggestion.select(Suggestion.ticket, Suggestion.score, Article.id, Article.title)
        .join(Article)
        .where(Suggestion.ticket.in_(list(found)) & (Suggestion.rank <= BLOCK_SIZE))
        .order_by(Suggestion.ticket, Suggestion.rank)
        .tuples()
    )
    for ticket_id, score, article_id, title in rows:
        found[ticket_id]["suggestions"].append({"id": article_id, "title": title, "score": score})
    return found
