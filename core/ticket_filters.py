"""The ticket list's filters as a query, one piece of code for the console's list, its live
banner, the saved views' counts on the list and the queue page, and `GET /api/v1/views`.

`args` are the list's query-string filters (`gongdan.saved_views.KEPT`): status, priority,
channel, assignee (`me`, `none` or an id), tag, team, category (and everything under it), tier,
`q`, and the analytics' drill-down days (`created_from`/`created_to`, `resolved_from`/
`resolved_to`, inclusive, in the tenant's time zone). Team visibility always applies. Counts stop
at `gongdan.listing.COUNT_LIMIT` ("10,000+"), as the list's own count does.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from peewee import SQL, Select, fn

from gongdan import listing, permissions, search
from gongdan.actors import Actor
from gongdan.db import db
from gongdan.ids import parse_id
from gongdan.models import Category, Customer, Tenant, Ticket, TicketTerm, User

# the list's sorts that `gongdan.listing` pages by cursor, by their name there
LISTING_SORTS = {"-created_at": "-created_at", "created_at": "created_at", "-updated_at": "-updated_at"}
LISTING_SORTS["priority"] = "-priority"  # most urgent first
LISTING_ARGS = {"status", "priority", "channel", "assignee", "q", "sort", "page", "cursor"}
LISTING_ARGS |= {"team", "tag", "created_from", "created_to"}


def _local_day(text: str | None, tz: ZoneInfo) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat((text or "").strip()), time(), tz)
    except ValueError:
        return None


def _drill_down(query: Any, args: Any, user: User) -> Any:
    """A category and everything under it, the customer's tier, days of creation or resolution."""
    path = (args.get("category") or "").strip()
    if path:
        under = Category.select(Category.id).where((Category.path == path) | Category.path.startswith(path + "/"))
        query = query.where(Ticket.category.in_(under))
    tier = (args.get("tier") or "").strip()
    if tier:
        query = query.where(Ticket.customer.in_(Customer.select(Customer.id).where(Customer.tier == tier)))
    tz = ZoneInfo(user.tenant.timezone or "Asia/Shanghai")
    for name, field in (("created", Ticket.created_at), ("resolved", Ticket.resolved_at)):
        start, end = _local_day(args.get(f"{name}_from"), tz), _local_day(args.get(f"{name}_to"), tz)
        if start is not None:
            query = query.where(field >= start)
        if end is not None:
            query = query.where(field < end + timedelta(days=1))
    return query


def narrowed(query: Any, args: Any, user: User) -> Any:
    """`query` (over `Ticket`) narrowed by the list's filters `args` for `user` (`assignee=me`)."""
    for name in ("status", "priority", "channel"):
        value = args.get(name)
        if value:
            query = query.where(getattr(Ticket, name) == value)
    assignee = args.get("assignee")
    if assignee == "me":
        query = query.where(Ticket.assignee == user.id)
    elif assignee == "none":
        query = query.where(Ticket.assignee.is_null())
    elif assignee and parse_id(assignee):
        query = query.where(Ticket.assignee == parse_id(assignee))
    tag = (args.get("tag") or "").strip()
    if tag:  # the tag's search postings (`gongdan.search.tag_term`), the waiting tickets indexed first
        search.settle(user.tenant_id)
        term = (TicketTerm.tenant == user.tenant_id) & (TicketTerm.term == search.tag_term(tag))
        query = query.where(Ticket.id.in_(TicketTerm.select(TicketTerm.ticket).where(term)))
    team = args.get("team")
    if team and parse_id(team):
        query = query.where(Ticket.team == parse_id(team))
    query = _drill_down(query, args, user)
    text = (args.get("q") or "").strip()
    if text:  # every word's postings, as `gongdan.listing` searches (a LIKE read every ticket's text)
        search.settle(user.tenant_id)
        condition: Any = Ticket.id.is_null()  # no word: only a ticket number can match
        for n, term in enumerate(search.query_terms(text)):
            postings = TicketTerm.alias(f"q{n}")
            held = postings.select(postings.ticket).where((postings.tenant == user.tenant_id) & (postings.term == term))
            condition = Ticket.id.in_(held) if n == 0 else condition & Ticket.id.in_(held)
        if text.lstrip("#").isdigit() and len(text.lstrip("#")) <= 9:
            condition |= Ticket.number == int(text.lstrip("#"))
        query = query.where(condition)
    return query


def visible(tenant: Tenant, user: User, args: Any) -> Any:
    """The tickets of `tenant` that `user` may see, under the list's filters `args`."""
    seen = permissions.visible_tickets(Actor.of(user), Ticket.of(tenant), tenant)
    return narrowed(seen, args, user)


def listing_filters(args: Any, user: User) -> listing.Filters | None:
    """The `gongdan.listing` filters of the list's `args`, or None when they use a filter or a
    sort only the general query offers (category, tier, resolution days; by number)."""
    if {name for name, value in args.items() if value} - LISTING_ARGS:
        return None
    sort = args.get("sort") or "-created_at"
    if sort not in LISTING_SORTS:
        return None
    assignee: str | int | None = args.get("assignee") or None
    if assignee == "me":
        assignee = user.id
    elif assignee not in (None, "none"):
        assignee = parse_id(assignee)
        if assignee is None:
            return None
    text = (args.get("q") or "").strip().lstrip("#")
    team = parse_id(args["team"]) if args.get("team") else None
    tz = ZoneInfo(user.tenant.timezone or "Asia/Shanghai")
    since, until = _local_day(args.get("created_from"), tz), _local_day(args.get("created_to"), tz)
    if (args.get("team") and team is None) or (args.get("created_from") and since is None):
        return None
    if args.get("created_to") and until is None:
        return None
    return listing.Filters(
        team=team,
        tag=(args.get("tag") or "").strip() or None,
        created_from=since,
        created_to=until + timedelta(days=1) if until is not None else None,
        status=args.get("status") or None,
        priority=args.get("priority") or None,
        channel=args.get("channel") or None,
        assignee=assignee,
        q=text or None,
        sort=LISTING_SORTS[sort],
    )


def capped_count(query: Any) -> tuple[int, bool]:
    """How many rows `query` gives, counted no further than `listing.COUNT_LIMIT` (True when exact)."""
    inner = query.select(SQL("1")).order_by().limit(listing.COUNT_LIMIT + 1)
    found = Select([inner.alias("capped")], [fn.COUNT(SQL("*"))]).bind(db).scalar()
    return min(found, listing.COUNT_LIMIT), found <= listing.COUNT_LIMIT


def count(tenant: Tenant, user: User, args: Any) -> tuple[int, bool]:
    """How many tickets the list shows `user` for the filters `args`, as the list counts them
    (through `gongdan.listing` where it can, so a search counts what the list finds), up to
    `listing.COUNT_LIMIT` (True when exact). The sort does not change a count."""
    wanted = {k: v for k, v in dict(args).items() if k not in ("sort", "page", "cursor")}
    filters = listing_filters(wanted, user)
    if filters is not None:
        found = listing.list_page(tenant, Actor.of(user), filters, per_page=1)
        return found.total, found.total_exact
    return capped_count(visible(tenant, user, wanted))


def count_text(total: int, exact: bool) -> str:
    """A count as people read it: `1,234`, or `10,000+` past the counting limit."""
    return f"{total:,}" if exact else f"{total:,}+"


__all__ = [
    "LISTING_ARGS",
    "LISTING_SORTS",
    "capped_count",
    "count",
    "count_text",
    "listing_filters",
    "narrowed",
    "visible",
]
