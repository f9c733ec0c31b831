"""The agent workspace over REST: merging tickets (and undoing it), following tickets, the
customer card (tickets, orders, ratings, notes), the inbox (the bell) and its e-mail preference,
presence on a ticket (collision detection), saved views of the ticket list.

Every change goes through a service (`gongdan.merge`, `gongdan.watchers`), which decides who may.
"""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import RAISE, Schema, fields, validate

from gongdan import (
    customer_card,
    customers,
    inbox,
    mention_mail,
    merge,
    presence,
    saved_views,
    ticket_filters,
    watchers,
)
from gongdan import tickets as ticket_service
from gongdan.api.blueprint import api
from gongdan.api.common import api_route, current_actor, current_tenant, current_user
from gongdan.ids import Id
from gongdan.representation import iso

TAGS = ("workspace",)


class MergeBodySchema(Schema):
    """`{"into_id": 12}`: merge this ticket into ticket 12 (the survivor)."""

    class Meta:
        unknown = RAISE

    into_id = Id(required=True, metadata={"description": "the ticket that survives"})


class MergeSchema(Schema):
    """One merge: what moved, and until when it can be undone."""

    id = fields.Integer()
    source_id = fields.Integer(metadata={"description": "the merged (closed) ticket"})
    target_id = fields.Integer(metadata={"description": "the ticket that survives"})
    comments = fields.Integer(metadata={"description": "replies and notes that moved"})
    attachments = fields.Integer(metadata={"description": "files that moved"})
    watchers = fields.Integer(metadata={"description": "followers the survivor gained"})
    merged_at = fields.String()
    undo_until = fields.String()
    undone_at = fields.String(allow_none=True)
    can_undo = fields.Boolean()


class MergesSchema(Schema):
    """The merges touching a ticket."""

    merged_into = fields.Nested(MergeSchema, allow_none=True, metadata={"description": "this ticket's own merge"})
    merged_here = fields.List(fields.Nested(MergeSchema), metadata={"description": "tickets merged into it"})


class FollowSchema(Schema):
    """Whether the caller follows the ticket, and who does."""

    following = fields.Boolean()
    watcher_ids = fields.List(fields.Integer())


@api_route(
    api, "/tickets/<int:ticket_id>/merge", ["POST"], body=MergeBodySchema, response=MergeSchema, status=201, tags=TAGS
)
def merge_ticket(ticket_id: int, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Merge this ticket into `into_id`: its replies, notes, files and followers move there; it is
    closed with a link to the survivor and keeps its external id.

    409 when either ticket is closed; 422 for the same ticket or an unknown `into_id`; 403 when an
    agent merges a colleague's ticket (supervisors may). Undo with `POST /merges/ID/undo` within the
    tenant's window (`merge_undo_minutes`, default 60).
    """
    record = merge.merge(current_tenant(), ticket_id, body["into_id"], current_actor())
    return merge.as_dict(record), 201


@api_route(api, "/merges/<int:merge_id>/undo", ["POST"], response=MergeSchema, tags=TAGS)
def undo_merge(merge_id: int) -> dict[str, Any]:
    """Undo a merge within the tenant's window: what moved goes back, the merged ticket gets its
    status again. 409 when undone already, too late, or the merged ticket changed since."""
    return merge.as_dict(merge.undo(current_tenant(), merge_id, current_actor()))


class UndoWindowSchema(Schema):
    """How long a merge may be undone."""

    class Meta:
        unknown = RAISE

    merge_undo_minutes = fields.Integer(
        required=True,
        validate=validate.Range(min=0, max=merge.MAX_UNDO_MINUTES),
        metadata={"description": "minutes (0: never; at most a week)"},
    )


@api_route(api, "/merges/window", ["GET"], response=UndoWindowSchema, tags=TAGS)
def undo_window() -> dict[str, Any]:
    """How long, in minutes, a merge of two tickets may be undone in this tenant."""
    return {"merge_undo_minutes": current_tenant().merge_undo_minutes}


@api_route(api, "/merges/window", ["PUT"], body=UndoWindowSchema, response=UndoWindowSchema, tags=TAGS)
def set_undo_window(body: dict[str, Any]) -> dict[str, Any]:
    """Change how long a merge may be undone (admins; audited as `tenant.settings_changed`)."""
    minutes = merge.set_undo_window(current_tenant(), body["merge_undo_minutes"], current_actor())
    return {"merge_undo_minutes": minutes}


@api_route(api, "/tickets/<int:ticket_id>/merges", ["GET"], response=MergesSchema, tags=TAGS)
def ticket_merges(ticket_id: int) -> dict[str, Any]:
    """The merge that closed this ticket (if any) and the tickets merged into it."""
    tenant = current_tenant()
    ticket = ticket_service.get(tenant, ticket_id, current_actor())
    own = merge.merged_into(tenant, ticket)
    return {
        "merged_into": merge.as_dict(own) if own else None,
        "merged_here": [merge.as_dict(r) for r in merge.merged_here(tenant, ticket)],
    }


def _follow_state(ticket: Any) -> dict[str, Any]:
    ids = watchers.watcher_ids(current_tenant(), ticket)
    return {"following": current_user().id in ids, "watcher_ids": ids}


@api_route(api, "/tickets/<int:ticket_id>/follow", ["GET"], response=FollowSchema, tags=TAGS)
def follow_state(ticket_id: int) -> dict[str, Any]:
    """Whether the caller follows the ticket, and the ids of everyone who does."""
    return _follow_state(ticket_service.get(current_tenant(), ticket_id, current_actor()))


@api_route(api, "/tickets/<int:ticket_id>/follow", ["PUT"], response=FollowSchema, tags=TAGS)
def follow_ticket(ticket_id: int) -> dict[str, Any]:
    """Follow the ticket: its new messages and status changes come to the caller's inbox."""
    ticket = ticket_service.get(current_tenant(), ticket_id, current_actor())
    watchers.follow(current_tenant(), ticket, current_user())
    return _follow_state(ticket)


@api_route(api, "/tickets/<int:ticket_id>/follow", ["DELETE"], response=FollowSchema, tags=TAGS)
def unfollow_ticket(ticket_id: int) -> dict[str, Any]:
    """Stop following the ticket."""
    ticket = ticket_service.get(current_tenant(), ticket_id, current_actor())
    watchers.unfollow(current_tenant(), ticket, current_user())
    return _follow_state(ticket)


class NotesBodySchema(Schema):
    """`{"notes": "..."}`: the customer's notes (replaces them; empty clears)."""

    class Meta:
        unknown = RAISE

    notes = fields.String(required=True, validate=validate.Length(max=customer_card.MAX_NOTES))


class CardSchema(Schema):
    """The customer card."""

    customer = fields.Dict(metadata={"description": "the customer, contact details masked"})
    tickets = fields.List(fields.Dict(), metadata={"description": "their tickets the caller may see, newest first"})
    orders = fields.List(fields.Dict(), metadata={"description": "orders from connectors (e.g. Pinduoduo)"})
    ratings = fields.List(fields.Dict(), metadata={"description": "satisfaction answers, score 1-5"})
    average_score = fields.Float(allow_none=True)
    notes = fields.Dict(metadata={"description": "agents' notes: text, by, at"})


def _language() -> str:
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return "zh_CN" if best in ("zh-CN", "zh") else "en"


def _json_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_times(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_times(item) for item in value]
    return iso(value) if hasattr(value, "isoformat") else value


@api_route(api, "/customers/<int:customer_id>/card", ["GET"], response=CardSchema, tags=TAGS)
def customer_card_view(customer_id: int) -> dict[str, Any]:
    """The customer card: the customer (masked), their tickets in the caller's sight, their orders
    (from connectors), their satisfaction ratings (words in the `Accept-Language`) and the notes."""
    tenant = current_tenant()
    found = customers.get(tenant, customer_id)
    return _json_times(customer_card.card(tenant, found, current_actor(), language=_language()))


@api_route(api, "/customers/<int:customer_id>/notes", ["PUT"], body=NotesBodySchema, response=CardSchema, tags=TAGS)
def customer_notes(customer_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Replace the customer's notes (any agent; at most 5,000 characters; audited without the text)."""
    tenant = current_tenant()
    found = customer_card.set_notes(tenant, customer_id, body["notes"], current_actor())
    return _json_times(customer_card.card(tenant, found, current_actor(), language=_language()))


# --- the inbox (the bell) -------------------------------------------------------------------


class InboxQuerySchema(Schema):
    """`?unread=true` for the unread items only; `limit` (1-200, default 50)."""

    class Meta:
        unknown = RAISE

    unread = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class InboxItemSchema(Schema):
    """One notification of the caller's bell."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": "mention, assigned, sla, watch or approval"})
    text = fields.String()
    ticket_id = fields.Integer(allow_none=True)
    created_at = fields.String()
    read_at = fields.String(allow_none=True)


class InboxSchema(Schema):
    """The caller's notifications, newest first, and how many are unread."""

    items = fields.List(fields.Nested(InboxItemSchema))
    unread = fields.Integer()


class ReadBodySchema(Schema):
    """`{"ids": [1, 2]}` marks those read; `{"all": true}` every unread one."""

    class Meta:
        unknown = RAISE

    ids = fields.List(Id(), validate=validate.Length(max=500))
    all = fields.Boolean(load_default=False)


class PreferencesSchema(Schema):
    """The caller's notification preferences."""

    class Meta:
        unknown = RAISE

    mention_email = fields.Boolean(required=True, metadata={"description": "an e-mail when someone @mentions me"})


@api_route(api, "/inbox", ["GET"], query=InboxQuerySchema, response=InboxSchema, tags=TAGS)
def list_inbox(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's notifications (mentions, assignments, SLA warnings, followed tickets,
    approvals), newest first, with the unread count."""
    tenant, user = current_tenant(), current_user()
    items = inbox.latest(tenant, user, args["limit"] if not args["unread"] else 200)
    if args["unread"]:
        items = [i for i in items if i.read_at is None][: args["limit"]]
    return {
        "items": [
            {
                "id": i.id,
                "kind": i.kind,
                "text": i.text,
                "ticket_id": i.ticket_id,
                "created_at": iso(i.created_at),
                "read_at": iso(i.read_at),
            }
            for i in items
        ],
        "unread": inbox.unread_count(tenant, user),
    }


@api_route(api, "/inbox/read", ["POST"], body=ReadBodySchema, tags=TAGS)
def read_inbox(body: dict[str, Any]) -> dict[str, Any]:
    """Mark notifications read: `ids`, or `all`; answers `{"marked": n, "unread": m}`."""
    tenant, user = current_tenant(), current_user()
    if not body["all"] and not body.get("ids"):
        from gongdan.errors import ValidationError

        raise ValidationError("nothing to mark", {"ids": ["give ids, or all: true"]})
    marked = inbox.mark_read(tenant, user, None if body["all"] else body["ids"])
    return {"marked": marked, "unread": inbox.unread_count(tenant, user)}


@api_route(api, "/inbox/preferences", ["GET"], response=PreferencesSchema, tags=TAGS)
def inbox_preferences() -> dict[str, Any]:
    """The caller's notification preferences."""
    return {"mention_email": mention_mail.wants_email(current_user())}


@api_route(api, "/inbox/preferences", ["PUT"], body=PreferencesSchema, response=PreferencesSchema, tags=TAGS)
def set_inbox_preferences(body: dict[str, Any]) -> dict[str, Any]:
    """Change the caller's notification preferences (`mention_email`)."""
    return {"mention_email": mention_mail.set_wants_email(current_user(), body["mention_email"])}


# --- presence (collision detection) ----------------------------------------------------------


class PresenceBodySchema(Schema):
    """`{"typing": true}` while the caller types a reply."""

    class Meta:
        unknown = RAISE

    typing = fields.Boolean(load_default=False)


class PresenceSchema(Schema):
    """Who else has the ticket open, and the ticket's version to notice a change."""

    others = fields.List(fields.Dict(), metadata={"description": "[{name, typing}] seen in the last 30 s"})
    version = fields.String(metadata={"description": "changes when the ticket changes"})
    last_comment = fields.Integer(metadata={"description": "id of the newest reply or note"})


@api_route(
    api, "/tickets/<int:ticket_id>/presence", ["POST"], body=PresenceBodySchema, response=PresenceSchema, tags=TAGS
)
def ticket_presence(ticket_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Say the caller has the ticket open (typing or not), and learn who else has and whether it
    changed. Call it every 10 s while the ticket is open, and when typing starts or stops."""
    tenant, user = current_tenant(), current_user()
    ticket = ticket_service.get(tenant, ticket_id, current_actor())
    presence.touch(tenant, ticket, user, body["typing"])
    return {"others": presence.others(tenant, ticket, user), **presence.state(ticket)}


# --- saved views ------------------------------------------------------------------------------


class ViewBodySchema(Schema):
    """A view to save: a name, the list's filters as a query string, shared or not."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=saved_views.MAX_NAME))
    query = fields.String(
        load_default="",
        validate=validate.Length(max=2000),
        metadata={"description": f"e.g. status=open&priority=high; known: {', '.join(saved_views.KEPT)}"},
    )
    shared = fields.Boolean(load_default=False, metadata={"description": "for the whole tenant (supervisors)"})


class ViewSchema(Schema):
    """A saved view."""

    id = fields.Integer()
    name = fields.String()
    query = fields.String()
    filters = fields.Dict()
    shared = fields.Boolean()
    mine = fields.Boolean()
    count = fields.Integer(
        metadata={"description": "tickets the view holds for the caller now, counted up to 10,000 (see count_exact)"}
    )
    count_exact = fields.Boolean(metadata={"description": "false past the counting limit: read count as 10,000+"})


def _view_dict(view: Any, counted: tuple[int, bool] | None = None) -> dict[str, Any]:
    total, exact = counted or ticket_filters.count(current_tenant(), current_user(), saved_views.filters(view))
    return {
        "count": total,
        "count_exact": exact,
        "id": view.id,
        "name": view.name,
        "query": view.query,
        "filters": saved_views.filters(view),
        "shared": view.shared,
        "mine": view.user_id == current_user().id,
    }


@api_route(api, "/views", ["GET"], response=ViewSchema(many=True), tags=TAGS)
def list_views() -> list[dict[str, Any]]:
    """The caller's saved views and the tenant's shared ones, by name, each with how many tickets
    it holds for the caller now (as the ticket list counts them: `count_exact` false past 10,000)."""
    return [
        _view_dict(item["view"], (item["count"], item["exact"]))
        for item in saved_views.counted(current_tenant(), current_user())
    ]


@api_route(api, "/views", ["POST"], body=ViewBodySchema, response=ViewSchema, status=201, tags=TAGS)
def create_view(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Save filters under a name (409 when the caller has a view of that name; sharing needs the
    supervisor role: 403)."""
    view = saved_views.create(current_tenant(), current_user(), body["name"], body["query"], shared=body["shared"])
    return _view_dict(view), 201


@api_route(api, "/views/<int:view_id>", ["DELETE"], status=204, tags=TAGS)
def delete_view(view_id: int) -> Any:
    """Delete a view: the caller's own, or (admins) a shared one."""
    saved_views.delete(current_tenant(), current_user(), view_id)
    return ("", 204)
