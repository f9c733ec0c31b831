"""Approvals: an approval rule holds a ticket action until a user of the approver role decides.

The core asks `gongdan_action_gate` before running any action; when an active approval rule
for that action matches the ticket, the run is held and an `Approval` row is written. Approving
runs the action once (a conditional update from `pending` decides who won), as the approver,
ungated; rejecting or expiring does not run it. Every step is an event on the ticket's timeline.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gongdan import actions, clock, permissions, tickets
from gongdan.actors import Actor
from gongdan.contributions import ActionHeld, TicketAction
from gongdan.db import write_transaction
from gongdan.errors import Conflict, Forbidden, GongdanError, NotFound
from gongdan.ids import parse_id
from gongdan.models import Tenant, Ticket, User
from gongdan.representation import iso

from . import engine, rules
from .models import Approval, Rule

DEFAULT_EXPIRY_HOURS = 24


def gate(tenant: Tenant, ticket: Ticket, action: TicketAction, inputs: dict[str, Any], actor: Actor) -> Any:
    """Hold `action` when an approval rule for it matches `ticket` (the core's gate hook)."""
    found = rules.active(tenant, "approval", action.name)
    if not found:
        return None
    seen = engine.facts(tenant, ticket, "action")
    for rule in found:
        if rule.matches(seen):
            approval = request(tenant, ticket, action.name, inputs, actor, rule=rule, reason=rule.name)
            return ActionHeld(rule.name, {"approval_id": approval.id, "approver_role": rule.approver_role})
    return None


def request(
    tenant: Tenant,
    ticket: Ticket,
    action: str,
    inputs: dict[str, Any],
    actor: Actor,
    *,
    rule: rules.Compiled | None = None,
    reason: str = "",
    approver_role: str = "supervisor",
    expires_hours: int = DEFAULT_EXPIRY_HOURS,
) -> Approval:
    """Write a pending approval of `action` on `ticket` (from a rule, a trigger or the API)."""
    role = rule.approver_role if rule else approver_role
    hours = rule.expires_hours if rule else expires_hours
    with write_transaction():
        approval = Approval.create(
            tenant=tenant,
            ticket=ticket.id,
            rule=rule.id if rule else None,
            action=action,
            inputs=inputs,
            reason=reason,
            requested_by=actor.user,
            requested_label=actor.label,
            approver_role=role,
            expires_at=clock.now() + timedelta(hours=hours),
        )
        data = {"approval_id": approval.id, "action": action, "reason": reason, "approver_role": role}
        tickets.record_event(tenant, ticket, "automation.approval_requested", data, actor)
    if rule is not None:
        Rule.update(last_fired_at=clock.now(), fired_count=Rule.fired_count + 1).where(Rule.id == rule.id).execute()
    return approval


def get(tenant: Tenant, approval_id: Any) -> Approval:
    """The tenant's approval; NotFound otherwise."""
    key = parse_id(approval_id)
    found = Approval.get_or_none((Approval.id == key) & (Approval.tenant == tenant)) if key else None
    if found is None:
        raise NotFound("no such approval")
    return found


def may_decide(user: User | None, approval: Approval) -> bool:
    """Whether `user` holds the approval's approver role (or above)."""
    return user is not None and permissions.has_role(user, approval.approver_role)


def decide(tenant: Tenant, approval_id: Any, user: User, approve: bool, reason: str = "") -> Approval:
    """Approve (the action runs once, as `user`) or reject; Forbidden / Conflict when not possible."""
    approval = get(tenant, approval_id)
    if not may_decide(user, approval):
        raise Forbidden(f"deciding this approval needs the {approval.approver_role} role")
    expire_due(tenant)
    status = "approved" if approve else "rejected"
    now = clock.now()
    with write_transaction():
        won = (
            Approval.update(status=status, decided_by=user.id, decided_at=now, decision_reason=reason)
            .where((Approval.id == approval.id) & (Approval.status == "pending"))
            .execute()
        )
        if not won:
            current = Approval.get_by_id(approval.id).status
            raise Conflict(f"this approval is already {current}")
        data = {"approval_id": approval.id, "action": approval.action, "reason": reason}
        tickets.record_event(tenant, approval.ticket, f"automation.approval_{status}", data, Actor.of(user))
    if approve:
        _run(tenant, approval, user)
    return Approval.get_by_id(approval.id)


def _run(tenant: Tenant, approval: Approval, user: User) -> None:
    ticket = Ticket.get_by_id(approval.ticket_id)
    source = f"approval:{approval.id}"
    try:
        outcome = actions.run(
            tenant, ticket, approval.action, approval.inputs, Actor.of(user), source=source, gate=False
        )
        result, status = {"outcome": "ok", "result": outcome["result"]}, "approved"
    except GongdanError as exc:
        result, status = {"outcome": "failed", "error": exc.message}, "failed"
    Approval.update(result=result, status=status).where(Approval.id == approval.id).execute()


def expire_due(tenant: Tenant) -> int:
    """Mark the tenant's pending approvals past their time expired (an event each)."""
    now = clock.now()
    due = list(Approval.of(tenant).where((Approval.status == "pending") & (Approval.expires_at <= now)).limit(1000))
    expired = 0
    for approval in due:
        with write_transaction():
            if (
                Approval.update(status="expired")
                .where((Approval.id == approval.id) & (Approval.status == "pending"))
                .execute()
            ):
                data = {"approval_id": approval.id, "action": approval.action}
                tickets.record_event(
                    tenant, approval.ticket, "automation.approval_expired", data, Actor.system("automation")
                )
                expired += 1
    return expired


def expiry_job() -> None:
    """Every tenant with the plugin on: expire its overdue approvals."""
    from gongdan.plugins import get_host

    host = get_host()
    for tenant in host.tenants_with(engine.PLUGIN):
        try:
            expire_due(tenant)
        except Exception as exc:  # noqa: BLE001 - recorded as the plugin's failure
            host.record_failure(engine.PLUGIN, tenant, "automation.approvals", exc)


def pending_for(tenant: Tenant, ticket: Ticket) -> list[Approval]:
    """The ticket's pending approvals, oldest first."""
    return list(
        Approval.of(tenant).where((Approval.ticket == ticket.id) & (Approval.status == "pending")).order_by(Approval.id)
    )


def as_dict(approval: Approval) -> dict[str, Any]:
    """The approval for the API (secret inputs masked)."""
    registered = actions.registered().get(approval.action)
    inputs = actions.masked(registered[1].schema(), approval.inputs) if registered else approval.inputs
    return {
        "id": approval.id,
        "ticket_id": approval.ticket_id,
        "rule_id": approval.rule_id,
        "action": approval.action,
        "inputs": inputs,
        "reason": approval.reason,
        "requested_by": approval.requested_label,
        "approver_role": approval.approver_role,
        "status": approval.status,
        "decided_by": approval.decided_by_id,
        "decided_at": iso(approval.decided_at),
        "decision_reason": approval.decision_reason,
        "result": approval.result,
        "expires_at": iso(approval.expires_at),
        "created_at": iso(approval.created_at),
    }
