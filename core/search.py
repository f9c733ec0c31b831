"""Ticket search: postings of every ticket's terms (subject, description, public replies).

The terms are cut by `gongdan.text.terms` (Han bigrams, Latin words, numbers), the tokenizer the
knowledge plugin uses too, and kept in `TicketTerm` by the ticket service in the same
transaction as the change, so a ticket is findable the moment it is created. A query's tickets
are those holding every one of its terms: read from the key `(tenant, term, ticket)` newest
first, driven by the query's rarest term, the same rows on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import peewee

from gongdan.models import Comment, Ticket, TicketTerm
from gongdan.statements import PreparedStatement
from gongdan.text import term_set

CHUNK = 300
"""Rows per INSERT (three parameters each, well under every database's limit)."""
RARITY_PROBE = 2_000
"""How many postings of a term are counted, at most, to choose the rarest term to drive a search."""
MAX_QUERY_TERMS = 12

_forget = PreparedStatement("DELETE FROM {term} WHERE tenant_id = ? AND ticket_id = ?", term=TicketTerm)
_probe = PreparedStatement(
    "SELECT COUNT(*) FROM (SELECT 1 FROM {term} WHERE tenant_id = ? AND term = ? LIMIT ?) AS probe", term=TicketTerm
)


@lru_cache(maxsize=64)
def _insert(rows: int) -> PreparedStatement:
    values = ", ".join("(?, ?, ?)" for _ in range(rows))
    return PreparedStatement(
        f"INSERT INTO {{term}} (tenant_id, term, ticket_id) VALUES {values} ON CONFLICT DO NOTHING", term=TicketTerm
    )


def ticket_terms(*texts: str) -> set[str]:
    """The distinct search terms of `texts`."""
    found: set[str] = set()
    for text in texts:
        if text:
            found |= term_set(text)
    return found


def add(tenant_id: int, ticket_id: int, *texts: str) -> None:
    """Index `texts` (a new ticket's subject and description, a public reply) for the ticket."""
    found = sorted(ticket_terms(*texts))
    for start in range(0, len(found), CHUNK):
        chunk = found[start : start + CHUNK]
        params: list[Any] = []
        for term in chunk:
            params += (tenant_id, term, ticket_id)
        _insert(len(chunk)).execute(params)


def reindex(ticket: Ticket) -> None:
    """Index the ticket again from its subject, description and public replies (after an edit)."""
    replies = Comment.select(Comment.body).where((Comment.ticket == ticket.id) & (Comment.internal == False))  # noqa: E712
    _forget.execute((ticket.tenant_id, ticket.id))
    add(ticket.tenant_id, ticket.id, ticket.subject, ticket.description, *(c.body for c in replies))


def query_terms(text: str) -> list[str]:
    """The terms a query asks for (at most `MAX_QUERY_TERMS`), in a stable order."""
    return sorted(ticket_terms(text))[:MAX_QUERY_TERMS]


def rarest_first(tenant_id: int, wanted: Iterable[str]) -> list[str]:
    """`wanted` ordered from the term fewest tickets hold (counted up to `RARITY_PROBE`)."""
    return [term for _, term in counted_terms(tenant_id, wanted)]


def counted_terms(tenant_id: int, wanted: Iterable[str]) -> list[tuple[int, str]]:
    """`(tickets holding it, term)` for each of `wanted`, rarest first (counted up to `RARITY_PROBE`)."""
    return sorted((postings(tenant_id, term, RARITY_PROBE), term) for term in wanted)


def postings(tenant_id: int, term: str, cap: int) -> int:
    """How many of the tenant's tickets hold `term`, counted no further than `cap` (one index range)."""
    return _probe.execute((tenant_id, term, cap)).fetchone()[0]


def holding(p: Any, count: int) -> tuple[Any, peewee.Expression]:
    """The postings row driving a search of `count` terms, and the condition on the others.

    `p` hands out placeholders (`gongdan.queries.Placeholders`): `tenant`, then `term0` (the
    rarest term, whose postings are read in ticket order) and `term1`… (each checked by an
    index lookup). Join the returned alias on `Ticket.id` and order by its `ticket` column.
    """
    drive = TicketTerm.alias("drive")
    condition = (drive.tenant == p("tenant")) & (drive.term == p("term0", str))
    for n in range(1, count):
        other = TicketTerm.alias(f"also{n}")
        probe = other.select(peewee.SQL("1")).where(
            (other.tenant == drive.tenant) & (other.term == p(f"term{n}", str)) & (other.ticket == drive.ticket)
        )
        condition &= peewee.fn.EXISTS(probe)
    return drive, condition


def held_by(p: Any, count: int, ticket_id: Any, first: int = 0) -> peewee.Expression:
    """The condition that the ticket `ticket_id` (a column) holds the terms `term<first>`… of a
    search of `count` terms: one index lookup each, for a search driven by another index."""
    condition: Any = None
    for n in range(first, count):
        term = TicketTerm.alias(f"held{n}")
        probe = term.select(peewee.SQL("1")).where(
            (term.tenant == p("tenant")) & (term.term == p(f"term{n}", str)) & (term.ticket == ticket_id)
        )
        condition = found(probe) if condition is None else condition & found(probe)
    return condition


def found(probe: Any) -> Any:
    """`(probe LIMIT 1) IS NOT NULL`: EXISTS as a subquery of one row, looked up for each outer
    row on both databases (PostgreSQL plans an EXISTS as a join, and chose a hash join over every
    posting of a term where a few thousand index lookups were wanted)."""
    return peewee.NodeList((probe.limit(1), peewee.SQL("IS NOT NULL")))


__all__ = [
    "add",
    "counted_terms",
    "found",
    "held_by",
    "holding",
    "postings",
    "query_terms",
    "rarest_first",
    "reindex",
    "ticket_terms",
]
