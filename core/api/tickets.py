"""Ticket routes: list, read, create, change, comment, transition, assign, audit trail.

Every change goes through the ticket service (`gongdan.tickets`); this module only reads.
"""

from __future__ import annotations

from typing import Any

from peewee import JOIN

from gongdan import listing, permissions
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


def _ticket(ticket_id: int) -> Ticket:
    """The caller's tenant's ticket; 404 for another tenant's or one out of sight (ids are bounded by the URL)."""
    return ticket_service.get(current_tenant(), ticket_id, current_actor())


def _one_ticket(p: Placeholders) -> Any:
    return with_relations(Ticket.select()).where((Ticket.id == p("id")) & (Ticket.tenant == p("tenant")))


ONE_TICKET = ShapedQuery(_one_ticket)


def _represent(ticket_id: int, *, check_sight: bool = False) -> dict[str, Any]:
    """The ticket as stored now (after plugins reacted), with every enabled plugin's block.

    `check_sight`: 404 when the caller may not see it (team visibility).
    """
    tenant = current_tenant()
    found = ONE_TICKET.rows((), {"id": ticket_id, "tenant": tenant.id})
    if not found or (check_sight and not permissions.can_see(current_actor(), found[0], tenant)):
        raise NotFound("no such ticket")
    return tickets_dicts(tenant, found)[0]


@api_route(api, "/tickets", ["GET"], query=TicketQuerySchema, response=TicketPageSchema, tags=TAGS)
def list_tickets(args: dict[str, Any]) -> dict[str, Any]:
    """List the tenant's tickets the caller may see, newest first or by `sort`.

    Filters combine: `status`, `priority`, `assignee` (`me`, `none` or a user id), `channel`,
    `team`, `tag`, `created_from`/`created_to` (created in `[from, to)`), and `q` (words in the
    subject, description or public replies, Chinese included, or a ticket, order or external
    number; ranked: exact numbers first, then the newest). Pages follow `next_cursor`
    (`cursor=`); `page` reaches the first 10,000 tickets. `total` stops at 10,000; with `q` and
    many candidates it counts the newest 10,001 of them (`total_exact` false: at least `total`).
    """
    assignee = args.get("assignee")
    filters = listing.Filters(
        status=args.get("status"),
        priority=args.get("priority"),
        channel=args.get("channel"),
        assignee=current_user().id if assignee == "me" else assignee,
        q=args.get("q"),
        sort=args["sort"],
        team=args.get("team"),
        tag=args.get("tag"),
        created_from=args.get("created_from"),
        created_to=args.get("created_to"),
    )
    page, per_page = args["page"], args["per_page"]
    found = listing.list_page(
        current_tenant(), current_actor(), filters, per_page=per_page, page=page, cursor=args.get("cursor")
    )
    return {
        "items": tickets_dicts(current_tenant(), found.tickets),
        "total": found.total,
        "total_exact": found.total_exact,
        "page": page,
        "per_page": per_page,
        "next_cursor": found.next_cursor,
    }


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
