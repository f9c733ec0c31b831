"""Similar solved tickets: answers the team already gave, for questions no article covers yet.

When a ticket is resolved with a public agent reply, the telling terms of its subject are
remembered with that reply (`SolvedTerm`); reopening forgets them. For a ticket, the solved
tickets sharing at least `MIN_SHARE` of its subject's terms are offered on the ticket page with
their answer, best first, and the answer can become a draft article in one click.
"""

from __future__ import annotations

from typing import Any

from gongdan import clock, permissions
from gongdan.actors import Actor
from gongdan.db import db, write_transaction
from gongdan.models import Comment, Tenant, Ticket
from gongdan_knowledge.index import telling_terms
from gongdan_knowledge.models import SolvedTerm
from gongdan_knowledge.text import plain_text

MAX_TERMS = 12
PER_TERM = 200  # the most recent solved tickets read per term
MIN_SHARE = 0.5
KEEP = 3


def answer_of(ticket: Ticket) -> Comment | None:
    """The ticket's last public reply by an agent (its answer), or None."""
    replies = Comment.select().where(
        (Comment.ticket == ticket.id) & (Comment.internal == False) & (Comment.from_customer == False)  # noqa: E712
    )
    return next((c for c in replies.order_by(Comment.id.desc()) if c.kind_of_author == "agent"), None)


def remember(tenant: Tenant, ticket: Ticket) -> int:
    """Remember a resolved ticket's subject terms with its answer; returns how many terms."""
    answer = answer_of(ticket)
    wanted = telling_terms(ticket.subject, MAX_TERMS)
    with write_transaction():
        SolvedTerm.delete().where((SolvedTerm.tenant == tenant) & (SolvedTerm.ticket == ticket.id)).execute()
        if answer is None or not wanted:
            return 0
        now = clock.now()
        SolvedTerm.insert_many(
            [{"tenant": tenant.id, "term": t, "ticket": ticket.id, "comment": answer.id, "at": now} for t in wanted]
        ).execute()
    return len(wanted)


def forget(tenant: Tenant, ticket: Ticket) -> None:
    """A reopened ticket is no longer an answer."""
    SolvedTerm.delete().where((SolvedTerm.tenant == tenant) & (SolvedTerm.ticket == ticket.id)).execute()


def similar(tenant: Tenant, ticket: Ticket, limit: int = KEEP, actor: Actor | None = None) -> list[dict[str, Any]]:
    """Solved tickets like `ticket`: `[{"ticket_id", "number", "subject", "comment_id", "answer", "share"}]`;
    with `actor`, only those the actor may see (team visibility: an agent reads no other team's ticket)."""
    wanted = telling_terms(ticket.subject, MAX_TERMS)
    if not wanted:
        return []
    p, table = db.obj.param, SolvedTerm._meta.table_name
    parts = [
        f'SELECT * FROM (SELECT ticket_id, comment_id FROM "{table}" WHERE tenant_id = {p} AND term = {p}'
        f" ORDER BY ticket_id DESC LIMIT {PER_TERM}) t{n}"
        for n in range(len(wanted))
    ]
    sql = (
        f"SELECT ticket_id, MAX(comment_id), COUNT(*) AS hits FROM ({' UNION ALL '.join(parts)}) u"
        f" WHERE ticket_id <> {p} GROUP BY ticket_id HAVING COUNT(*) >= {p}"
        f" ORDER BY hits DESC, ticket_id DESC LIMIT {p}"
    )
    params = [v for term in wanted for v in (tenant.id, term)]
    need = max(1, round(MIN_SHARE * len(wanted)))
    rows = db.execute_sql(sql, [*params, ticket.id, need, limit]).fetchall()
    if not rows:
        return []
    found = Ticket.of(tenant).where(Ticket.id.in_([r[0] for r in rows]))
    if actor is not None:
        found = permissions.visible_tickets(actor, found, tenant)
    tickets = {t.id: t for t in found}
    answers = {c.id: c for c in Comment.select().where(Comment.id.in_([r[1] for r in rows]))}
    return [
        {
            "ticket_id": ticket_id,
            "number": tickets[ticket_id].number,
            "subject": tickets[ticket_id].subject,
            "comment_id": comment_id,
            "answer": plain_text(answers[comment_id].body)[:200],
            "share": round(hits / len(wanted), 2),
        }
        for ticket_id, comment_id, hits in rows
        if ticket_id in tickets and comment_id in answers
    ]
