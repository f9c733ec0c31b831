"""The ticket service: the only code that changes tickets.

Every change is written with its audit event in one transaction; notification hooks fire
after the commit (see `dispatch`). A crash between the two leaves events with no
`dispatched_at`, which the worker's job `core.dispatch` (`gongdan.dispatcher`) dispatches.

Ingestion (connectors' sync, the e-mail fetcher, imports: nobody waits for the answer) leaves
every event to that job instead (`ingesting()`, or `create(..., dispatch="worker")`): the
ticket and its events are written, and the hooks run in the worker's batches within the job's
interval. An event is fired exactly once whoever takes it: the request, the job or the
reconciliation job each claim it (`dispatched_at` set only where still NULL, in the
transaction of the hooks' work), and one ticket's events fire in order.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import peewee

from gongdan import attachments, categories, clock, customers, delivery, hooks, permissions, search
from gongdan.actors import Actor
from gongdan.contributions import AssignmentDecision
from gongdan.db import after_commit, is_postgres, write_transaction
from gongdan.errors import Conflict, InvalidTransition, NotFound, ValidationError
from gongdan.ids import parse_id
from gongdan.models import AUTHOR_KINDS, OPEN_STATUSES, Attachment, Comment, Team, Tenant, Ticket, TicketEvent, User
from gongdan.plugins import CORE, get_host
from gongdan.queries import ShapedQuery
from gongdan.schemas import MAX_COMMENT_LENGTH, TicketCreateSchema, TicketUpdateSchema
from gongdan.statements import PreparedInsert, PreparedStatement, attached
from gongdan.validation import load

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"open", "resolved"}),
    "open": frozenset({"pending", "resolved"}),
    "pending": frozenset({"open", "resolved"}),
    "resolved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}

# event kind -> the notification hook it is dispatched to
HOOK_OF_KIND = {
    "created": "gongdan_ticket_created",
    "updated": "gongdan_ticket_updated",
    "status_changed": "gongdan_ticket_status_changed",
    "assigned": "gongdan_ticket_assigned",
    "commented": "gongdan_comment_added",
    "linked": "gongdan_ticket_linked",
}
DISPATCHED_KINDS = tuple(HOOK_OF_KIND)

ASSIGN_ATTEMPTS = 3

TICKET_COLUMNS = (
    "tenant",
    "number",
    "subject",
    "description",
    "channel",
    "priority",
    "status",
    "category",
    "team",
    "customer",
    "tags",
    "language",
    "external_system",
    "external_id",
    "parent",
    "created_at",
    "updated_at",
)
EVENT_COLUMNS = ("tenant", "ticket", "kind", "actor", "actor_label", "data", "at", "dispatched_at")
_insert_ticket = PreparedInsert(Ticket, TICKET_COLUMNS)
_insert_event = PreparedInsert(TicketEvent, EVENT_COLUMNS)
_next_seq = PreparedStatement(
    "UPDATE {tenant} SET ticket_seq = ticket_seq + 1 WHERE id = ? RETURNING ticket_seq", tenant=Tenant
)
# the request's claim of its own event: taken only while undelivered and no earlier event of the
# ticket still waits (the worker has it: this one then waits for the worker too, to keep order)
_claim_event = PreparedStatement(
    "UPDATE {event} SET dispatched_at = ? WHERE tenant_id = ? AND id = ? AND dispatched_at IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM {event} e WHERE e.tenant_id = ? AND e.ticket_id = ?"
    " AND e.dispatched_at IS NULL AND e.id < ?)",
    event=TicketEvent,
)
_pending_of = PreparedStatement(
    "SELECT ticket_id, kind FROM {event} WHERE tenant_id = ? AND ticket_id = ? AND dispatched_at IS NULL",
    event=TicketEvent,
)


@functools.lru_cache(maxsize=32)
def _pending_of_page(count: int) -> PreparedStatement:
    marks = ", ".join("?" * count)
    sql = f"SELECT ticket_id, kind FROM {{event}} WHERE tenant_id = ? AND ticket_id IN ({marks})"
    sql += " AND dispatched_at IS NULL"
    return PreparedStatement(sql, event=TicketEvent)


DISPATCH_MODES = ("inline", "worker")
# how the events written in this context are dispatched: "inline" (after the commit, by whoever
# made the change) or "worker" (left to the `core.dispatch` job's batches)
_mode: ContextVar[str] = ContextVar("gongdan_dispatch_mode", default="inline")

_create_schema = TicketCreateSchema()
_update_schema = TicketUpdateSchema()


# --- reading ------------------------------------------------------------------------------


def get(tenant: Tenant, ticket_id: int | str, actor: Actor | None = None) -> Ticket:
    """The tenant's ticket `ticket_id`; NotFound also for another tenant's ticket.

    Given the `actor` who reads it, a ticket out of their sight (team visibility, see
    `gongdan.permissions`) is not found either.
    """
    ticket_id = parse_id(ticket_id)
    if ticket_id is None:
        raise NotFound("no such ticket")
    ticket = Ticket.get_or_none((Ticket.id == ticket_id) & (Ticket.tenant == tenant))
    if ticket is None or (actor is not None and not permissions.can_see(actor, ticket, tenant)):
        raise NotFound("no such ticket")
    return ticket


def by_external_ref(tenant: Tenant, system: str, external_id: str) -> Ticket | None:
    """The tenant's ticket for a record of an outside system, if there is one."""
    return Ticket.get_or_none(
        (Ticket.tenant == tenant) & (Ticket.external_system == system) & (Ticket.external_id == external_id)
    )


# --- events -------------------------------------------------------------------------------


def _event(tenant: Tenant, ticket: Ticket | None, kind: str, actor: Actor, data: dict[str, Any]) -> TicketEvent:
    now = clock.now()
    values = {
        "tenant": tenant.id,
        "ticket": ticket.id if ticket else None,
        "kind": kind,
        "actor": actor.user.id if actor.user else None,
        "actor_label": actor.label,
        "data": data,
        "at": now,
        "dispatched_at": None if _dispatched_to(tenant, kind) else now,
    }
    event = _insert_event.insert(values)
    if actor.user is not None:
        event.actor = actor.user
    return event


def _dispatched_to(tenant: Tenant, kind: str) -> bool:
    """Whether an event of `kind` awaits delivery: its hook has a listener in the tenant.

    An event nobody listens to is written delivered, which spares the stamp afterwards.
    """
    hook = HOOK_OF_KIND.get(kind)
    return hook is not None and get_host().listens(tenant, hook)


def record_event(tenant: Tenant, ticket: Ticket | None, kind: str, data: dict[str, Any], actor: Actor) -> TicketEvent:
    """Append an audit event of a plugin's own (e.g. `sla.warning`); fires no hook.

    Use a kind prefixed by the plugin's name. The data must be JSON-serialisable.
    """
    if kind in DISPATCHED_KINDS:
        raise ValueError(f"{kind!r} is reserved for the ticket service")
    return _event(tenant, ticket, kind, actor, data)


@contextlib.contextmanager
def ingesting() -> Iterator[None]:
    """Within this block (this thread or task), ticket changes leave their hooks to the worker.

    For ingestion, where nobody waits for the assignee or the SLA clock: a connector's sync, the
    e-mail fetcher, an import. The ticket and its events are committed with `dispatched_at`
    NULL and the job `core.dispatch` (`gongdan.dispatcher.dispatch_batches`, every
    `INTERVAL_SECONDS`) fires their hooks in batches — a few hundred events a transaction,
    which costs a fraction of one transaction per event. Until then the ticket's representation
    lists the plugins whose work is pending (`pending_work`). Threads started inside do not
    inherit it: enter it in the thread that changes the tickets.
    """
    token = _mode.set("worker")
    try:
        yield
    finally:
        _mode.reset(token)


def dispatch_mode() -> str:
    """`inline` or `worker`: how events written now are dispatched (see `ingesting`)."""
    return _mode.get()


def dispatch(events: Sequence[TicketEvent], tenant: Tenant, tickets: dict[int, Ticket] | None = None) -> None:
    """Fire the notification hook of each event, then stamp them dispatched.

    Both happen after the outermost commit (`gongdan.db.after_commit`): when a caller nests a
    service call in a transaction of its own (the e-mail fetcher), the hooks see
    committed data, run in no transaction of the caller's, and a rollback fires nothing. Outside
    a transaction they run at once. Under `ingesting()` nothing happens here: the events wait
    for the worker's job. A process that dies between the commit and the hooks leaves the events
    undispatched for the same job (`gongdan.dispatcher`).
    """
    pending = [e for e in events if e.dispatched_at is None]  # `_event` writes the rest delivered
    if pending and _mode.get() == "inline":
        known = dict(tickets or {})
        after_commit(lambda: _dispatch_now(pending, tenant, known))


def _dispatch_now(pending: list[TicketEvent], tenant: Tenant, known: dict[int, Ticket]) -> None:
    """Each event's hooks and its dispatched stamp in ONE transaction of their own.

    The event is claimed first (stamped where still undelivered and no earlier event of its
    ticket waits): one the worker took meanwhile, or that must follow an earlier one still
    waiting for the worker, is left to the worker. Every plugin's hook runs in a savepoint of it
    (`PluginHost.notify`): a plugin that raises is rolled back to its savepoint and recorded as
    failed, the others' work commits — one commit per event instead of one per plugin. What the
    hooks queue with `after_commit` (the events of an assignment they make) runs after that commit.
    """
    now = TicketEvent.dispatched_at.db_value(clock.now())
    for event in pending:
        with write_transaction():
            claim = (now, tenant.id, event.id, tenant.id, event.ticket_id, event.id)
            if not _claim_event.execute(claim).rowcount:
                continue
            ticket = known.get(event.ticket_id)
            if ticket is None:
                ticket = known[event.ticket_id] = Ticket.get_by_id(event.ticket_id)
            fire(tenant, ticket, event)


def pending_work(tenant: Tenant, ticket_ids: Iterable[int]) -> dict[int, list[str]]:
    """`{ticket_id: [plugin, ...]}`: the plugins whose hooks still wait to run for each ticket.

    A ticket listed with no plugin waits for the core's own listeners only; a ticket absent has
    nothing pending. Filled while its events wait for the worker (`ingesting`), for at most the
    job's interval on a running worker.
    """
    ids = list(dict.fromkeys(ticket_ids))
    if len(ids) == 1:
        rows = _pending_of.execute((tenant.id, ids[0])).fetchall()
    elif ids:  # a page's: compiled once per page size (peewee built it on every list, ~1 ms of CPU)
        rows = _pending_of_page(len(ids)).execute((tenant.id, *ids)).fetchall()
    else:
        rows = []
    kinds: dict[int, set[str]] = {}
    for ticket_id, kind in rows:
        kinds.setdefault(ticket_id, set()).add(kind)
    host = get_host()
    found: dict[int, list[str]] = {}
    for ticket_id, waiting in kinds.items():
        hooks_waiting = {HOOK_OF_KIND[kind] for kind in waiting if kind in HOOK_OF_KIND}
        names = {impl.plugin_name for hook in hooks_waiting for impl in host.listening(tenant, hook)}
        found[ticket_id] = sorted(names - {CORE})
    return found


def fire(tenant: Tenant, ticket: Ticket, event: TicketEvent) -> None:
    """Call the notification hook of `event` on the tenant's plugins (each in a savepoint when in a
    transaction). The dispatchers call it once they claimed the event; nothing else should."""
    _fire(tenant, ticket, event)


def _fire(tenant: Tenant, ticket: Ticket, event: TicketEvent) -> None:
    host = get_host()
    actor = Actor(user=event.actor if event.actor_id else None, label=event.actor_label)
    data = event.data
    common = {"tenant": tenant, "ticket": ticket, "actor": actor}
    if event.kind == "created":
        host.notify(tenant, "gongdan_ticket_created", **common)
    elif event.kind == "updated":
        host.notify(tenant, "gongdan_ticket_updated", changes=data["changes"], **common)
    elif event.kind == "status_changed":
        host.notify(tenant, "gongdan_ticket_status_changed", old=data["from"], new=data["to"], **common)
    elif event.kind == "assigned":
        assignee = _assignee_of(ticket, data["to"]) if data.get("to") else None
        host.notify(
            tenant,
            "gongdan_ticket_assigned",
            previous_id=data.get("from"),
            assignee=assignee,
            reason=data.get("reason", ""),
            **common,
        )
    elif event.kind == "commented":
        comment = Comment.get_or_none(Comment.id == data["comment_id"])
        if comment is not None:
            host.notify(tenant, "gongdan_comment_added", comment=comment, **common)
    elif event.kind == "linked":
        child = Ticket.get_or_none(Ticket.id == data["child_id"])
        if child is not None:
            host.notify(tenant, "gongdan_ticket_linked", tenant=tenant, parent=ticket, child=child, actor=actor)


def _assignee_of(ticket: Ticket, user_id: int) -> User | None:
    """User `user_id`: the one `assign` attached to the ticket, else read."""
    held = attached(ticket, "assignee")
    if held is not None and held.id == user_id:
        return held
    found = _USER_BY_ID.rows((), {"id": user_id, "tenant": ticket.tenant_id})
    return found[0] if found else None


def dispatch_pending(tenant: Tenant, older_than: datetime) -> int:
    """Dispatch the tenant's undelivered events created before `older_than` (the reconciliation
    job's repair), in the worker's batches and claims (`gongdan.dispatcher`): an event the job
    `core.dispatch` or a request fires at the same time is fired once. Returns how many."""
    from gongdan import dispatcher

    return dispatcher.dispatch_batches(tenant.id, older_than=older_than, nested="inline")


# --- creating -----------------------------------------------------------------------------


def _next_number(tenant: Tenant) -> int:
    return _next_seq.execute((tenant.id,)).fetchone()[0]


def _team(tenant: Tenant, name: str | None, field: str = "team") -> Team | None:
    if name is None:
        return None
    query = Team.of(tenant)
    text = str(name)
    is_id = text.isascii() and text.isdigit() and len(text) <= 9
    team = query.where(Team.id == int(text)).first() if is_id else None
    team = team or query.where(Team.name == name).first()
    if team is None:
        raise ValidationError("unknown team", {field: [f"no team {name!r}"]})
    return team


def _check_channel(channel: str) -> None:
    if channel not in hooks.channels():
        known = ", ".join(sorted(hooks.channels()))
        raise ValidationError("unknown channel", {"channel": [f"must be one of: {known}"]})


def create(
    tenant: Tenant,
    data: dict[str, Any],
    actor: Actor,
    *,
    parent: Ticket | None = None,
    dispatch: str | None = None,
) -> tuple[Ticket, bool]:
    """Create a ticket from `data` (see `TicketCreateSchema`); returns `(ticket, created)`.

    The same `external_ref` again updates the existing ticket instead (`created` False).
    Raises ValidationError with the bad fields. `parent` makes it a follow-up (see `link`).
    `dispatch`: `"inline"` fires the hooks right after the commit (someone waits: the API, the
    console, the portal), `"worker"` leaves them to the worker's batches (ingestion, see
    `ingesting`); None (the default) follows the enclosing `ingesting()` block, else inline.
    """
    if dispatch is not None:
        if dispatch not in DISPATCH_MODES:
            raise ValueError(f"dispatch must be one of {DISPATCH_MODES}")
        token = _mode.set(dispatch)
        try:
            return create(tenant, data, actor, parent=parent)
        finally:
            _mode.reset(token)
    payload = load(_create_schema, data)
    payload["parent"] = parent
    _check_channel(payload["channel"])
    category = categories.find(tenant, payload["category"]) if payload.get("category") else None
    team = _team(tenant, payload.get("team"))
    ref = payload.get("external_ref")
    for attempt in range(2):
        try:
            return _create_or_update(tenant, payload, category, team, ref, actor)
        except peewee.IntegrityError:
            # a concurrent create of the same external_ref won the race: update that one
            if attempt or ref is None:
                raise
    raise AssertionError("unreachable")


def _create_or_update(
    tenant: Tenant, payload: dict[str, Any], category: Any, team: Team | None, ref: dict | None, actor: Actor
) -> tuple[Ticket, bool]:
    existing = by_external_ref(tenant, ref["system"], ref["id"]) if ref else None
    if existing is not None:
        fields = {"subject": payload["subject"], "priority": payload["priority"], "tags": payload["tags"]}
        if payload.get("description"):
            fields["description"] = payload["description"]
        if category is not None:
            fields["category"] = category
        return _apply_update(tenant, existing, fields, actor), False
    events: list[TicketEvent] = []
    with write_transaction():
        customer = None
        if payload.get("customer"):
            system = ref["system"] if ref else payload["channel"]
            customer = customers.upsert(tenant, payload["customer"], system)
        now = clock.now()
        values = {
            "tenant": tenant.id,
            "number": _next_number(tenant),
            "subject": payload["subject"].strip(),
            "description": payload["description"],
            "channel": payload["channel"],
            "priority": payload["priority"],
            "status": "new",
            "category": category.id if category else None,
            "team": team.id if team else None,
            "customer": customer.id if customer else None,
            "tags": _unique(payload["tags"]),
            "language": payload.get("language"),
            "external_system": ref["system"] if ref else None,
            "external_id": ref["id"] if ref else None,
            "parent": payload["parent"].id if payload.get("parent") else None,
            "created_at": now,
            "updated_at": now,
        }
        ticket = _insert_ticket.insert(values)
        search.queue(tenant.id, ticket.id)  # postings written by the worker's batch (search settles first)
        ticket.tenant, ticket.category, ticket.team, ticket.customer = tenant, category, team, customer
        events.append(_event(tenant, ticket, "created", actor, {"number": ticket.number, "channel": ticket.channel}))
        delivery.enqueue(tenant, ticket, "acknowledgement")
    dispatch(events, tenant, {ticket.id: ticket})
    return ticket, True


def _unique(tags: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))


# --- changing -----------------------------------------------------------------------------


def update(tenant: Tenant, ticket: Ticket, data: dict[str, Any], actor: Actor) -> Ticket:
    """Change `subject description priority category tags team` (any subset)."""
    payload = load(_update_schema, data, partial=True)
    fields: dict[str, Any] = {}
    for key, value in payload.items():
        if key == "category":
            fields[key] = categories.find(tenant, value) if value else None
        elif key == "team":
            fields[key] = _team(tenant, value)
        else:
            fields[key] = value
    return _apply_update(tenant, ticket, fields, actor)


def _plain(value: Any) -> Any:
    if isinstance(value, peewee.Model):
        return getattr(value, "path", None) or getattr(value, "name", None) or value.id
    return value


def _apply_update(tenant: Tenant, ticket: Ticket, fields: dict[str, Any], actor: Actor) -> Ticket:
    if "tags" in fields:
        fields["tags"] = _unique(fields["tags"])
    if "subject" in fields:
        fields["subject"] = fields["subject"].strip()
    events: list[TicketEvent] = []
    with write_transaction():
        ticket = _locked(ticket.id, ticket.tenant_id)
        changes = {}
        for key, new in fields.items():
            old = getattr(ticket, key)
            if _plain(old) != _plain(new):
                changes[key] = [_plain(old), _plain(new)]
                setattr(ticket, key, new)
        if changes:
            ticket.updated_at = clock.now()
            ticket.save()
            if "subject" in changes or "description" in changes:
                search.reindex(ticket)
            elif "tags" in changes:  # the tags' postings (`search.tag_term`) follow the tags
                search.retag(ticket, changes["tags"][0])
            events.append(_event(tenant, ticket, "updated", actor, {"changes": changes}))
    dispatch(events, tenant, {ticket.id: ticket})
    return ticket


def _ticket_by_id(p: Any, lock: bool) -> Any:
    query = Ticket.select().where((Ticket.id == p("id")) & (Ticket.tenant == p("tenant")))
    return query.for_update() if lock else query


_TICKET_BY_ID = ShapedQuery(_ticket_by_id)
_USER_BY_ID = ShapedQuery(lambda p: User.select().where((User.id == p("id")) & (User.tenant == p("tenant"))))
_ASSIGNABLE = ShapedQuery(
    lambda p: User.select().where((User.id == p("id")) & (User.tenant == p("tenant")) & (User.is_active == True))  # noqa: E712
)
_set_assignee = PreparedStatement(
    "UPDATE {ticket} SET assignee_id = ?, team_id = ?, updated_at = ? WHERE id = ?", ticket=Ticket
)


def _locked(ticket_id: int, tenant_id: int) -> Ticket:
    """The ticket, row-locked on PostgreSQL (SQLite's write transaction locks the database);
    asked within its tenant (one shard on Citus, which locks rows only there)."""
    found = _TICKET_BY_ID.rows((is_postgres(),), {"id": ticket_id, "tenant": tenant_id})
    if not found:
        raise NotFound("no such ticket")
    return found[0]


def _set_status(tenant: Tenant, ticket: Ticket, to: str, actor: Actor) -> TicketEvent:
    old = ticket.status
    now = clock.now()
    ticket.status = to
    ticket.updated_at = now
    if to == "resolved":
        ticket.resolved_at = now
    elif to == "closed":
        ticket.closed_at = now
    elif to == "open" and old == "resolved":
        ticket.resolved_at = None
    ticket.save()
    return _event(tenant, ticket, "status_changed", actor, {"from": old, "to": to})


def transition(tenant: Tenant, ticket: Ticket, to: str, actor: Actor) -> Ticket:
    """Move `ticket` to status `to`; InvalidTransition when the state machine forbids it."""
    events: list[TicketEvent] = []
    with write_transaction():
        ticket = _locked(ticket.id, ticket.tenant_id)
        if to not in TRANSITIONS:
            raise ValidationError("unknown status", {"to": [f"must be one of: {', '.join(TRANSITIONS)}"]})
        if to == ticket.status:
            return ticket
        if to not in TRANSITIONS[ticket.status]:
            allowed = ", ".join(sorted(TRANSITIONS[ticket.status])) or "none (closed is final)"
            raise InvalidTransition(f"cannot move a {ticket.status} ticket to {to}; allowed: {allowed}")
        events.append(_set_status(tenant, ticket, to, actor))
        if to == "resolved":
            delivery.enqueue(tenant, ticket, "resolved")
    dispatch(events, tenant, {ticket.id: ticket})
    return ticket


def comment(
    tenant: Tenant,
    ticket: Ticket,
    body: str,
    actor: Actor,
    *,
    internal: bool = False,
    mentions: Sequence[int] = (),
    from_customer: bool = False,
    author_label: str | None = None,
    author_kind: str | None = None,
    attachment_ids: Sequence[int] = (),
) -> Comment:
    """Add a reply or internal note.

    `author_kind` is `agent`, `customer` or `system`; by default `customer` when
    `from_customer`, else `agent` for a signed-in user and `system` otherwise
    (`author_kind="customer"` implies `from_customer`). An agent's first public reply stamps
    `first_response_at` and opens a `new` ticket; a customer's reply reopens a `pending` or
    `resolved` ticket. A public reply not from the customer is queued for delivery through the
    ticket's channel in the same transaction (see `gongdan.delivery`). `attachment_ids` are
    files already stored on the ticket (`gongdan.attachments.store`) that this comment carries.
    Mentions must be users of the tenant. Closed tickets take no comments.
    """
    if not body or not body.strip():
        raise ValidationError("empty comment", {"body": ["must not be blank"]})
    if len(body) > MAX_COMMENT_LENGTH:
        raise ValidationError("comment too long", {"body": [f"Longer than maximum length {MAX_COMMENT_LENGTH}."]})
    if author_kind is not None and author_kind not in AUTHOR_KINDS:
        raise ValidationError("unknown author kind", {"author_kind": [f"must be one of: {', '.join(AUTHOR_KINDS)}"]})
    from_customer = from_customer or author_kind == "customer"
    if author_kind is None:
        author_kind = "customer" if from_customer else ("agent" if actor.user is not None else "system")
    elif from_customer and author_kind != "customer":
        raise ValidationError("a customer's message has author kind customer", {"author_kind": ["must be customer"]})
    if internal and from_customer:
        raise ValidationError("customers cannot write internal notes", {"internal": ["not for customers"]})
    mention_ids = sorted(set(mentions))
    if mention_ids:
        found = {u.id for u in User.of(tenant).where(User.id.in_(mention_ids))}
        unknown = [str(m) for m in mention_ids if m not in found]
        if unknown:
            raise ValidationError("unknown users mentioned", {"mentions": [f"no user {', '.join(unknown)}"]})
    events: list[TicketEvent] = []
    with write_transaction():
        ticket = _locked(ticket.id, ticket.tenant_id)
        if ticket.status == "closed":
            raise Conflict("the ticket is closed; open a follow-up instead")
        now = clock.now()
        note = Comment.create(
            tenant=tenant,
            ticket=ticket,
            author=None if from_customer else actor.user,
            author_label=author_label or (_customer_label(ticket) if from_customer else actor.label),
            author_kind=author_kind,
            from_customer=from_customer,
            body=body,
            internal=internal,
            mentions=mention_ids,
            created_at=now,
        )
        _attach(tenant, ticket, note, attachment_ids)
        if not internal:
            search.add(tenant.id, ticket.id, body)
        events.append(
            _event(
                tenant,
                ticket,
                "commented",
                actor,
                {
                    "comment_id": note.id,
                    "internal": internal,
                    "from_customer": from_customer,
                    "author_kind": author_kind,
                },
            )
        )
        public_agent_reply = not internal and not from_customer
        if public_agent_reply:
            delivery.enqueue(tenant, ticket, "reply", note)
        if public_agent_reply and ticket.first_response_at is None:
            ticket.first_response_at = now
        reopens = from_customer and ticket.status in ("pending", "resolved")
        if (public_agent_reply and ticket.status == "new") or reopens:
            events.append(_set_status(tenant, ticket, "open", actor))
        ticket.updated_at = now
        ticket.save()
    dispatch(events, tenant, {ticket.id: ticket})
    return note


def _customer_label(ticket: Ticket) -> str:
    """How a customer's message is signed when the channel gave no name: the ticket's customer."""
    customer = ticket.customer if ticket.customer_id else None
    return (customer.name if customer else "") or "customer"


def _attach(tenant: Tenant, ticket: Ticket, note: Comment, attachment_ids: Sequence[int]) -> None:
    """Give `note` the ticket's loose attachments `attachment_ids` (ValidationError otherwise)."""
    ids = sorted(set(attachment_ids))
    if not ids:
        return
    found = list(
        Attachment.select(Attachment.id, Attachment.size).where(
            (Attachment.tenant == tenant)
            & (Attachment.ticket == ticket)
            & Attachment.comment.is_null()
            & Attachment.id.in_(ids)
        )
    )
    unknown = sorted(set(ids) - {a.id for a in found})
    if unknown:
        reason = f"no loose attachment {', '.join(map(str, unknown))} on this ticket"
        raise ValidationError("unknown attachments", {"attachment_ids": [reason]})
    attachments.check_message_size((a.size for a in found), "attachment_ids")
    Attachment.update(comment=note).where(Attachment.id.in_(ids)).execute()


def _assignable(tenant: Tenant, assignee_id: int) -> User:
    found = _ASSIGNABLE.rows((), {"id": assignee_id, "tenant": tenant.id}) if parse_id(assignee_id) else []
    if not found:
        raise ValidationError("unknown assignee", {"assignee_id": [f"no active user {assignee_id} in this tenant"]})
    return found[0]


def assign(
    tenant: Tenant,
    ticket: Ticket,
    assignee_id: int | None,
    actor: Actor,
    *,
    reason: str = "",
    strategy: str = "manual",
    team_id: int | None = None,
    guard: Callable[[], None] | None = None,
) -> Ticket:
    """Assign `ticket` to user `assignee_id` (None: unassign); the event carries strategy and reason.

    An agent may assign only a ticket that is unassigned or their own (`ticket.assign` in
    `gongdan.permissions`; Forbidden otherwise). `guard` runs inside the transaction before
    the write and may raise Conflict to abort.
    """
    assignee = _assignable(tenant, assignee_id) if assignee_id is not None else None
    events: list[TicketEvent] = []
    with write_transaction():
        ticket = _locked(ticket.id, ticket.tenant_id)
        permissions.require(actor, "ticket.assign", ticket)
        if ticket.status == "closed":
            raise Conflict("a closed ticket cannot be reassigned")
        if guard is not None:
            guard()
        previous = ticket.assignee_id
        if previous == assignee_id and (team_id is None or team_id == ticket.team_id):
            return ticket
        ticket.assignee = assignee
        if team_id is not None:
            ticket.team = team_id
        elif assignee is not None and assignee.team_id and ticket.team_id is None:
            ticket.team = assignee.team_id
        ticket.updated_at = clock.now()
        _set_assignee.execute((assignee_id, ticket.team_id, Ticket.updated_at.db_value(ticket.updated_at), ticket.id))
        events.append(
            _event(
                tenant,
                ticket,
                "assigned",
                actor,
                {
                    "from": previous,
                    "to": assignee_id,
                    "strategy": strategy,
                    "reason": reason,
                    "team": ticket.team_id,
                },
            )
        )
    dispatch(events, tenant, {ticket.id: ticket})
    return ticket


def auto_assign(tenant: Tenant, ticket: Ticket, actor: Actor) -> tuple[Ticket, AssignmentDecision]:
    """Ask the tenant's assignment plugin and apply its decision.

    Conflict when no enabled plugin decides. When the decision's guard aborts (capacity
    filled meanwhile) the plugin is asked again, a few times. The actor needs `ticket.assign`.
    """
    permissions.require(actor, "ticket.assign", ticket)
    for _ in range(ASSIGN_ATTEMPTS):
        decision = hooks.assign_ticket(tenant, ticket, actor)
        if decision is None:
            raise Conflict("no assignment strategy is enabled for this tenant")
        if decision.assignee_id is None:
            if decision.team_id is not None and decision.team_id != ticket.team_id:
                ticket = _apply_update(tenant, ticket, {"team": decision.team_id}, actor)
            return ticket, decision
        try:
            ticket = assign(
                tenant,
                ticket,
                decision.assignee_id,
                actor,
                reason=decision.reason,
                strategy=decision.strategy,
                team_id=decision.team_id,
                guard=decision.guard,
            )
            return ticket, decision
        except Conflict:
            ticket = get(tenant, ticket.id)
            if ticket.status == "closed":
                raise
    raise Conflict("the ticket could not be assigned: agents' capacity kept changing, try again")


def link(tenant: Tenant, parent: Ticket, data: dict[str, Any], actor: Actor) -> Ticket:
    """Create a follow-up ticket under `parent` (a task spun off a conversation)."""
    payload = dict(data)
    payload.setdefault("channel", parent.channel)
    child, _ = create(tenant, payload, actor, parent=parent)
    events: list[TicketEvent] = []
    with write_transaction():
        events.append(_event(tenant, parent, "linked", actor, {"child_id": child.id, "child_number": child.number}))
    dispatch(events, tenant, {parent.id: parent})
    return child


def announce_deadline(tenant: Tenant, ticket: Ticket, kind: str, due_at: datetime, source: str) -> None:
    """Record that an outside system set a deadline on `ticket` and tell the tenant's plugins."""
    if kind not in ("first_response", "resolution"):
        raise ValueError("kind must be first_response or resolution")
    with write_transaction():
        _event(
            tenant,
            ticket,
            "deadline.announced",
            Actor.system(f"plugin:{source}"),
            {"kind": kind, "due_at": due_at.isoformat(), "source": source},
        )
    after_commit(lambda: hooks.deadline_announced(tenant, ticket, kind, due_at, source))


def open_count(tenant: Tenant, assignee_id: int) -> int:
    """How many unresolved tickets `assignee_id` holds in `tenant`."""
    return Ticket.of(tenant).where((Ticket.assignee == assignee_id) & Ticket.status.in_(OPEN_STATUSES)).count()


__all__ = [
    "TRANSITIONS",
    "announce_deadline",
    "assign",
    "auto_assign",
    "by_external_ref",
    "comment",
    "create",
    "dispatch",
    "dispatch_mode",
    "dispatch_pending",
    "fire",
    "get",
    "ingesting",
    "link",
    "open_count",
    "pending_work",
    "record_event",
    "transition",
    "update",
]
