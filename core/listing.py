"""The ticket list as the API and the console page it: keyset cursors, bounded counts, search.

Every offered sort reads one index from the tenant on (see `Ticket.Meta.indexes`), ties broken
by the ticket id, so a page costs the same at the first ticket and the millionth: a cursor
carries the last row's sort key and the next page starts right after it. `page` (offset paging)
stays for links people already have, bounded to the first `MAX_OFFSET` rows. Counts stop at
`COUNT_LIMIT` ("10,000+"). `q` finds tickets through the postings of `gongdan.search`; a ticket
or external number typed as the query ranks first, then matches newest first. A tag is a posting
too (`search.tag_term`): a rare tag's postings drive its list and its exact count, a common one is
looked up ticket by ticket down the sort's index, and with `q` the tag is one more term of the
search. Team visibility (`gongdan.permissions.ticket_scope`) narrows every query, counts included.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import peewee
from peewee import SQL, Cast, NodeList, Tuple, fn

from gongdan import permissions, search
from gongdan.actors import Actor
from gongdan.db import db, is_postgres
from gongdan.errors import ValidationError
from gongdan.models import PRIORITIES, Tenant, Ticket, TicketTerm
from gongdan.queries import Placeholders, ShapedQuery
from gongdan.representation import with_relations

COUNT_LIMIT = 10_000
MAX_OFFSET = 10_000
READ_LIMIT = COUNT_LIMIT + 1
"""Candidates (postings, or tickets by a filter) a search reads whole, at most, to list and count
every match."""
SAMPLE_READ = 2_000
"""Newest postings a search with more candidates than `READ_LIMIT` counts its matches among."""
SEARCH = "q"
DENSE_READ = 256
"""Newest postings of a search's rarest term over whose ids SQLite compares the other terms'
(`search.dense`) to choose between merging the lists and looking each posting up."""
SCAN_LIMIT = COUNT_LIMIT
"""Newest tickets a list filtered only by columns without an index of their own (the channel, or
a tag with more than `READ_LIMIT` tickets beside it) counts its matches among, in a tenant with
more (`total_exact` false: at least): a tenant of any size reads what one of this size reads."""


@dataclass
class Filters:
    """What a list asks for: equal filters, the assignee (`none` or a user id), a query, a sort,
    a team, a tag, and a creation range."""

    status: str | None = None
    priority: str | None = None
    channel: str | None = None
    assignee: str | int | None = None
    q: str | None = None
    sort: str = "-created_at"
    team: int | None = None
    tag: str | None = None
    created_from: datetime | None = None
    """Created at or after this moment (an aware datetime)."""
    created_to: datetime | None = None
    """Created before this moment (an aware datetime)."""


@dataclass
class Page:
    """One page: its tickets, the (capped) total, and the cursor of the next page or None."""

    tickets: list[Ticket]
    total: int
    total_exact: bool
    next_cursor: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def _where(
    query: Any,
    p: Placeholders,
    equal: tuple[str, ...],
    assignee: str | None,
    sight: str | None,
    more: tuple = (),
    drive: str | None = None,
) -> Any:
    """`query` narrowed to the tenant and the filters; with `drive` (a kind of `_indexed`), only
    that filter's index may be used on SQLite (the others are written `+column`: without
    statistics SQLite took the priority index, 200,000 rows, over the status one, 4,000)."""

    def col(field: Any, kind: str) -> Any:
        if drive is None or kind == drive or is_postgres():
            return field
        return NodeList((SQL("+"), field), glue="")

    query = query.where(Ticket.tenant == p("tenant"))
    if "team" in more:
        query = query.where(col(Ticket.team, "team") == p("team"))
    if "tag" in more:  # the tag's posting of this ticket, looked up by its key (a common tag)
        if is_postgres():  # the row's tags' text first: only tickets whose tags hold it are looked up
            like = (fn.LOWER(fn.COALESCE(Ticket.tags, "")), SQL("LIKE"), p("tag_like", str), SQL("ESCAPE '!'"))
            query = query.where(NodeList(like))  # (a subplan per row was 7x the count of status & tag)
        query = query.where(search.found(_tag_postings(p, SQL("1")).where(_TAGGED.ticket == Ticket.id)))
    if "tagged" in more or WALK in more:  # among the tag's postings, read first (a rare tag: `READ_LIMIT` at most)
        if is_postgres():  # the ids as a literal array (text, cast): hashed, checked down the sort's index
            held = Ticket.id == fn.ANY(Cast(p("tag_ids", str), "integer[]"))
            # a page walks the sort's index anyway; in COALESCE the planner does not estimate each of
            # the 5,000 ids (3 ms of planning for a 0.6 ms page); a count keeps the array as an index
            # condition (the ids probed by key when the other filters leave many tickets)
            query = query.where(fn.COALESCE(held, False) if WALK in more else held)
        else:
            query = query.where(Ticket.id.in_(_tag_postings(p, _TAGGED.ticket)))
    if "created_from" in more:
        query = query.where(col(Ticket.created_at, "created") >= p("created_from", str))
    if "created_to" in more:
        query = query.where(col(Ticket.created_at, "created") < p("created_to", str))
    if sight is not None:  # team visibility: see gongdan.permissions.visible_tickets
        query = query.where(permissions.scope_condition(p("viewer"), p("viewer_team") if sight == "team" else None))
    for name in equal:
        query = query.where(col(getattr(Ticket, name), name) == p(name, str))
    if assignee == "none":
        query = query.where(Ticket.assignee.is_null())
    elif assignee == "id":
        query = query.where(col(Ticket.assignee, "assignee") == p("assignee"))
    return query


_TAGGED = TicketTerm.alias("tagged")
WALK = "tagged_walk"
"""The `more` filter of a page's rows among a rare tag's tickets ("tagged"), read down the sort's index."""


def _tag_postings(p: Placeholders, column: Any) -> Any:
    """`column` of the postings of the list's tag (`tag_term`)."""
    return _TAGGED.select(column).where((_TAGGED.tenant == p("tenant")) & (_TAGGED.term == p("tag_term", str)))


def _ordered(query: Any, p: Placeholders, column: str, descending: bool, after: bool) -> Any:
    key = getattr(Ticket, column)
    if after:
        bound = Tuple(p("after_key", str), p("after_id"))
        query = query.where(Tuple(key, Ticket.id) < bound if descending else Tuple(key, Ticket.id) > bound)
    if descending:
        return query.order_by(key.desc(), Ticket.id.desc())
    return query.order_by(key.asc(), Ticket.id.asc())


def _searched(query: Any, p: Placeholders, count: int, after: bool) -> Any:
    drive, holds = search.holding(p, count)
    query = query.join_from(Ticket, drive, on=(drive.ticket == Ticket.id)).where(holds)
    query = query.where(Ticket.number != p("exact_number")).where(
        Ticket.external_id.is_null() | (Ticket.external_id != p("exact", str))
    )
    if after:
        query = query.where(drive.ticket < p("after_id"))
    return query.order_by(drive.ticket.desc())


def _rows(query: Any, p: Placeholders, filters: tuple, order: tuple) -> Any:
    """The select of one segment: filters, then the order (`("sort", column, desc, after)` or `("q", n, after)`)."""
    query = _where(query, p, *filters)
    if order[0] == SEARCH:
        return _searched(query, p, order[1], order[2])
    _, column, descending, after = order
    return _ordered(query, p, column, descending, after)


def _page(p: Placeholders, filters: tuple, order: tuple) -> Any:
    if order[0] == SEARCH:
        return _rows(with_relations(Ticket.select()), p, filters, order).limit(p("limit")).offset(p("offset"))
    # the page's ids first, from the sort's index alone, then only those rows with their relations:
    # PostgreSQL joined the relations of every row an offset skips (5,000 at page 200: 38 ms)
    equal, assignee, sight, more = filters
    walked = (equal, assignee, sight, tuple(WALK if name == "tagged" else name for name in more))
    ids = _rows(Ticket.select(Ticket.id), p, walked, order).limit(p("limit")).offset(p("offset"))
    tenant = Ticket.tenant if is_postgres() else Ticket.tenant + 0  # SQLite: by rowid, as `_one_by_one`
    query = with_relations(Ticket.select()).where((tenant == p("tenant")) & Ticket.id.in_(ids))
    _, column, descending, _ = order
    key = getattr(Ticket, column)
    return query.order_by(key.desc(), Ticket.id.desc()) if descending else query.order_by(key.asc(), Ticket.id.asc())


def _capped_count(p: Placeholders, filters: tuple, order: tuple) -> Any:
    equal, assignee, sight, more = filters
    if order[0] != SEARCH and not order[3] and assignee == "id" and set(equal) <= {"status"} and not sight and not more:
        # an assignee's tickets are all their tenant's (the service assigns within it): the partial
        # index (assignee, status) counts them alone (50,000 row reads for the tenant were 100 ms)
        inner = Ticket.select(SQL("1")).where(Ticket.assignee == p("assignee"))
        if equal:
            inner = inner.where(Ticket.status == p("status", str))
        inner = inner.limit(p("cap"))
    else:
        inner = _rows(Ticket.select(SQL("1")), p, filters, order).order_by().limit(p("cap"))
    return peewee.Select([inner.alias("capped")], [fn.COUNT(SQL("*"))]).bind(db)


def _exact(p: Placeholders, filters: tuple, by: str) -> Any:
    """The ticket `id` if it passes the filters (`by` "id"), or the ids of the tenant's tickets
    numbered `exact_number` or with the external id `exact` (by their own indexes)."""
    if by == "id":  # the rowid first: SQLite took a filter's index over the number's
        return _where(with_relations(Ticket.select()), p, *filters).where(Ticket.id == p("id"))
    column = Ticket.number == p("exact_number") if by == "number" else Ticket.external_id == p("exact", str)
    return Ticket.select(Ticket.id).where((Ticket.tenant == p("tenant")) & column).order_by(Ticket.id.desc()).limit(5)


PAGE = ShapedQuery(_page)
COUNT = ShapedQuery(_capped_count)
EXACT = ShapedQuery(_exact)


def encode_cursor(kind: str, key: Any, ticket_id: int) -> str:
    """An opaque cursor: the list's order and the sort key of the last row it gave."""
    raw = json.dumps([kind, key, ticket_id], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, kind: str) -> tuple[Any, int]:
    """`(key, ticket id)` of a cursor made for the list order `kind`; ValidationError otherwise."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        found, key, ticket_id = json.loads(raw)
        valid = found == kind and isinstance(ticket_id, int) and not isinstance(ticket_id, bool)
    except (ValueError, TypeError):
        valid = False
    if not valid:
        raise ValidationError("bad cursor", {"cursor": ["not a cursor of this list and order; start again without it"]})
    return key, ticket_id


def _filter_values(tenant: Tenant, actor: Actor, filters: Filters) -> tuple[tuple, dict[str, Any]]:
    values: dict[str, Any] = {"tenant": tenant.id}
    scope = permissions.ticket_scope(actor, tenant)
    if scope is not None:
        values["viewer"], values["viewer_team"] = scope
    equal = tuple(name for name in ("status", "priority", "channel") if getattr(filters, name) is not None)
    values.update({name: getattr(filters, name) for name in equal})
    assignee = filters.assignee
    if assignee not in (None, "none"):
        assignee, values["assignee"] = "id", int(assignee)
    sight = None if scope is None else ("own" if scope[1] is None else "team")
    more = tuple(name for name in ("team", "tag", "created_from", "created_to") if getattr(filters, name) is not None)
    if filters.team is not None:
        values["team"] = filters.team
    if filters.tag is not None:
        values["tag_term"] = search.tag_term(filters.tag)
        quoted = json.dumps(filters.tag.strip(), ensure_ascii=False).lower()  # the tags' JSON text holds it
        values["tag_like"] = "%" + quoted.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    for name in ("created_from", "created_to"):
        if getattr(filters, name) is not None:
            values[name] = Ticket.created_at.db_value(getattr(filters, name))
    return (equal, assignee, sight, more), values


def list_page(
    tenant: Tenant, actor: Actor, filters: Filters, *, per_page: int, page: int = 1, cursor: str | None = None
) -> Page:
    """One page of the tenant's tickets the actor may see; `cursor` (from `Page.next_cursor`) or `page`."""
    if cursor is None and (page - 1) * per_page >= MAX_OFFSET:
        reason = f"offset paging reaches the first {MAX_OFFSET:,} tickets; follow next_cursor beyond"
        raise ValidationError("page too deep", {"page": [reason]})
    shape, values = _filter_values(tenant, actor, filters)
    if filters.q is not None:
        return _search_page(tenant, shape, values, filters.q, per_page, page, cursor)
    descending, column = filters.sort.startswith("-"), filters.sort.lstrip("-")
    tag_count = None
    if "tag" in shape[3]:  # the tag's postings: tickets whose postings still wait are indexed first
        search.settle(tenant.id)
        if is_postgres():  # counted and read at once: the ids bound as one array literal
            tag_count, values["tag_ids"] = search.held_array(tenant.id, values["tag_term"], READ_LIMIT)
        else:
            tag_count = _tag_plan(tenant, values)
    if tag_count is not None and tag_count < READ_LIMIT:  # a rare tag: its postings first
        shape = (*shape[:3], tuple("tagged" if name == "tag" else name for name in shape[3]))
    kind = filters.sort
    segments: list[str | None] = [None]
    counted = shape  # what the count filters by (a priority sort's segments together: every ticket)
    if column == "priority":
        ranked = list(reversed(PRIORITIES)) if descending else list(PRIORITIES)
        segments = [filters.priority] if filters.priority else ranked
        shape = ((*shape[0], "priority") if "priority" not in shape[0] else shape[0], *shape[1:])
        column, descending = "created_at", True
    after: tuple[Any, int] | None = None
    if cursor is not None:
        key, after_id = decode_cursor(cursor, kind)
        segment = key[0] if isinstance(key, list) and segments != [None] else None
        if segment not in segments:
            raise ValidationError("bad cursor", {"cursor": ["not a cursor of this list and order"]})
        segments = segments[segments.index(segment) :]
        after = (_stored(key[1] if segment else key), after_id)
    offset = 0 if cursor is not None else (page - 1) * per_page
    rows: list[Ticket] = []
    for n, segment in enumerate(segments):
        bound = after if n == 0 else None
        seg_values = values | ({"priority": segment} if segment else {})
        if bound is not None:
            seg_values |= {"after_key": bound[0], "after_id": bound[1]}
        order = ("sort", column, descending, bound is not None)
        if offset:
            held = COUNT.scalar((shape, order), seg_values | {"cap": offset + 1})
            if held <= offset:
                offset -= held
                continue
        want = per_page + 1 - len(rows)
        rows += PAGE.rows((shape, order), seg_values | {"limit": want, "offset": offset})
        offset = 0
        if len(rows) > per_page:
            break
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = None
    if more:
        last = rows[-1]
        stamp = getattr(last, column).isoformat()
        key: Any = [last.priority, stamp] if segments != [None] else stamp
        next_cursor = encode_cursor(kind, key, last.id)
    if cursor is None and page == 1 and not more:
        return Page(rows, len(rows), True, None)
    order = ("sort", column, descending, False)
    alone = counted[:3] == ((), None, None) and len(counted[3]) == 1  # a tag and nothing else
    if tag_count is not None and tag_count < READ_LIMIT and tag_count <= COUNT_LIMIT and alone:
        return Page(rows, tag_count, True, next_cursor)  # the tag alone: its postings counted
    if tag_count is not None and tag_count > COUNT_LIMIT and alone:
        return Page(rows, COUNT_LIMIT, False, next_cursor)  # the tag's postings alone: over the limit
    if _unindexed(shape):  # every ticket would be read to count: only the newest SCAN_LIMIT are
        floor = FLOOR.scalar((), {"tenant": tenant.id, "scan": SCAN_LIMIT})
        if floor is not None:
            newest = (*shape[:3], (*shape[3], "created_from"))
            total, _ = _total(newest, values | {"created_from": floor}, segments, order)
            seen = len(rows) + (0 if cursor is not None else (page - 1) * per_page)
            return Page(rows, max(total, seen), False, next_cursor)
    if filters.priority is None and segments != [None]:  # one count, not one per priority
        shape, segments = counted, [None]
    total, exact = _total(shape, values, segments, order)
    return Page(rows, total, exact, next_cursor)


def _unindexed(shape: tuple) -> bool:
    """Whether a list's filters are a common tag or the channel with no indexed filter beside them."""
    equal, _, _, more = shape
    return ("tag" in more or "channel" in equal) and "tagged" not in more and not _indexed(shape)


def _tag_plan(tenant: Tenant, values: dict[str, Any]) -> int:
    """How many of the tenant's tickets carry the list's tag, counted up to `READ_LIMIT` (one index range)."""
    return search.postings(tenant.id, values["tag_term"], READ_LIMIT)


def _floor(p: Placeholders) -> Any:
    """The creation time of the tenant's `scan`-th newest ticket (none with fewer tickets)."""
    newest = Ticket.select(Ticket.created_at).where(Ticket.tenant == p("tenant"))
    return newest.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1).offset(p("scan"))


FLOOR = ShapedQuery(_floor)


def _total(shape: tuple, values: dict[str, Any], segments: list, order: tuple) -> tuple[int, bool]:
    """The matching tickets counted up to `COUNT_LIMIT` (True when exact)."""
    total = 0
    for segment in segments:
        seg_values = values | ({"priority": segment} if segment else {})
        total += COUNT.scalar((shape, order), seg_values | {"cap": COUNT_LIMIT + 1 - total})
        if total > COUNT_LIMIT:
            return COUNT_LIMIT, False
    return total, True


def _stored(stamp: Any) -> Any:
    """The database value of a cursor's timestamp (ValidationError when it is not one)."""
    try:
        return Ticket.created_at.db_value(datetime.fromisoformat(stamp))
    except (TypeError, ValueError):
        raise ValidationError("bad cursor", {"cursor": ["not a cursor of this list and order"]}) from None


def _search_page(
    tenant: Tenant, shape: tuple, values: dict[str, Any], q: str, per_page: int, page: int, cursor: str | None
) -> Page:
    """A page of a search: exact numbers first, then the tickets holding every term, newest first.

    The plan follows what is rarer. When the query's rarest term or the filters (by one of their
    indexes) leave at most `READ_LIMIT` candidates, the smaller side is read once whole: every
    match is known, so the count is exact and the page is cut from them. Otherwise the postings
    of the rarest term are read newest first until the page is full, and the matches counted
    among their newest `SAMPLE_READ` (a lower bound, `total_exact` false) — unless the first page
    reached the end of the matches, which are then all on it and counted exactly. Both plans give
    the same tickets.
    """
    text = q.strip()
    values = values | {"exact": text, "exact_number": int(text) if text.isdigit() and len(text) <= 9 else -1}
    first = cursor is None and page == 1
    search.settle(tenant.id)  # tickets whose postings still wait are indexed first: exact answers
    exact: list[Ticket] = []  # listed on the first page, never among the matches after it
    for by in ("number", "external") if values["exact_number"] > 0 else ("external",):
        for (ticket_id,) in EXACT.cursor(((), by), values).fetchall():
            if all(t.id != ticket_id for t in exact):
                exact += EXACT.rows((shape, "id"), values | {"id": ticket_id})
    wanted = search.query_terms(text)
    if not wanted:
        return Page(exact[:per_page] if first else [], len(exact), True, None)
    equal, assignee, sight, more = shape
    if "tag" in more:  # the tag is one more term: the rarest of them all drives the search
        wanted.append(values["tag_term"])
        shape = (equal, assignee, sight, tuple(name for name in more if name != "tag"))
    if len(wanted) == 1:  # nothing to choose between: counted once, as far as a whole read goes
        counted = [(search.postings(tenant.id, wanted[0], READ_LIMIT), wanted[0])]
    else:
        counted = _recounted(tenant, search.counted_terms(tenant.id, wanted))
    for n, (_, term) in enumerate(counted):
        values[f"term{n}"] = term
    terms = len(counted)
    after_id = decode_cursor(cursor, SEARCH)[1] if cursor is not None else None
    skip = 0 if cursor is not None else max(0, (page - 1) * per_page - len(exact))
    take = per_page + 1 - (len(exact) if first else 0)
    rarest = counted[0][0]
    driver, fewest = "term", rarest
    for kind in _indexed(shape):  # the filter leaving the fewest tickets, if fewer than the term
        left = _probe_count(kind, values, fewest)
        if left < fewest:
            driver, fewest = kind, left
    if driver != "term" or rarest < READ_LIMIT:  # every match, read once
        few = is_postgres() and fewest <= FEW_CANDIDATES and (driver != "term" or terms > 1)
        found = MATCHES.cursor((shape, driver, terms, "ids", few), values | {"read": READ_LIMIT}).fetchall()
        listed = {t.id for t in exact}  # found by number: listed first, once
        ids = sorted((row[0] for row in found if row[0] not in listed), reverse=True)
        total, total_exact = len(ids) + len(exact), True
        later = [i for i in ids if i < after_id] if after_id is not None else ids
        chosen = later[skip : skip + max(take, 0)]
        more = take > 0 and len(later) > skip + take - 1
        rows = _by_ids(tenant, chosen[: max(take - 1, 0)])
    else:  # newest postings until the page is full; matches counted among the newest SAMPLE_READ
        if terms > 1 and not is_postgres() and search.dense(tenant.id, [t for _, t in counted], DENSE_READ):
            rows, more = _merged_page(tenant, shape, values, [t for _, t in counted], after_id, skip, take, exact)
        else:
            order = (SEARCH, terms, after_id is not None)
            bound = values | {"limit": max(take, 1), "offset": skip} | ({"after_id": after_id} if after_id else {})
            rows = PAGE.rows((shape, order), bound)
            more = len(rows) >= take and take > 0
            rows = rows[: max(take - 1, 0)]
        if first and take > 0 and not more:  # the first page read to the end: every match is on it
            total, total_exact = len(rows) + len(exact), True  # (two common words that never meet: 0)
        else:
            if terms == 1 and _unfiltered(shape):  # every posting is a match: READ_LIMIT of them at least
                matched = READ_LIMIT
            else:
                matched = MATCHES.scalar((shape, "term", terms, "count"), values | {"read": SAMPLE_READ})
            total, total_exact = max(matched, skip + len(rows) + len(exact)), False
    found = ((exact if first else []) + rows)[:per_page]
    next_cursor = encode_cursor(SEARCH, None, found[-1].id) if more and found else None
    if total > COUNT_LIMIT:
        total, total_exact = COUNT_LIMIT, False
    return Page(found, total, total_exact, next_cursor)


MERGE_MAX = 20_000
"""The most matches of the terms `_merged_page` asks SQLite's merge for at once (doubling from the page)."""


def _merged_page(
    tenant: Tenant,
    shape: tuple,
    values: dict[str, Any],
    terms: list[str],
    after_id: int | None,
    skip: int,
    take: int,
    exact: list[Ticket],
) -> tuple[list[Ticket], bool]:
    """SQLite, terms whose postings are about as common as each other (`search.dense`): the page's
    tickets and whether more follow, the same as the plan that looks each posting of the rarest term
    up in the others' (`PAGE`), read by merging the terms' postings (`search.merged`) in chunks of
    matches, newest first, each chunk's tickets then checked against the filters (`KEPT`). Two
    common words that never meet were a lookup per posting of the rarer (167,000 at 1M)."""
    need = skip + max(take, 1)
    listed = {t.id for t in exact}  # found by number: listed first, once (the PAGE plan leaves them out)
    below, size, found = after_id if after_id is not None else 2**63 - 1, 2 * need, []
    while len(found) < need:
        ids = search.merged(tenant.id, terms, below, size)
        kept = _kept(shape, values, ids) if ids and not _unfiltered(shape) else ids
        found += [ticket for ticket in kept if ticket not in listed]
        if len(ids) < size:
            break
        below, size = ids[-1], min(size * 2, MERGE_MAX)
    chosen = found[skip:]
    return _by_ids(tenant, chosen[: max(take - 1, 0)]), take > 0 and len(chosen) >= take


def _kept_query(p: Placeholders, filters: tuple) -> Any:
    """Those of a chunk of ticket ids (`ids_json`, a JSON array) passing `filters` (SQLite)."""
    chunk = fn.json_each(p("ids_json", str)).alias("chunk")  # each id by the rowid: no filter's index
    ticket = _where(Ticket.select(SQL("1")), p, *filters).where(Ticket.id == SQL("chunk.value"))
    return peewee.Select([chunk], [SQL("chunk.value")]).where(search.found(ticket)).bind(db)


KEPT = ShapedQuery(_kept_query)


def _kept(shape: tuple, values: dict[str, Any], ids: list[int]) -> list[int]:
    """Those of `ids` (newest first) passing the filters of `shape`, in the same order (SQLite)."""
    passed = {row[0] for row in KEPT.cursor((shape,), values | {"ids_json": json.dumps(ids)}).fetchall()}
    return [ticket for ticket in ids if ticket in passed]


def _recounted(tenant: Tenant, counted: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """`counted` (`search.counted_terms`) with the terms counted past `search.RARITY_PROBE`
    counted again up to `READ_LIMIT` when none is rarer, rarest first: of two common terms (a
    word and a tag) the one whose every ticket can be read, if either, drives the search."""
    if not counted or counted[0][0] < search.RARITY_PROBE:
        return counted
    again = [
        (search.postings(tenant.id, term, READ_LIMIT), term) if n >= search.RARITY_PROBE else (n, term)
        for n, term in counted
    ]
    return sorted(again)


def _indexed(shape: tuple) -> list[str]:
    """The filters of `shape` with an index of their own, that can drive a search."""
    equal, assignee, _, more = shape
    found = [name for name in ("status", "priority") if name in equal]
    found += ["assignee"] if assignee == "id" else []
    found += [name for name in ("team", "created") if name in more or f"{name}_from" in more or f"{name}_to" in more]
    return found


def _probe(p: Placeholders, kind: str, more: tuple) -> Any:
    """How many tickets one filter leaves (up to `cap`), read from its index alone: an estimate
    (an assignee's or a team's tickets are their tenant's)."""
    if kind in ("status", "priority"):
        query = Ticket.select(SQL("1")).where((Ticket.tenant == p("tenant")) & (getattr(Ticket, kind) == p(kind, str)))
    elif kind in ("assignee", "team"):
        query = Ticket.select(SQL("1")).where(getattr(Ticket, kind) == p(kind))
    else:
        query = _where(Ticket.select(SQL("1")), p, (), None, None, tuple(n for n in more if n.startswith("created")))
    return peewee.Select([query.limit(p("cap")).alias("probe")], [fn.COUNT(SQL("*"))]).bind(db)


PROBE = ShapedQuery(_probe)


def _probe_count(kind: str, values: dict[str, Any], cap: int) -> int:
    more = tuple(name for name in ("created_from", "created_to") if name in values)
    return PROBE.scalar((kind, more if kind == "created" else ()), values | {"cap": cap})


def _unfiltered(shape: tuple) -> bool:
    """Whether `shape` asks for every ticket of the tenant (no filter, no team visibility)."""
    equal, assignee, sight, more = shape
    return not equal and assignee is None and sight is None and not more


def _not_exact(p: Placeholders) -> peewee.Expression:
    """Not a ticket found by its number or external id (those rank first, listed once)."""
    return (Ticket.number != p("exact_number")) & (
        Ticket.external_id.is_null() | (Ticket.external_id != p("exact", str))
    )


def _matches(p: Placeholders, filters: tuple, driver: str, terms: int, what: str, few: bool = False) -> Any:
    """The tickets holding every term of a search (their ids, or their count; those found by
    their number too are left to the caller).

    `driver` a filter's kind (`_indexed`): the filters' rows, by that filter's index, each
    looked up in the postings of every term. "term": the newest `read` postings of the
    rarest term (`term0`), each ticket then checked against the filters and the other terms.
    Every check is a subquery of one row (`search.found`): PostgreSQL turned EXISTS into a hash
    join over every posting, or a scan of the tickets, where a few thousand lookups were wanted;
    PostgreSQL narrows by arrays of ids instead (`_narrowed`).
    """
    if is_postgres():
        query = _narrowed(p, filters, driver, terms, few)
    elif driver != "term":
        query = _where(Ticket.select(Ticket.id), p, *filters, drive=driver).where(search.held_by(p, terms, Ticket.id))
        query = query.limit(p("read"))
    else:
        newest = (
            TicketTerm.select(TicketTerm.ticket)
            .where((TicketTerm.tenant == p("tenant")) & (TicketTerm.term == p("term0", str)))
            .order_by(TicketTerm.ticket.desc())
            .limit(p("read"))
            .alias("newest")
        )
        query = peewee.Select([newest], [newest.c.ticket_id]).bind(db)
        if terms > 1:  # the other terms first: an index lookup each, where the filters read the row
            query = query.where(search.held_by(p, terms, newest.c.ticket_id, first=1))
        if not _unfiltered(filters):  # each remaining posting's ticket checked by its id (one lookup each)
            ticket = _where(Ticket.select(SQL("1")), p, *filters).where(Ticket.id == newest.c.ticket_id)
            query = query.where(search.found(ticket))
    if what == "ids":
        return query
    return peewee.Select([query.select(SQL("1")).alias("matched")], [fn.COUNT(SQL("*"))]).bind(db)


FEW_CANDIDATES = 64
"""PostgreSQL: a search whose driver (its rarest term, or a filter) leaves at most this many
candidates looks each up in the terms' postings by its key. With `= ANY(ARRAY(…))` the planner,
assuming ten ids and estimating a common term at 751 postings, read the whole range of the term
instead (`q=<order number>` at 1M: the 10,000 postings of its prefix 261100 for one candidate)."""


def _narrowed(p: Placeholders, filters: tuple, driver: str, terms: int, few: bool = False) -> Any:
    """PostgreSQL: the candidates (the filters' tickets by `driver`'s index, or the newest `read`
    postings of `term0`) narrowed by each term's postings in turn, then by the filters, each step
    one index scan with `= ANY(ARRAY(…))` of the ids so far: a lookup per candidate (a subplan or
    a nested loop) cost two to four times as much at 1M tickets."""
    first, postings = 0, driver == "term"
    if not postings:  # as many as the driver's probe counted (fewer than the rarest term's)
        found = _where(Ticket.select(Ticket.id), p, *filters)
    else:
        t0 = TicketTerm.alias("t0")
        found = t0.select(t0.ticket).where((t0.tenant == p("tenant")) & (t0.term == p("term0", str)))
        found, first = found.order_by(t0.ticket.desc()).limit(p("read")), 1
    for n in range(first, terms):
        other = TicketTerm.alias(f"t{n}")
        holds = (other.tenant == p("tenant")) & (other.term == p(f"term{n}", str))
        if few:  # each candidate looked up by its key (see FEW_CANDIDATES)
            held = found.alias(f"c{n}")
            candidate = getattr(held.c, "ticket_id" if postings else "id")  # a posting's, or a ticket's
            probe = other.select(SQL("1")).where(holds & (other.ticket == candidate))
            found = peewee.Select([held], [candidate]).where(search.found(probe)).bind(db)
        else:
            found = other.select(other.ticket).where(holds & (other.ticket == fn.ANY(fn.ARRAY(found))))
    if postings and not _unfiltered(filters):
        found = _where(Ticket.select(Ticket.id), p, *filters).where(Ticket.id == fn.ANY(fn.ARRAY(found)))
    return found if postings else found.limit(p("read"))


def _one_by_one(p: Placeholders, count: int) -> Any:
    wanted = [p(f"id{n}") for n in range(count)]
    # SQLite: `+ 0`, the tenant's indexes are no way to these rows (it took one for a long IN
    # list); PostgreSQL's key is (tenant, id): the tenant as it is
    tenant = Ticket.tenant if is_postgres() else Ticket.tenant + 0
    return with_relations(Ticket.select()).where((tenant == p("tenant")) & Ticket.id.in_(wanted))


MATCHES = ShapedQuery(_matches)
BY_IDS = ShapedQuery(_one_by_one)


def _by_ids(tenant: Tenant, ids: list[int]) -> list[Ticket]:
    """The tickets `ids` of `tenant`, in that order."""
    if not ids:
        return []
    found = {
        t.id: t for t in BY_IDS.rows((len(ids),), {"tenant": tenant.id} | {f"id{n}": i for n, i in enumerate(ids)})
    }
    return [found[i] for i in ids if i in found]


__all__ = [
    "COUNT_LIMIT",
    "MAX_OFFSET",
    "READ_LIMIT",
    "SAMPLE_READ",
    "Filters",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "list_page",
]
