"""Articles sent on tickets: replying with an article, and which articles solve tickets."""

from __future__ import annotations

from typing import Any

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import ValidationError
from gongdan.models import Comment, Tenant, Ticket, User
from gongdan_knowledge import learning
from gongdan_knowledge.models import Article, Usage
from gongdan_knowledge.text import plain_text


def send(
    tenant: Tenant, ticket: Ticket, article: Article, user: User, text: str = "", internal: bool = False
) -> tuple[Comment, Usage]:
    """Reply on `ticket` with `article` (as plain text, after `text`) and record the use."""
    if article.status != "published":
        raise ValidationError("only published articles can be sent", {"article_id": ["is not published"]})
    body = "\n\n".join(part for part in (text.strip(), plain_text(article.body)) if part)
    actor = Actor.of(user)
    comment = tickets.comment(tenant, ticket, body, actor, internal=internal)
    with write_transaction():
        usage = Usage.create(tenant=tenant, article=article, ticket=ticket, comment=comment, user=user)
        learning.learn(tenant, ticket, article.id)
        tickets.record_event(
            tenant,
            ticket,
            "knowledge.article_inserted",
            {"article_id": article.id, "title": article.title, "comment_id": comment.id},
            actor,
        )
    return comment, usage


def report(tenant: Tenant) -> list[dict[str, Any]]:
    """Per article sent: times sent, tickets, and how many of those are resolved or closed."""
    rows = (
        Usage.select(Usage.article, Usage.ticket, Ticket.status)
        .join(Ticket, on=(Usage.ticket == Ticket.id))
        .where(Usage.tenant == tenant)
        .tuples()
    )
    stats: dict[int, dict[str, Any]] = {}
    for article_id, ticket_id, status in rows:
        entry = stats.setdefault(article_id, {"sent": 0, "tickets": set(), "solved": set()})
        entry["sent"] += 1
        entry["tickets"].add(ticket_id)
        if status in ("resolved", "closed"):
            entry["solved"].add(ticket_id)
    titles = dict(Article.select(Article.id, Article.title).where(Article.id.in_(list(stats) or [-1])).tuples())
    items = [
        {
            "id": aid,
            "title": titles.get(aid, ""),
            "sent": s["sent"],
            "tickets": len(s["tickets"]),
            "solved_tickets": len(s["solved"]),
        }
        for aid, s in stats.items()
    ]
    items.sort(key=lambda i: (-i["solved_tickets"], -i["sent"], i["id"]))
    return items
