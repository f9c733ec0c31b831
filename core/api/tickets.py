"""Ticket routes: list, read, create, change, comment, transition, assign, audit trail.

Every change goes through the ticket service (`gongdan.tickets`); this module only reads.
"""

from __future__ import annotations

from typing import Any

from peewee import JOIN, OP, SQL, Expression, NodeList, Value, fn

from gongdan import permissions
from gongdan import tickets as ticket_service
from gongdan.api.blueprint import api
from gongdan.api.common import api_route, current_actor, current_tenant, current_user
from gongdan.api.schemas import (
    AssignSchema,
    CommentBodySchema,
    CommentOutSchema,
    CommentPageSchema,
    EventSchema,
    PageQuerySchema,
    TicketCreateBodySchema,
    TicketPageSchema,
    TicketPatchSchema,
    TicketQuerySchema,
    TicketSchema,
)
from gongdan.errors import NotFound
from gongdan.models import Comment, Ticket, TicketEvent, User
from gongdan.queries import Placeholders, ShapedQuery
from gongdan.representation import comments_dicts, iso, tickets_dicts, with_relations
from gongdan.schemas import TransitionSchema

TAGS = ("tickets",)
LIKE_ESCAPE = "!"


def _ticket(ticket_id: int) -> Ticket:
    """The caller's tenant's ticket; 404 for another tenant's or one out of sight (ids are bounded by the URL)."""
    return ticket_service.get(current_tenant(), ticket_id, current_actor())


def _one_ticket(p: Placeholders) -> Any:
    return with_relations(Ticket.select()).where((Ticket.id == p("id")) & (Ticket.tenant == p("tenant")))


def _contains(field: Any, pattern: str) -> Expression:
    """`field` LIKE `pattern` (see `like_pattern`), case-insensitive where the database can."""
    return Expression(field, OP.ILIKE, NodeList((Value(pattern), SQL(f"ESCAPE '{LIKE_ESCAPE}'"))))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (its % and _ are not wildcards)."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def _filtered(
    query: Any, p: Placeholders, equal: tuple[str, ...], assignee: str | None, search: bool, scope: str | None
) -> Any:
    query = query.where(Ticket.tenant == p("tenant"))
    if scope is not None:  # team visibility: see gongdan.permissions.visible_tickets
        query = query.where(permissions.scope_condition(p("viewer"), p("viewer_team") if scope == "team" else None))
    for name in equal:
        query = query.where(getattr(Ticket, name) == p(name, str))
    if assignee == "none":
        query = query.where(Ticket.assignee.is_null())
    elif assignee == "id":
        query = query.where(Ticket.assignee == p("assignee"))
    if search:
        query = query.where(_contains(Ticket.subject, p("q", str)) | _contains(Ticket.description, p("q", str)))
    return query


def _ticket_page(p: Placeholders, *shape: Any) -> Any:
    query = _filtered(with_relations(Ticket.select()), p, *shape)
    return query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(p("limit")).offset(p("offset"))


def _ticket_count(p: Placeholders, *shape: Any) -> Any:
    return _filtered(Ticket.select(fn.COUNT(Ticket.id)), p, *shape)


ONE_TICKET = ShapedQuery(_one_ticket)
TICKET_PAGE = ShapedQuery(_ticket_page)
TICKET_COUNT = ShapedQuery(_ticket_count)


def _represent(ticket_id: int, *, check_sight: bool = False) -> dict[str, Any]:
    """The ticket as stored now (after plugins reacted), with every enabled plugin's block.

    `check_sight`: 404 when the caller may not see it (team visibility).
    """
    tenant = current_tenant()
    found = ONE_TICKET.rows((), {"id": ticket_id, "tenant": tenant.id})
    if not found or (check_sight and not permissions.can_see(current_actor(), found[0], tenant)):
        raise NotFound("no such ticket")
    return tickets_dicts(tenant, found)[0]


def _list_shape(args: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The shape of a list query (which filters) and the values it binds."""
    tenant = current_tenant()
    values: dict[str, Any] = {"tenant": tenant.id}
    scope = permissions.ticket_scope(current_actor(), tenant)
    if scope is not None:
        values["viewer"], values["viewer_team"] = scope
    equal = tuple(name for name in ("status", "priority", "channel") if name in args)
    values.update({name: args[name] for name in equal})
    assignee = args.get("assignee")
    if assignee == "me":
        assignee, values["assignee"] = "id", current_user().id
    elif assignee not in (None, "none"):
        assignee, values["assignee"] = "id", int(assignee)
    if "q" in args:
        values["q"] = like_pattern(args["q"])
    sight = None if scope is None else ("own" if scope[1] is None else "team")
    return (equal, assignee, "q" in args, sight), values


@api_route(api, "/tickets", ["GET"], query=TicketQuerySchema, response=TicketPageSchema, tags=TAGS)
def list_tickets(args: dict[str, Any]) -> dict[str, Any]:
    """List the tenant's tickets, newest first.

    Filters combine: `status`, `priority`, `assignee` (`me`, `none` or a user id), `channel`,
    and `q` (words in the subject or description, Chinese included).
    """
    shape, values = _list_shape(args)
    page, per_page = args["page"], args["per_page"]
    rows = TICKET_PAGE.rows(shape, values | {"limit": per_page, "offset": (page - 1) * per_page})
    total = TICKET_COUNT.scalar(shape, values) if len(rows) == per_page or page > 1 else len(rows)
    return {"items": tickets_dicts(current_tenant(), rows), "total": total, "page": page, "per_page": per_page}


@api_route(api, "/tickets", ["POST"], body=TicketCreateBodySchema, response=TicketSchema, status=201, tags=TAGS)
def create_ticket(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create a ticket (201); the same `external_ref` again updates that ticket (200)."""
    ticket, created = ticket_service.create(current_tenant(), body, current_actor())
    return _represent(ticket.id), 201 if created else 200


@api_route(api, "/tickets/<int:ticket_id>", ["GET"], response=TicketSchema, tags=TAGS)
def get_ticket(ticket_id: int) -> dict[str, Any]:
    """One ticket."""
    return _represent(ticket_id, check_sight=True)


@api_route(api, "/tickets/<int:ticket_id>", ["PATCH"], body=TicketPatchSchema, response=TicketSchema, tags=TAGS)
def patch_ticket(ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Change any of `subject description priority category tags team`."""
    ticket = ticket_service.update(current_tenant(), _ticket(ticket_id), body, current_actor())
    return _represent(ticket.id)


@api_route(
    api,
    "/tickets/<int:ticket_id>/comments",
    ["GET"],
    query=PageQuerySchema,
    response=CommentPageSchema,
    tags=TAGS,
)
def list_comments(ticket_id: int, args: dict[str, Any]) -> dict[str, Any]:
    """The ticket's replies and internal notes, oldest first."""
    ticket = _ticket(ticket_id)
    query = (
        Comment.select(Comment, User)
        .join(User, JOIN.LEFT_OUTER, on=(Comment.author == User.id))
        .where((Comment.tenant == current_tenant()) & (Comment.ticket == ticket))
    )
    page, per_page = args["page"], args["per_page"]
    rows = list(query.order_by(Comment.created_at, Comment.id).paginate(page, per_page))
    items = comments_dicts(current_tenant(), rows)
    return {"items": items, "total": query.count(), "page": page, "per_page": per_page}


@api_route(
    api,
    "/tickets/<int:ticket_id>/comments",
    ["POST"],
    body=CommentBodySchema,
    response=CommentOutSchema,
    status=201,
    tags=TAGS,
)
def add_comment(ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Add a public reply (the first one sets `first_response_at`), an internal note, or a customer's message.

    A public reply is queued for delivery through the ticket's channel when that channel can
    reach the customer (`delivery` in the answer; null when it cannot). `from_customer: true`
    relays the customer's own words (author kind `customer`, named by `author_name` or the
    ticket's customer): it reopens a pending or resolved ticket and runs the SLA clocks.
    """
    note = ticket_service.comment(
        current_tenant(),
        _ticket(ticket_id),
        body["body"],
        current_actor(),
        internal=body["internal"],
        mentions=body["mentions"],
        from_customer=body["from_customer"],
        author_label=body["author_name"],
        attachment_ids=body["attachment_ids"],
    )
    return comments_dicts(current_tenant(), [note])[0]


@api_route(
    api, "/tickets/<int:ticket_id>/transitions", ["POST"], body=TransitionSchema, response=TicketSchema, tags=TAGS
)
def transition_ticket(ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Change the status; a move the state machine forbids is 409 `invalid_transition`."""
    ticket = ticket_service.transition(current_tenant(), _ticket(ticket_id), body["to"], current_actor())
    return _represent(ticket.id)


@api_route(api, "/tickets/<int:ticket_id>/assign", ["POST"], body=AssignSchema, response=TicketSchema, tags=TAGS)
def assign_ticket(ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Assign to `assignee_id` (`null` unassigns), or with `{}` ask the tenant's assignment strategy.

    Agents may assign tickets that are unassigned or their own; reassigning a colleague's
    ticket needs the supervisor role (403). `{}` is 409 when no assignment plugin is enabled.
    """
    tenant, actor = current_tenant(), current_actor()
    ticket = _ticket(ticket_id)
    if "assignee_id" in body:
        ticket = ticket_service.assign(tenant, ticket, body["assignee_id"], actor, reason="assigned through the API")
    else:
        ticket, _ = ticket_service.auto_assign(tenant, ticket, actor)
    return _represent(ticket.id)


def _event_dict(event: TicketEvent) -> dict[str, Any]:
    user = event.actor if event.actor_id else None
    return {
        "id": event.id,
        "kind": event.kind,
        "actor": {
            "id": user.id if user else None,
            "email": user.email if user else None,
            "name": user.name if user else None,
            "label": event.actor_label,
        },
        "data": event.data,
        "at": iso(event.at),
    }


@api_route(api, "/tickets/<int:ticket_id>/events", ["GET"], response=EventSchema(many=True), tags=TAGS)
def list_events(ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's audit trail, oldest first: `[{"kind", "actor", "data", "at"}]`."""
    ticket = _ticket(ticket_id)
    rows = (
        TicketEvent.select(TicketEvent, User)
        .join(User, JOIN.LEFT_OUTER, on=(TicketEvent.actor == User.id))
        .where((TicketEvent.tenant == current_tenant()) & (TicketEvent.ticket == ticket))
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return [_event_dict(event) for event in rows]
