"""The sweep: find the tickets whose next threshold has come, fire each threshold exactly once.

Due rows are found through the `(tenant, next_check_at)` index. Each warning, breach and
escalation level is claimed by inserting a unique `SlaFired` row together with its audit
event; only the worker whose insert succeeded notifies and acts, so two workers sweeping at
once (or a retried job) never fire anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gongdan import clock, tickets
from gongdan.contributions import Notification
from gongdan.db import write_transaction
from gongdan.errors import GongdanError
from gongdan.models import PRIORITIES, Tenant, Ticket
from gongdan.plugins import get_host
from gongdan.statements import PreparedStatement

from . import engine, messages, notify
from .clocks import Point
from .models import SlaFired, SlaPolicy, SlaTicket
from .policies import calendar_for

BATCH = 500
_insert_fired = PreparedStatement(
    'INSERT INTO {fired} (tenant_id, ticket_id, "key", "at") VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    fired=SlaFired,
)


@dataclass(frozen=True)
class Firing:
    """One threshold that fired (or, in a dry run, would fire)."""

    tenant: str
    ticket_id: int
    number: int
    key: str
    kind: str
    target: str
    level: int
    at: datetime

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {**self.__dict__, "at": self.at.isoformat()}


def sweep_all(at: datetime | None = None, *, dry_run: bool = False) -> list[Firing]:
    """Sweep every tenant where the plugin is enabled."""
    found: list[Firing] = []
    for tenant in get_host().tenants_with(notify.PLUGIN):
        found.extend(sweep_tenant(tenant, at, dry_run=dry_run))
    return found


def due_rows(tenant: Tenant, at: datetime, after: tuple[datetime, int] | None, limit: int = BATCH) -> list[SlaTicket]:
    """Rows whose next check is at or before `at`, in order, after the keyset position `after`."""
    query = SlaTicket.of(tenant).where(SlaTicket.next_check_at <= at)
    if after is not None:
        query = query.where(
            (SlaTicket.next_check_at > after[0]) | ((SlaTicket.next_check_at == after[0]) & (SlaTicket.id > after[1]))
        )
    return list(query.order_by(SlaTicket.next_check_at, SlaTicket.id).limit(limit))


def sweep_tenant(
    tenant: Tenant, at: datetime | None = None, *, dry_run: bool = False, max_tickets: int | None = None
) -> list[Firing]:
    """Fire (or with `dry_run` only list) every threshold of the tenant reached by `at` (default now).

    `max_tickets` bounds one run (the rest stay due and the next run takes them).
    """
    now = at or clock.now()
    budget = max_tickets if max_tickets is not None else float("inf")
    run = Run(tenant, {p.id: p for p in SlaPolicy.of(tenant)}, notify.Directory(tenant))
    found: list[Firing] = []
    after = None
    while budget > 0 and (rows := due_rows(tenant, now, after, int(min(BATCH, budget)))):
        budget -= len(rows)
        after = (rows[-1].next_check_at, rows[-1].id)
        ids = [row.ticket_id for row in rows]
        fired = engine.fired_keys(ids)
        by_id = {t.id: t for t in Ticket.select().where(Ticket.id.in_(ids))}
        for row in rows:
            ticket = by_id[row.ticket_id]
            policy = run.policies.get(row.policy_id)
            cal = calendar_for(tenant, policy.calendar if policy else None)
            points = sorted(
                (p for p in engine.plan(row, policy, cal) if p.at <= now and p.key not in fired[row.ticket_id]),
                key=lambda p: (p.at, p.key),
            )
            firings = [
                Firing(tenant.slug, ticket.id, ticket.number, p.key, p.kind, p.target, p.level, p.at) for p in points
            ]
            if dry_run:
                found.extend(firings)
                continue
            fired_now = fire(run, ticket, policy, points, fired[row.ticket_id])
            found.extend(f for f in firings if f.key in fired_now)
    if not dry_run:
        notify.retry_due(tenant)
    return found


@dataclass
class Run:
    """What one sweep of a tenant loads once: the tenant's policies and who to notify."""

    tenant: Tenant
    policies: dict[int, SlaPolicy]
    directory: notify.Directory


def fire(run: Run, ticket: Ticket, policy: SlaPolicy | None, points: list[Point], before: set[str]) -> set[str]:
    """Claim, audit and notify the ticket's due thresholds in one transaction, then act on the ticket.

    `before` are the keys the ticket had fired. Returns the keys this call fired (another
    worker may have fired the rest).
    """
    tenant, directory = run.tenant, run.directory
    claimed: list[tuple[Point, list[str]]] = []
    with write_transaction():
        for point in points:
            if claim(tenant, ticket, point, policy):
                actions = actions_for(policy, point, ticket)
                note = _notification(tenant, ticket, point, recipients(directory, ticket, actions), actions)
                notify.send(tenant, note, directory.settings)
                claimed.append((point, actions))
        fired = before | {point.key for point in points}  # ours or another worker's: all fired now
        engine.change(tenant, ticket, _nothing, create=False, policies=run.policies, fired=fired)
    for _, actions in claimed:
        if "raise_priority" in actions:
            _raise_priority(tenant, ticket)
        if "reassign" in actions:
            _reassign(tenant, ticket)
    return {point.key for point, _ in claimed}


def _nothing(*_: object) -> engine.Events:
    return []


def claim(tenant: Tenant, ticket: Ticket, point: Point, policy: SlaPolicy | None = None) -> bool:
    """Record that `point` fired, with its audit event, unless it already had; True if this call did.

    The event names the ticket's `policy`, so the timeline can say which policy's target it was.

    Call it inside a transaction: the claim, the event and the notifications commit together.
    """
    at = SlaFired.at.db_value(clock.now())
    if _insert_fired.execute((tenant.id, ticket.id, point.key, at)).rowcount != 1:
        return False
    data = {"target": point.target, "level": point.level, "at": point.at.isoformat(), "key": point.key}
    if policy is not None:
        data["policy"] = policy.name
    tickets.record_event(tenant, ticket, f"sla.{point.kind}", data, engine.SYSTEM)
    return True


def actions_for(policy: SlaPolicy | None, point: Point, ticket: Ticket) -> list[str]:
    """What a threshold does: warnings tell the assignee (or the supervisors when there is none),
    breaches the assignee and supervisors, escalation levels what the policy lists."""
    if point.kind == "warning":
        return ["notify_assignee"] if ticket.assignee_id else ["notify_supervisor"]
    if point.kind == "breach":
        return ["notify_assignee", "notify_supervisor"]
    if policy is None or point.level > len(policy.escalations):
        return []
    return list(policy.escalations[point.level - 1]["actions"])


def recipients(directory: notify.Directory, ticket: Ticket, actions: list[str]) -> list[int]:
    """User ids the `notify_*` actions name, each once."""
    found: list[int] = []
    if "notify_assignee" in actions and ticket.assignee_id:
        found.append(ticket.assignee_id)
    if "notify_supervisor" in actions:
        found.extend(directory.supervisors(ticket))
    if "notify_admin" in actions:
        found.extend(directory.admins())
    return list(dict.fromkeys(found))


def _notification(
    tenant: Tenant, ticket: Ticket, point: Point, recipients: list[int], actions: list[str]
) -> Notification:
    subject, body = messages.compose(
        tenant, point.kind, point.target, point.level, point.at, ticket.number, ticket.subject, chinese=False
    )
    data = {
        "target": point.target,
        "level": point.level,
        "at": point.at.isoformat(),
        "actions": actions,
        "number": ticket.number,
        "ticket_subject": ticket.subject,
    }
    return Notification(
        tenant_id=tenant.id,
        recipient_ids=recipients,
        kind=f"sla.{point.kind}",
        subject=subject,
        body=body,
        ticket_id=ticket.id,
        data=data,
    )


def _raise_priority(tenant: Tenant, ticket: Ticket) -> None:
    current = tickets.get(tenant, ticket.id)
    index = PRIORITIES.index(current.priority) if current.priority in PRIORITIES else 0
    if index + 1 < len(PRIORITIES):
        tickets.update(tenant, current, {"priority": PRIORITIES[index + 1]}, engine.SYSTEM)


def _reassign(tenant: Tenant, ticket: Ticket) -> None:
    if not get_host().is_enabled(tenant, "assignment"):
        tickets.record_event(
            tenant,
            ticket,
            "sla.action_skipped",
            {"action": "reassign", "reason": "assignment plugin disabled"},
            engine.SYSTEM,
        )
        return
    try:
        tickets.auto_assign(tenant, tickets.get(tenant, ticket.id), engine.SYSTEM)
    except GongdanError as exc:
        tickets.record_event(
            tenant, ticket, "sla.action_skipped", {"action": "reassign", "reason": exc.message}, engine.SYSTEM
        )
