"""Merging a duplicate ticket into another, and undoing it within the tenant's window.

`merge(tenant, source, target, actor)` moves the source's conversation (comments, with their
attachments, and its loose attachments) to the target, gives the target the source's followers,
closes the source and links it to the target — in one transaction, with a `merged` event on
each ticket and a `ticket.merged` entry in the audit trail. Each ticket keeps its external id
(a Pinduoduo case stays bound to the ticket it came as: the platform's later pushes and the
case's actions still find it), and the event log is append-only, so events stay where they were.

`undo(tenant, merge_id, actor)` within `Tenant.merge_undo_minutes` moves back what moved (what
was added to the target since stays there), removes the followers the target gained and gives
the source its status and times again.

Who may: `ticket.merge` in `gongdan.permissions` (an agent for tickets unassigned or their own,
a supervisor for any), and both tickets must be in the actor's sight.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gongdan import audit, clock, permissions, search, tickets
from gongdan.actors import Actor
from gongdan.db import is_postgres, write_transaction
from gongdan.errors import Conflict, NotFound, ValidationError
from gongdan.ids import parse_id
from gongdan.models import Attachment, Comment, Tenant, Ticket, TicketEvent, TicketMerge, TicketWatcher

MAX_UNDO_MINUTES = 7 * 24 * 60


def _pair(tenant: Tenant, source_id: Any, target_id: Any, actor: Actor) -> tuple[Ticket, Ticket]:
    """Both tickets, in the actor's sight; ValidationError for the same one twice."""
    source = tickets.get(tenant, source_id, actor)
    try:
        target = tickets.get(tenant, target_id, actor)
    except NotFound:
        raise ValidationError("unknown ticket", {"target_id": [f"no ticket {target_id} here"]}) from None
    if source.id == target.id:
        raise ValidationError("a ticket cannot be merged into itself", {"target_id": ["must be another ticket"]})
    return source, target


def _locked_pair(tenant_id: int, source_id: int, target_id: int) -> tuple[Ticket, Ticket]:
    """Both rows locked, the lower id first (two merges of the same pair cannot deadlock);
    asked within the tenant (Citus locks rows only within one shard)."""
    query = Ticket.select().where((Ticket.tenant == tenant_id) & Ticket.id.in_([source_id, target_id]))
    query = query.order_by(Ticket.id)
    found = {t.id: t for t in (query.for_update() if is_postgres() else query)}
    return found[source_id], found[target_id]


def merged_into(tenant: Tenant, ticket: Ticket) -> TicketMerge | None:
    """The standing (not undone) merge that closed `ticket`, if any."""
    return (
        TicketMerge.of(tenant)
        .where((TicketMerge.source == ticket.id) & TicketMerge.undone_at.is_null())
        .order_by(TicketMerge.merged_at.desc())
        .first()
    )


def survivor(tenant: Tenant, ticket: Ticket) -> Ticket:
    """The ticket that carries `ticket`'s conversation now: itself, or (through standing merges,
    however many) the one it was merged into. Channels send a customer's later messages there."""
    seen = {ticket.id}
    while True:
        record = merged_into(tenant, ticket)
        if record is None or record.target_id in seen or len(seen) > 20:
            return ticket
        following = Ticket.get_or_none((Ticket.id == record.target_id) & (Ticket.tenant == tenant))
        if following is None:
            return ticket
        ticket = following
        seen.add(ticket.id)


def merged_here(tenant: Tenant, ticket: Ticket) -> list[TicketMerge]:
    """The standing merges into `ticket`, newest first."""
    return list(
        TicketMerge.of(tenant)
        .where((TicketMerge.target == ticket.id) & TicketMerge.undone_at.is_null())
        .order_by(TicketMerge.merged_at.desc(), TicketMerge.id.desc())
    )


def merge(tenant: Tenant, source: Ticket | int, target: Ticket | int, actor: Actor) -> TicketMerge:
    """Merge ticket `source` into `target` (the survivor); returns the record `undo` takes.

    Refused (Conflict) when either is closed or the source was itself merged; ValidationError for
    the same ticket twice or an unknown target; Forbidden without `ticket.merge` on both.
    """
    source_id = source.id if isinstance(source, Ticket) else source
    target_id = target.id if isinstance(target, Ticket) else target
    first, second = _pair(tenant, source_id, target_id, actor)
    events: list[TicketEvent] = []
    with write_transaction():
        src, dst = _locked_pair(first.tenant_id, first.id, second.id)
        permissions.require(actor, "ticket.merge", (src, dst))
        if src.status == "closed":
            raise Conflict("this ticket is closed: a closed ticket cannot be merged")
        if dst.status == "closed":
            raise Conflict("the ticket to merge into is closed: choose an open one")
        now = clock.now()
        comment_ids = [c.id for c in Comment.select(Comment.id).where(Comment.ticket == src.id)]
        attachment_ids = [a.id for a in Attachment.select(Attachment.id).where(Attachment.ticket == src.id)]
        theirs = {w.user_id for w in TicketWatcher.select(TicketWatcher.user).where(TicketWatcher.ticket == src.id)}
        ours = {w.user_id for w in TicketWatcher.select(TicketWatcher.user).where(TicketWatcher.ticket == dst.id)}
        gained = sorted(theirs - ours)
        if comment_ids:
            Comment.update(ticket=dst.id).where(Comment.id.in_(comment_ids)).execute()
        if attachment_ids:
            Attachment.update(ticket=dst.id).where(Attachment.id.in_(attachment_ids)).execute()
        for user_id in gained:
            TicketWatcher.insert(tenant=tenant, ticket=dst.id, user=user_id).on_conflict_ignore().execute()
        before = {
            "status": src.status,
            "resolved_at": src.resolved_at.isoformat() if src.resolved_at else None,
            "closed_at": None,
        }
        record = TicketMerge.create(
            tenant=tenant,
            source=src.id,
            target=dst.id,
            actor=actor.user.id if actor.user else None,
            actor_label=actor.label,
            moved={"comments": comment_ids, "attachments": attachment_ids, "watchers": gained},
            before=before,
            merged_at=now,
            undo_until=now + timedelta(minutes=tenant.merge_undo_minutes),
        )
        events.append(tickets._set_status(tenant, src, "closed", actor))
        dst.updated_at = now
        dst.save(only=[Ticket.updated_at])
        counts = {"comments": len(comment_ids), "attachments": len(attachment_ids), "merge_id": record.id}
        into = {"into_id": dst.id, "into_number": dst.number, "into": f"#{dst.number} {dst.subject}"}
        came = {"from_id": src.id, "from_number": src.number, "from": f"#{src.number} {src.subject}"}
        tickets.record_event(tenant, src, "merged", {**into, **counts}, actor)
        tickets.record_event(tenant, dst, "merged_in", {**came, **counts}, actor)
        audit.record(
            tenant,
            "ticket.merged",
            actor,
            data={"merge_id": record.id, "from_number": src.number, "into_number": dst.number, **counts},
        )
        search.reindex(src)
        search.reindex(dst)
    tickets.dispatch(events, tenant, {src.id: src})
    return record


def get(tenant: Tenant, merge_id: Any) -> TicketMerge:
    """The tenant's merge record `merge_id` (NotFound otherwise)."""
    found = parse_id(merge_id)
    record = TicketMerge.get_or_none((TicketMerge.id == found) & (TicketMerge.tenant == tenant)) if found else None
    if record is None:
        raise NotFound("no such merge")
    return record


def can_undo(record: TicketMerge) -> bool:
    """Whether `record` still stands and its window is open (permissions aside)."""
    return record.undone_at is None and clock.now() <= record.undo_until


def undo(tenant: Tenant, merge_id: Any, actor: Actor) -> TicketMerge:
    """Undo merge `merge_id`: what moved goes back, the source gets its status and times again.

    Conflict when it was undone already, its window has passed, or the source was reopened or
    merged again meanwhile; Forbidden without `ticket.merge` on both tickets.
    """
    record = get(tenant, merge_id)
    source, target = _pair(tenant, record.source_id, record.target_id, actor)
    events: list[TicketEvent] = []
    with write_transaction():
        record = TicketMerge.get_by_id(record.id)
        src, dst = _locked_pair(source.tenant_id, source.id, target.id)
        permissions.require(actor, "ticket.merge", (src, dst))
        if record.undone_at is not None:
            raise Conflict("this merge was undone already")
        if clock.now() > record.undo_until:
            raise Conflict("the time to undo this merge has passed")
        if src.status != "closed":
            raise Conflict("the merged ticket was changed since: it cannot be restored")
        moved = record.moved or {}
        if moved.get("comments"):
            Comment.update(ticket=src.id).where(
                Comment.id.in_(moved["comments"]) & (Comment.ticket == dst.id)
            ).execute()
        if moved.get("attachments"):
            Attachment.update(ticket=src.id).where(
                Attachment.id.in_(moved["attachments"]) & (Attachment.ticket == dst.id)
            ).execute()
        if moved.get("watchers"):
            TicketWatcher.delete().where(
                (TicketWatcher.tenant == tenant)
                & (TicketWatcher.ticket == dst.id)
                & TicketWatcher.user.in_(moved["watchers"])
            ).execute()
        before = record.before or {}
        previous = before.get("status") or "open"
        events.append(tickets._set_status(tenant, src, previous, actor))
        src.closed_at = None
        resolved_at = before.get("resolved_at")
        src.resolved_at = datetime.fromisoformat(resolved_at) if resolved_at else None
        src.save(only=[Ticket.closed_at, Ticket.resolved_at])
        now = clock.now()
        record.undone_at = now
        record.save(only=[TicketMerge.undone_at])
        dst.updated_at = now
        dst.save(only=[Ticket.updated_at])
        data = {
            "merge_id": record.id,
            "from_number": src.number,
            "into_number": dst.number,
            "from": f"#{src.number} {src.subject}",
            "into": f"#{dst.number} {dst.subject}",
        }
        tickets.record_event(tenant, src, "merge_undone", {"into_id": dst.id, **data}, actor)
        tickets.record_event(tenant, dst, "merge_undone", {"from_id": src.id, **data}, actor)
        audit.record(tenant, "ticket.merge_undone", actor, data=data)
        search.reindex(src)
        search.reindex(dst)
    tickets.dispatch(events, tenant, {src.id: src})
    return record


def set_undo_window(tenant: Tenant, minutes: Any, actor: Actor) -> int:
    """Set how long a merge may be undone (0 to a week, in minutes); needs `tenant.settings`, audited."""
    permissions.require(actor, "tenant.settings")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= MAX_UNDO_MINUTES:
        raise ValidationError(
            "invalid undo window", {"merge_undo_minutes": [f"must be a whole number from 0 to {MAX_UNDO_MINUTES}"]}
        )
    old = tenant.merge_undo_minutes
    if old != minutes:
        with write_transaction():
            Tenant.update(merge_undo_minutes=minutes).where(Tenant.id == tenant.id).execute()
            changes = {"merge_undo_minutes": [old, minutes]}
            audit.record(tenant, "tenant.settings_changed", actor, data={"changes": changes})
        tenant.merge_undo_minutes = minutes
    return minutes


def as_dict(record: TicketMerge) -> dict[str, Any]:
    """A merge record as the API shows it."""
    moved = record.moved or {}
    return {
        "id": record.id,
        "source_id": record.source_id,
        "target_id": record.target_id,
        "comments": len(moved.get("comments", [])),
        "attachments": len(moved.get("attachments", [])),
        "watchers": len(moved.get("watchers", [])),
        "merged_at": record.merged_at.isoformat(),
        "undo_until": record.undo_until.isoformat(),
        "undone_at": record.undone_at.isoformat() if record.undone_at else None,
        "can_undo": can_undo(record),
    }


__all__ = [
    "MAX_UNDO_MINUTES",
    "as_dict",
    "can_undo",
    "get",
    "merge",
    "merged_here",
    "merged_into",
    "set_undo_window",
    "survivor",
    "undo",
]
