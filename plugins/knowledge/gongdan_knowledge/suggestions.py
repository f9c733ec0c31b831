"""Articles suggested for a ticket: computed after it is created or changed, stored, shown with it.

Creating or changing a ticket only queues it (`queue`, one insert in the ticket's
transaction); the worker's job `knowledge.suggestions` computes the queued tickets a few
seconds later (`run_pending`), and opening a queued ticket (its page, its suggestions in the
API) computes it at once. Meanwhile list blocks say `"pending": true`. A change that arrives
while a ticket is being computed queues it again, so no change is lost.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from gongdan import clock, hooks
from gongdan.db import write_transaction
from gongdan.models import Category, Tenant, Ticket
from gongdan.statements import PreparedStatement
from gongdan_knowledge import index
from gongdan_knowledge.models import Article, PendingSuggestion, Suggestion
from gongdan_knowledge.search import local_hits

KEEP = 5
BLOCK_SIZE = 3
DESCRIPTION_CHARS = 600
SAME_CATEGORY, SAME_PARENT = 0.15, 0.05
WATCHED_FIELDS = {"subject", "description", "category", "tags"}
JOB_SECONDS = 5  # how often the worker computes queued tickets
JOB_BUDGET_SECONDS = 3.0  # one run stops taking more tickets after this long (the next run goes on)

_queue = PreparedStatement(
    "INSERT INTO {pending} (tenant_id, ticket_id, queued_at) VALUES (?, ?, ?)"
    " ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET queued_at = excluded.queued_at",
    pending=PendingSuggestion,
)
_queued_at = PreparedStatement(
    "SELECT queued_at FROM {pending} WHERE tenant_id = ? AND ticket_id = ?", pending=PendingSuggestion
)
_dequeue = PreparedStatement(
    "DELETE FROM {pending} WHERE tenant_id = ? AND ticket_id = ? AND queued_at = ?", pending=PendingSuggestion
)
_oldest = PreparedStatement(
    "SELECT tenant_id, ticket_id FROM {pending} ORDER BY queued_at, id LIMIT ?", pending=PendingSuggestion
)


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


def queue(tenant: Tenant, ticket: Ticket) -> None:
    """Have `ticket`'s suggestions computed again by the worker (or when someone opens it)."""
    _queue.execute((tenant.id, ticket.id, PendingSuggestion.queued_at.db_value(clock.now())))


_by_count: dict[tuple[str, int], PreparedStatement] = {}


def _for(kind: str, count: int) -> PreparedStatement:
    """The page statement `kind` for `count` ticket ids, compiled once per count."""
    statement = _by_count.get((kind, count))
    if statement is None:
        marks = ", ".join("?" * count)
        if kind == "pending":
            sql = f"SELECT ticket_id FROM {{pending}} WHERE tenant_id = ? AND ticket_id IN ({marks})"
        else:
            sql = (
                "SELECT s.ticket_id, s.score, a.id, a.title FROM {suggestion} s"
                " JOIN {article} a ON a.id = s.article_id AND a.tenant_id = s.tenant_id"
                f" WHERE s.tenant_id = ? AND s.ticket_id IN ({marks}) AND s.rank <= ? ORDER BY s.ticket_id, s.rank"
            )
        tables = {"pending": PendingSuggestion, "suggestion": Suggestion, "article": Article}
        statement = _by_count[(kind, count)] = PreparedStatement(sql, **tables)
    return statement


def pending(tenant: Tenant, ticket_ids: Iterable[int]) -> set[int]:
    """Which of `ticket_ids` wait for their suggestions."""
    ids = list(ticket_ids)
    if not ids:
        return set()
    return {row[0] for row in _for("pending", len(ids)).execute([tenant.id, *ids]).fetchall()}


def current(tenant: Tenant, ticket: Ticket) -> list[Suggestion]:
    """The suggestions of `ticket`, computed now if it waits for them (someone is looking at it)."""
    if _queued_at.execute((tenant.id, ticket.id)).fetchone() is not None:
        return refresh(tenant, ticket)
    return stored(ticket.id)


def run_pending(limit: int = 500, budget: float = JOB_BUDGET_SECONDS) -> int:
    """Compute the suggestions of the longest-waiting queued tickets (of every tenant).

    Stops after `limit` tickets or once `budget` seconds are spent; returns how many it
    computed. A ticket whose tenant switched suggestions off (or the plugin) leaves the queue.
    """
    from gongdan.plugins import get_host

    started = time.monotonic()
    done = 0
    tenants: dict[int, Tenant | None] = {}
    for tenant_id, ticket_id in _oldest.execute((limit,)).fetchall():
        if tenant_id not in tenants:
            found = Tenant.get_or_none(Tenant.id == tenant_id)
            use = found is not None and get_host().is_enabled(found, "knowledge")
            tenants[tenant_id] = (
                found if use and get_host().settings(found, "knowledge")["suggest_on_tickets"] else None
            )
        tenant = tenants[tenant_id]
        ticket = Ticket.get_or_none((Ticket.id == ticket_id) & (Ticket.tenant == tenant_id)) if tenant else None
        if ticket is None:
            PendingSuggestion.delete().where(
                (PendingSuggestion.tenant == tenant_id) & (PendingSuggestion.ticket == ticket_id)
            ).execute()
            continue
        refresh(tenant, ticket)
        done += 1
        if time.monotonic() - started > budget:
            break
    return done


def refresh(tenant: Tenant, ticket: Ticket) -> list[Suggestion]:
    """Recompute and store the suggestions of `ticket` (it leaves the queue unless it was
    queued again meanwhile)."""
    queued = _queued_at.execute((tenant.id, ticket.id)).fetchone()
    best = compute(tenant, ticket)
    now = clock.now()
    with write_transaction():
        if queued is not None:
            _dequeue.execute((tenant.id, ticket.id, queued[0]))
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
    """Queue a ticket that was created or had a field suggestions read changed."""
    if changes is None or WATCHED_FIELDS & set(changes):
        queue(tenant, ticket)


def blocks(tickets: list[Ticket], tenant: Tenant | None = None) -> dict[int, dict[str, Any]]:
    """`{ticket_id: {"suggestions": [{"id", "title", "score"}]}}` for a page, in one query;
    with `tenant`, a ticket whose suggestions are being computed also says `"pending": true`."""
    found: dict[int, dict[str, Any]] = {t.id: {"suggestions": []} for t in tickets}
    if not found:
        return found
    if tenant is not None:
        for ticket_id in pending(tenant, found):
            found[ticket_id]["pending"] = True
    tenant_id = tenant.id if tenant is not None else tickets[0].tenant_id
    rows = _for("blocks", len(found)).execute([tenant_id, *found, BLOCK_SIZE]).fetchall()
    for ticket_id, score, article_id, title in rows:
        found[ticket_id]["suggestions"].append({"id": article_id, "title": title, "score": score})
    return found
