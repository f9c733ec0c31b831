"""Saved views of the ticket list: a name for a set of filters and an ordering (the list's query
string), a person's own or shared with the whole tenant. Sharing needs the supervisor role;
deleting a view is for its owner, or an admin for a shared one. The console and the API use this."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from peewee import IntegrityError

from gongdan import permissions, ticket_filters
from gongdan.db import write_transaction
from gongdan.errors import Conflict, Forbidden, NotFound, ValidationError
from gongdan.ids import parse_id
from gongdan.models import SavedView, Tenant, User

KEPT = ("q", "tag", "status", "priority", "channel", "assignee", "team", "category", "tier", "sort")
MAX_NAME = 100


def clean_query(text: str) -> str:
    """The filters and ordering of a list URL's query string (no page, nothing unknown)."""
    return urlencode([(k, v) for k, v in parse_qsl((text or "").lstrip("?")) if k in KEPT and v])


def filters(view: SavedView) -> dict[str, str]:
    """The view's filters as a dict."""
    return dict(parse_qsl(view.query))


def visible(tenant: Tenant, user: User) -> list[SavedView]:
    """The user's own views and the tenant's shared ones, by name."""
    query = SavedView.of(tenant).where((SavedView.user == user.id) | (SavedView.shared == True))  # noqa: E712
    return list(query.order_by(SavedView.name, SavedView.id))


def counted(tenant: Tenant, user: User) -> list[dict[str, Any]]:
    """The user's visible views (`visible`), each with how many tickets it holds for them now, as
    the list counts them: `{"view", "count", "exact", "text", "mine"}` — `count` stops at
    `gongdan.listing.COUNT_LIMIT` (then `exact` is False and `text` reads "10,000+"). The console's
    list, its queue page and `GET /api/v1/views` all show these."""
    out = []
    for view in visible(tenant, user):
        total, exact = ticket_filters.count(tenant, user, filters(view))
        out.append(
            {
                "view": view,
                "count": total,
                "exact": exact,
                "text": ticket_filters.count_text(total, exact),
                "mine": view.user_id == user.id,
            }
        )
    return out


def create(tenant: Tenant, user: User, name: str, query: str, *, shared: bool = False) -> SavedView:
    """Save `query` (cleaned) under `name`; ValidationError for a blank name, Conflict when the user
    has a view of that name, Forbidden when an agent shares."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("a view needs a name", {"name": ["must not be blank"]})
    if len(name) > MAX_NAME:
        raise ValidationError("name too long", {"name": [f"Longer than maximum length {MAX_NAME}."]})
    if shared and not permissions.has_role(user, "supervisor"):
        raise Forbidden("sharing a view needs the supervisor role")
    try:
        with write_transaction():
            return SavedView.create(tenant=tenant, user=user, name=name, query=clean_query(query), shared=shared)
    except IntegrityError:
        raise Conflict(f"you already have a view called {name}") from None


def delete(tenant: Tenant, user: User, view_id: Any) -> SavedView:
    """Delete a view: its owner, or an admin for a shared one (NotFound for a view out of sight)."""
    number = parse_id(view_id)
    view = SavedView.of(tenant).where(SavedView.id == number).first() if number else None
    if view is None or not (view.user_id == user.id or view.shared):
        raise NotFound("no such view")
    if view.user_id != user.id and not permissions.has_role(user, "admin"):
        raise Forbidden("deleting a colleague's shared view needs the admin role")
    with write_transaction():
        view.delete_instance()
    return view


__all__ = ["KEPT", "clean_query", "counted", "create", "delete", "filters", "visible"]
