"""Learning from agents: the words of tickets answered with an article raise that article.

When an agent sends an article on a ticket (or a customer says an article answered them), each
telling term of the ticket's subject is tied to the article (`Learned`, per tenant). A later search holding
those terms scores the article by the share of its terms so tied (at most `MAX_SCORE`), each
tie halving every `HALF_LIFE_DAYS` since it was last reinforced; the hit says why
("因为类似工单曾使用此文").
"""

from __future__ import annotations

import math
from datetime import datetime

from gongdan import clock
from gongdan.db import db, write_transaction
from gongdan.models import Tenant, Ticket
from gongdan_knowledge.index import QUESTION_WORDS, telling_terms
from gongdan_knowledge.models import Learned
from gongdan_knowledge.text import terms

HALF_LIFE_DAYS = 90.0
MAX_SCORE = 0.9
SATURATION = 3.0  # uses after which a tie counts fully
MAX_TERMS = 12
MAX_QUERY_TERMS = 24


def _decayed(weight: float, since: datetime, now: datetime) -> float:
    days = max((now - since).total_seconds() / 86400.0, 0.0)
    return weight * math.pow(0.5, days / HALF_LIFE_DAYS)


def learn(tenant: Tenant, ticket: Ticket, article_id: int, amount: float = 1.0) -> int:
    """Tie the telling terms of `ticket`'s subject to the article; returns how many terms."""
    wanted = telling_terms(ticket.subject, MAX_TERMS)
    if not wanted:
        return 0
    now = clock.now()
    with write_transaction():
        rows = {r.term: r for r in Learned.of(tenant).where((Learned.article == article_id) & Learned.term.in_(wanted))}
        for term in wanted:
            row = rows.get(term)
            if row is None:
                Learned.insert(tenant=tenant, term=term, article=article_id, weight=amount, updated_at=now).on_conflict(
                    conflict_target=[Learned.tenant, Learned.term, Learned.article],
                    update={Learned.weight: Learned.weight + amount, Learned.updated_at: now},
                ).execute()
            else:
                row.weight = _decayed(row.weight, row.updated_at, now) + amount
                row.updated_at = now
                row.save()
    return len(wanted)


def boosts(tenant: Tenant, text: str) -> dict[int, float]:
    """`{article_id: score}` (0 to `MAX_SCORE`) for articles tied to the words of `text`.

    The score is the share of the text's telling terms tied to the article, each tie counting
    fully after `SATURATION` uses and fading with time; search keeps the better of it and the
    article's own score.
    """
    wanted = [t for t in terms(text) if t not in QUESTION_WORDS][:MAX_QUERY_TERMS]
    if not wanted:
        return {}
    p = db.obj.param
    sql = (
        f'SELECT term, article_id, weight, updated_at FROM "{Learned._meta.table_name}"'
        f" WHERE tenant_id = {p} AND term IN ({', '.join([p] * len(wanted))})"
    )
    now = clock.now()
    found: dict[int, float] = {}
    for _term, article_id, weight, updated_at in db.execute_sql(sql, [tenant.id, *wanted]).fetchall():
        since = Learned.updated_at.python_value(updated_at)
        found[article_id] = found.get(article_id, 0.0) + min(_decayed(weight, since, now) / SATURATION, 1.0)
    return {a: round(MAX_SCORE * v / len(wanted), 4) for a, v in found.items() if v > 0}
