"""Ticket search: postings of every ticket's terms (subject, description, public replies).

The terms are cut by `gongdan.text.terms` (Han bigrams, Latin words, numbers), the tokenizer the
knowledge plugin uses too, and kept in `TicketTerm`. A query's tickets are those holding every
one of its terms: read from the key `(tenant, term, ticket)` newest first, driven by the query's
rarest term, the same rows on SQLite and PostgreSQL.

A new ticket's postings are deferred: its creation records one `TicketIndexPending` row (`queue`)
instead of some forty postings scattered over the index, whose page writes were most of what a
commit cost. `index_pending` writes the waiting tickets' postings in batches of hundreds per
transaction — run by the worker's job `core.search_index` every few seconds, and by every search
of the tenant before it reads the index (`settle`), so a search's answer is the one an index
written at once would give. Replies and edits still index in their own transaction.

A ticket's tags are postings too, under terms the text's tokenizer never makes (`tag_term`: `#`
and the tag in lower case), written with its words by the same job, re-written by the ticket
service when the tags change (`retag`) and removed with the ticket's other postings: a list
filtered by a tag reads the tag's postings instead of every ticket's tags.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

import peewee

from gongdan.db import is_postgres, write_transaction
from gongdan.models import Comment, Ticket, TicketIndexPending, TicketTerm
from gongdan.statements import PreparedStatement
from gongdan.text import MAX_TERM, term_set

log = logging.getLogger(__name__)

CHUNK = 300
"""Rows per INSERT (three parameters each, well under every database's limit)."""
RARITY_PROBE = 2_000
"""How many postings of a term are counted, at most, to choose the rarest term to drive a search."""
MAX_QUERY_TERMS = 12
BATCH = 500
"""Waiting tickets indexed per transaction by `index_pending`."""
INTERVAL_SECONDS = 2
"""How often the worker's job `core.search_index` indexes the waiting tickets."""
TAG_MARK = "#"
"""The first character of a tag's posting term (the tokenizer makes terms of letters, digits and Han only)."""
LONG_TAG_MARK = "$"
"""The first character of the posting term of a tag too long for a term (a digest of it)."""

_forget = PreparedStatement("DELETE FROM {term} WHERE tenant_id = ? AND ticket_id = ?", term=TicketTerm)
_probe = PreparedStatement(
    "SELECT COUNT(*) FROM (SELECT 1 FROM {term} WHERE tenant_id = ? AND term = ? LIMIT ?) AS probe", term=TicketTerm
)

_holders = PreparedStatement(
    "SELECT ticket_id FROM {term} WHERE tenant_id = ? AND term = ? ORDER BY ticket_id DESC LIMIT ?", term=TicketTerm
)

_held_text = PreparedStatement(
    "SELECT COUNT(*), COALESCE(array_agg(ticket_id)::text, '{{}}') FROM"
    " (SELECT ticket_id FROM {term} WHERE tenant_id = ? AND term = ? LIMIT ?) AS held",
    term=TicketTerm,
)

_floor = PreparedStatement(
    "SELECT MIN(ticket_id) FROM (SELECT ticket_id FROM {term} WHERE tenant_id = ? AND term = ?"
    " ORDER BY ticket_id DESC LIMIT ?) AS newest",
    term=TicketTerm,
)
_since = PreparedStatement(
    "SELECT COUNT(*) FROM (SELECT 1 FROM {term} WHERE tenant_id = ? AND term = ? AND ticket_id >= ? LIMIT ?) AS since",
    term=TicketTerm,
)
MERGE_FACTOR = 8
"""SQLite merges the postings of a search's terms (`merged`) when, over the ids of the rarest term's
newest postings, every other term has at most this many times as many (`dense`)."""

_enqueue = PreparedStatement(
    "INSERT INTO {pending} (tenant_id, ticket_id) VALUES (?, ?) ON CONFLICT DO NOTHING", pending=TicketIndexPending
)
_waiting = PreparedStatement("SELECT 1 FROM {pending} WHERE tenant_id = ? LIMIT 1", pending=TicketIndexPending)


@lru_cache(maxsize=64)
def _insert(rows: int) -> PreparedStatement:
    values = ", ".join("(?, ?, ?)" for _ in range(rows))
    return PreparedStatement(
        f"INSERT INTO {{term}} (tenant_id, term, ticket_id) VALUES {values} ON CONFLICT DO NOTHING", term=TicketTerm
    )


def tag_term(tag: str) -> str:
    """The posting term of `tag`: `#` and the tag in lower case (a tag filter matches any case),
    or `$` and a digest of that when it would be longer than a term may be."""
    key = (tag or "").strip().lower()
    if len(key) < MAX_TERM:
        return TAG_MARK + key
    return LONG_TAG_MARK + hashlib.sha256(key.encode()).hexdigest()[: MAX_TERM - 1]


def tag_terms(tags: Iterable[str] | None) -> set[str]:
    """The posting terms of a ticket's `tags` (blank ones have none)."""
    return {tag_term(tag) for tag in tags or () if isinstance(tag, str) and tag.strip()}


def ticket_terms(*texts: str) -> set[str]:
    """The distinct search terms of `texts`."""
    found: set[str] = set()
    for text in texts:
        if text:
            found |= term_set(text)
    return found


def add(tenant_id: int, ticket_id: int, *texts: str) -> None:
    """Index `texts` (a new ticket's subject and description, a public reply) for the ticket."""
    _insert_rows([(tenant_id, term, ticket_id) for term in sorted(ticket_terms(*texts))])


def _insert_rows(rows: list[tuple[int, str, int]]) -> None:
    """Insert postings `(tenant, term, ticket)`, several hundred per statement."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        _insert(len(chunk)).execute([value for row in chunk for value in row])


def queue(tenant_id: int, ticket_id: int) -> None:
    """Record that a new ticket's postings are to be written (by `index_pending`), in the caller's
    transaction: the ticket is searchable as soon as it commits, since every search settles first."""
    _enqueue.execute((tenant_id, ticket_id))


def settle(tenant_id: int) -> int:
    """Index the tenant's waiting tickets, if any, before a search reads the postings; returns how
    many. One index probe when nothing waits (the worker's job keeps the queue short)."""
    if _waiting.execute((tenant_id,)).fetchone() is None:
        return 0
    return index_pending(tenant_id, wait=True)


def index_pending(tenant_id: int | None = None, batch: int = BATCH, *, wait: bool = False) -> int:
    """Write the postings of the waiting tickets (of `tenant_id`, or of every tenant) and delete
    their `TicketIndexPending` rows, `batch` tickets per transaction, until none waits; returns
    how many were indexed. The worker's job `core.search_index`; safe to call at any time.

    Idempotent and safe beside another caller: postings are inserted with ON CONFLICT DO NOTHING
    from the ticket's current subject, description and public replies. On PostgreSQL the waiting
    rows are claimed with FOR UPDATE SKIP LOCKED (two workers take different tickets; `wait`:
    FOR UPDATE, waiting for rows another batch holds — a search must not read the postings before
    that batch commits) and the tickets read FOR UPDATE, so an edit or reply committing meanwhile
    is either seen here or indexes after it; on SQLite the write lock serialises the whole batch.
    """
    if tenant_id is None:  # tenant by tenant: every statement stays on one shard (Citus)
        waiting = TicketIndexPending.select(TicketIndexPending.tenant).distinct()
        return sum(index_pending(tenant, batch, wait=wait) for (tenant,) in waiting.tuples())
    done = 0
    while True:
        with write_transaction():
            claimed = _claim(tenant_id, batch, wait)
            if not claimed:
                return done
            _index_claimed(claimed)
        done += len(claimed)
        if len(claimed) < batch:
            return done


def _claim(tenant_id: int, batch: int, wait: bool) -> list[tuple[int, int]]:
    query = (
        TicketIndexPending.select(TicketIndexPending.tenant, TicketIndexPending.ticket)
        .where(TicketIndexPending.tenant == tenant_id)
        .order_by(TicketIndexPending.ticket)
        .limit(batch)
    )
    if is_postgres():
        query = query.for_update("FOR UPDATE" if wait else "FOR UPDATE SKIP LOCKED")
    return list(query.tuples())


def _index_claimed(claimed: list[tuple[int, int]]) -> None:
    """Postings of the claimed `(tenant, ticket)` pairs, then their pending rows deleted."""
    by_tenant: dict[int, list[int]] = {}
    for tenant, ticket in claimed:
        by_tenant.setdefault(tenant, []).append(ticket)
    rows: list[tuple[int, str, int]] = []
    for tenant, ids in by_tenant.items():
        texts: dict[int, list[str]] = {}
        tags: dict[int, set[str]] = {}
        found = Ticket.select(Ticket.id, Ticket.subject, Ticket.description, Ticket.tags).where(
            (Ticket.tenant == tenant) & Ticket.id.in_(ids)
        )
        if is_postgres():  # an edit holding the row commits first; its text is the one read
            found = found.order_by(Ticket.id).for_update()
        for ticket_id, subject, description, tagged in found.tuples():
            texts[ticket_id] = [subject, description]
            tags[ticket_id] = tag_terms(tagged)
        replies = Comment.select(Comment.ticket, Comment.body).where(
            (Comment.tenant == tenant) & Comment.ticket.in_(ids) & (Comment.internal == False)  # noqa: E712
        )
        for ticket_id, body in replies.tuples():
            texts.setdefault(ticket_id, []).append(body)
        for ticket_id, parts in texts.items():
            rows += ((tenant, term, ticket_id) for term in ticket_terms(*parts) | tags.get(ticket_id, set()))
        TicketIndexPending.delete().where(
            (TicketIndexPending.tenant == tenant) & TicketIndexPending.ticket.in_(ids)
        ).execute()
    rows.sort()  # neighbouring keys together: fewer index pages touched per statement
    _insert_rows(rows)


def reindex(ticket: Ticket) -> None:
    """Index the ticket again from its subject, description, public replies and tags (after an edit)."""
    replies = Comment.select(Comment.body).where((Comment.ticket == ticket.id) & (Comment.internal == False))  # noqa: E712
    _forget.execute((ticket.tenant_id, ticket.id))
    terms = ticket_terms(ticket.subject, ticket.description, *(c.body for c in replies)) | tag_terms(ticket.tags)
    _insert_rows([(ticket.tenant_id, term, ticket.id) for term in sorted(terms)])


def retag(ticket: Ticket, before: Iterable[str] | None) -> None:
    """Re-write the tag postings of `ticket` whose tags were `before` (the ticket service, in the
    transaction of the change): the old tags' postings deleted by their key, the current ones added."""
    now = tag_terms(ticket.tags)
    gone = sorted(tag_terms(before) - now)
    if gone:
        _forget_terms(len(gone)).execute([ticket.tenant_id, *gone, ticket.id])
    _insert_rows([(ticket.tenant_id, term, ticket.id) for term in sorted(now)])


@lru_cache(maxsize=64)
def _forget_terms(count: int) -> PreparedStatement:
    marks = ", ".join("?" for _ in range(count))
    sql = f"DELETE FROM {{term}} WHERE tenant_id = ? AND term IN ({marks}) AND ticket_id = ?"
    return PreparedStatement(sql, term=TicketTerm)


def index_tags(tenant_id: int, batch: int = 20_000, progress: Callable[[int, int], None] | None = None) -> int:
    """Write the tag postings of every ticket of the tenant that has tags (an installation from
    before tags were postings; idempotent), `batch` tickets a transaction in id order; `progress`
    is called with (tickets read, postings written) after each, which is also logged (INFO).
    Returns the postings written."""
    last, read, written = 0, 0, 0
    while True:
        with write_transaction():
            rows = list(
                Ticket.select(Ticket.id, Ticket.tags)
                .where((Ticket.tenant == tenant_id) & (Ticket.id > last))
                .order_by(Ticket.id)
                .limit(batch)
                .tuples()
            )
            if not rows:
                return written
            postings = []
            for ticket_id, tags in rows:
                postings += [(tenant_id, term, ticket_id) for term in tag_terms(tags)]
            postings.sort()
            _insert_rows(postings)
        last, read, written = rows[-1][0], read + len(rows), written + len(postings)
        log.info("tenant %s: tags of %s tickets read, %s postings written", tenant_id, f"{read:,}", f"{written:,}")
        if progress is not None:
            progress(read, written)


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


def holders(tenant_id: int, term: str, cap: int) -> list[int]:
    """The tickets holding `term` (at most `cap` of them, newest first)."""
    return [row[0] for row in _holders.execute((tenant_id, term, cap)).fetchall()]


def held_array(tenant_id: int, term: str, cap: int) -> tuple[int, str]:
    """PostgreSQL: how many of the tenant's tickets hold `term` (counted up to `cap`) and their ids
    as an array literal (`{3,7,9}`), in one index range read. Bound as text and cast to an array
    in the SQL, the ids cost the server one parse: psycopg2 adapted a Python list of 5,000 ids
    element by element (28 ms, where the page it narrows took 1.4 ms)."""
    count, ids = _held_text.execute((tenant_id, term, cap)).fetchone()
    return count, ids


def dense(tenant_id: int, terms: list[str], read: int) -> bool:
    """Whether, over the ids of the newest `read` postings of `terms[0]`, every other term has at most
    `MERGE_FACTOR` times as many postings: a merge of the lists (`merged`) then reads a bounded
    multiple of what a lookup per posting would, in order, where lookups are random reads."""
    low = _floor.execute((tenant_id, terms[0], read)).fetchone()[0]
    if low is None:
        return False
    cap = MERGE_FACTOR * read + 1
    return all(_since.execute((tenant_id, term, low, cap)).fetchone()[0] < cap for term in terms[1:])


@lru_cache(maxsize=16)
def _merge(count: int) -> PreparedStatement:
    one = "SELECT ticket_id FROM {term} WHERE tenant_id = ? AND term = ? AND ticket_id < ?"
    return PreparedStatement(" INTERSECT ".join([one] * count) + " ORDER BY 1 DESC LIMIT ?", term=TicketTerm)


def merged(tenant_id: int, terms: list[str], below: int, limit: int) -> list[int]:
    """SQLite: the tickets under `below` holding every one of `terms`, newest first, at most `limit`:
    one INTERSECT ordered by the ticket, which SQLite runs as a merge of the terms' index ranges read
    newest first (no lookup per posting), stopping when `limit` are found."""
    params: list[Any] = []
    for term in terms:
        params += [tenant_id, term, below]
    return [row[0] for row in _merge(len(terms)).execute([*params, limit]).fetchall()]


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
    "dense",
    "found",
    "held_array",
    "held_by",
    "holders",
    "holding",
    "index_pending",
    "index_tags",
    "merged",
    "postings",
    "query_terms",
    "queue",
    "rarest_first",
    "reindex",
    "retag",
    "settle",
    "tag_term",
    "tag_terms",
    "ticket_terms",
]
