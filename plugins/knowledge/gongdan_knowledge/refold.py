"""Schema migration 3: terms stored from tickets before traditional characters were folded.

Learned ties (`kb_learned`) and similar-solved-ticket terms (`kb_solved_term`) are cut from
ticket subjects. Before terms were cut from the simplified form of the text (`text.simplified`),
a subject in traditional characters left terms (退貨, 運費) that no query cuts any more, so
those tickets neither raised their article nor showed as similar. This re-cuts them:

* a solved ticket holding such a term has its terms cut again from its subject, keeping the
  answer and the time it was solved;
* a learned tie is folded into the tie of the simplified term to the same article, their
  weights added after each has faded to the later of their two times (as `learning.learn` adds).

Terms already simplified are left alone, so running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gongdan.db import write_transaction
from gongdan.models import Ticket
from gongdan_knowledge.index import telling_terms
from gongdan_knowledge.learning import _decayed
from gongdan_knowledge.models import Learned, SolvedTerm
from gongdan_knowledge.solved import MAX_TERMS
from gongdan_knowledge.text import MAX_TERM, simplified


@dataclass
class Refolded:
    """What a run changed: solved tickets re-cut, learned ties folded (and of those, merged)."""

    solved_tickets: int = 0
    learned_ties: int = 0
    learned_merged: int = 0


def _folded(term: str) -> str:
    return simplified(term)[:MAX_TERM]


def refold_solved() -> int:
    """Re-cut the terms of every solved ticket that holds a term in traditional characters."""
    stale: dict[tuple[int, int], tuple[int, Any]] = {}
    rows = SolvedTerm.select(SolvedTerm.tenant, SolvedTerm.ticket, SolvedTerm.comment, SolvedTerm.at, SolvedTerm.term)
    for row in rows.iterator():
        if _folded(row.term) != row.term:
            stale[(row.tenant_id, row.ticket_id)] = (row.comment_id, row.at)
    for (tenant_id, ticket_id), (comment_id, at) in sorted(stale.items()):
        subject = Ticket.select(Ticket.subject).where(Ticket.id == ticket_id).scalar() or ""
        wanted = telling_terms(subject, MAX_TERMS)
        SolvedTerm.delete().where((SolvedTerm.tenant == tenant_id) & (SolvedTerm.ticket == ticket_id)).execute()
        if wanted:
            SolvedTerm.insert_many(
                [{"tenant": tenant_id, "term": t, "ticket": ticket_id, "comment": comment_id, "at": at} for t in wanted]
            ).execute()
    return len(stale)


def refold_learned() -> tuple[int, int]:
    """Fold each learned tie of a traditional term into the simplified term's tie to the same
    article; returns (ties folded, of those merged into an existing tie)."""
    folded = merged = 0
    stale = [row for row in Learned.select().order_by(Learned.id).iterator() if _folded(row.term) != row.term]
    for row in stale:
        target = _folded(row.term)
        same = (Learned.tenant == row.tenant_id) & (Learned.term == target) & (Learned.article == row.article_id)
        into = Learned.get_or_none(same)
        row.delete_instance()
        folded += 1
        if into is None:
            Learned.create(
                tenant=row.tenant_id, term=target, article=row.article_id, weight=row.weight, updated_at=row.updated_at
            )
            continue
        merged += 1
        latest = max(into.updated_at, row.updated_at)
        into.weight = _decayed(into.weight, into.updated_at, latest) + _decayed(row.weight, row.updated_at, latest)
        into.updated_at = latest
        into.save()
    return folded, merged


def refold(migrator: object = None) -> Refolded:
    """Schema migration 3: both of the above, in one transaction."""
    with write_transaction():
        solved = refold_solved()
        folded, merged = refold_learned()
    return Refolded(solved, folded, merged)
