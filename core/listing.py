"""The ticket list as the API and the console page it: keyset cursors, bounded counts, search.

Every offered sort reads one index from the tenant on (see `Ticket.Meta.indexes`), ties broken
by the ticket id, so a page costs the same at the first ticket and the millionth: a cursor
carries the last row's sort key and the next page starts right after it. `page` (offset paging)
stays for links people already have, bounded to the first `MAX_OFFSET` rows. Counts stop at
`COUNT_LIMIT` ("10,000+"). `q` finds tickets through the postings of `gongdan.search`; a ticket
or external number typed as the query ranks first, then matches newest first. Team visibility
(`gongdan.permissions.ticket_scope`) narrows every query, counts included.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import peewee
from peewee import SQL, Tuple, fn

from gongdan import permissions, search
from gongdan.actors import Actor
from gongdan.db import db
from gongdan.errors import ValidationError
from gongdan.models import PRIORITIES, Tenant, Ticket
from gongdan.queries import Placeholders, ShapedQuery
from gongdan.representation import with_relations

COUNT_LIMIT = 10_000
MAX_OFFSET = 10_000
SEARCH = "q"


@dataclass
class Filters:
    """What a list asks for: equal filters, the assignee (`none` or a user id), a query, a sort."""

    status: str | None = None
    priority: str | None = None
    channel: str | None = None
    assignee: str | int | None = None
    q: str | None = None
    sort: str = "-created_at"


@dataclass
class Page:
    """One page: its tickets, the (capped) total, and the cursor of the next page or None."""

    tickets: list[Ticket]
    total: int
    total_exact: bool
    next_cursor: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def _where(query: Any, p: Placeholders, equal: tuple[str, ...], assignee: str | None, sight: str | None) -> Any:
    query = query.where(Ticket.tenant == p("tenant"))
    if sight is not None:  # team visibility: see gongdan.permissions.visible_tickets
        query = query.where(permissions.scope_condition(p("viewer"), p("viewer_team") if sight == "team" else None))
    for name in equal:
        query = query.where(getattr(Ticket, name) == p(name, str))
    if assignee == "none":
        query = query.where(Ticket.assignee.is_null())
    elif assignee == "id":
        query = query.where(Ticket.assignee == p("assignee"))
    return query


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
    return _rows(with_relations(Ticket.select()), p, filters, order).limit(p("limit")).offset(p("offset"))


def _capped_count(p: Placeholders, filters: tuple, order: tuple) -> Any:
    inner = _rows(Ticket.select(SQL("1")), p, filters, order).order_by().limit(p("cap"))
    return peewee.Select([inner.alias("capped")], [fn.COUNT(SQL("*"))]).bind(db)


def _exact(p: Placeholders, filters: tuple, by: str) -> Any:
    query = _where(with_relations(Ticket.select()), p, *filters)
    column = Ticket.number == p("exact_number") if by == "number" else Ticket.external_id == p("exact", str)
    return query.where(column).order_by(Ticket.id.desc()).limit(5)


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
    return (equal, assignee, sight), values


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
    kind = filters.sort
    segments: list[str | None] = [None]
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
    total, exact = _total(shape, values, segments, ("sort", column, descending, False))
    return Page(rows, total, exact, next_cursor)


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
    text = q.strip()
    values = values | {"exact": text, "exact_number": int(text) if text.isdigit() and len(text) <= 9 else -1}
    exact: list[Ticket] = []
    if cursor is None:
        if values["exact_number"] > 0:
            exact += EXACT.rows((shape, "number"), values)
        exact += [t for t in EXACT.rows((shape, "external"), values) if t not in exact]
    wanted = search.rarest_first(tenant.id, search.query_terms(text))
    for n, term in enumerate(wanted):
        values[f"term{n}"] = term
    after_id = decode_cursor(cursor, SEARCH)[1] if cursor is not None else None
    rows: list[Ticket] = []
    more = False
    if wanted:
        order = (SEARCH, len(wanted), after_id is not None)
        offset = 0 if cursor is not None else max(0, (page - 1) * per_page - len(exact))
        take = per_page + 1 - (len(exact) if page == 1 and cursor is None else 0)
        bound = values | {"limit": max(take, 1), "offset": offset} | ({"after_id": after_id} if after_id else {})
        rows = PAGE.rows((shape, order), bound)
        more = len(rows) >= take and take > 0
        rows = rows[: max(take - 1, 0)]
    found = (exact if page == 1 and cursor is None else []) + rows
    found = found[:per_page]
    next_cursor = encode_cursor(SEARCH, None, found[-1].id) if more and found else None
    if not wanted:
        return Page(found, len(exact), True, None)
    counted = COUNT.scalar((shape, (SEARCH, len(wanted), False)), values | {"cap": COUNT_LIMIT + 1})
    total = counted + len(exact)
    return Page(found, min(total, COUNT_LIMIT), total <= COUNT_LIMIT, next_cursor)


__all__ = ["COUNT_LIMIT", "MAX_OFFSET", "Filters", "Page", "decode_cursor", "encode_cursor", "list_page"]
