"""Approvals: an approval rule holds a ticket action until a user of the approver role decides.

Approvers are the tenant's active users holding the approver role (or above) — of the approver
team when one is set, though an admin may decide any. Each hears of a new approval through the
console's bell (`gongdan.inbox`, kind `approval`, in the approver's language) and by e-mail when
a notification transport named `email` is registered (the SLA plugin's, with the tenant's SMTP
settings; as `gongdan.mention_mail` does); whoever asked hears of the decision the same ways.

The core asks `gongdan_action_gate` before running any action; when an active approval rule
for that action matches the ticket, the run is held and an `Approval` row is written. Approving
runs the action once (a conditional update from `pending` decides who won), as the approver,
ungated; rejecting or expiring does not run it. Every step is an event on the ticket's timeline.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gongdan import actions, clock, hooks, inbox, permissions, tickets
from gongdan.actors import Actor
from gongdan.contributions import ActionHeld, Notification, TicketAction
from gongdan.db import write_transaction
from gongdan.errors import Conflict, Forbidden, GongdanError, NotFound, ValidationError
from gongdan.ids import parse_id
from gongdan.models import Team, Tenant, Ticket, User
from gongdan.permissions import ROLE_RANK
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
            data = {
                "approval_id": approval.id,
                "approver_role": rule.approver_role,
                "approver_team": rule.approver_team,
            }
            return ActionHeld(rule.name, data)
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
    approver_team: int | None = None,
    expires_hours: int = DEFAULT_EXPIRY_HOURS,
) -> Approval:
    """Write a pending approval of `action` on `ticket` (from a rule, a trigger or the API) and
    tell its approvers through the bell."""
    role = rule.approver_role if rule else approver_role
    team = rule.approver_team if rule else approver_team
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
            approver_team=team,
            expires_at=clock.now() + timedelta(hours=hours),
        )
        data = {"approval_id": approval.id, "action": action, "reason": reason, "approver_role": role}
        if team is not None:
            data["approver_team"] = team
        tickets.record_event(tenant, ticket, "automation.approval_requested", data, actor)
    _tell(tenant, ticket, approvers(tenant, role, team), "requested", action, actor)
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


def team_of(tenant: Tenant, team_id: Any) -> int | None:
    """`team_id` checked to be one of the tenant's teams (None stays None); 422 otherwise."""
    if team_id is None:
        return None
    key = parse_id(team_id)
    if not key or not Team.of(tenant).where(Team.id == key).exists():
        raise ValidationError("invalid approval", {"approver_team": ["no such team in this tenant"]})
    return key


def approvers(tenant: Tenant, role: str, team: int | None = None) -> list[User]:
    """The tenant's active users who may decide an approval for `role` (and `team`), by id."""
    ranked = [name for name in ROLE_RANK if permissions.rank(name) >= permissions.rank(role)]
    query = User.of(tenant).where((User.is_active == True) & User.role.in_(ranked))  # noqa: E712
    if team is not None:
        query = query.where((User.team == team) | (User.role == "admin"))
    return list(query.order_by(User.id))


def may_decide(user: User | None, approval: Approval) -> bool:
    """Whether `user` holds the approval's approver role (or above) and, when the approval names
    a team, belongs to it (an admin decides any)."""
    if user is None or not permissions.has_role(user, approval.approver_role):
        return False
    team = approval.approver_team_id
    return team is None or user.team_id == team or permissions.has_role(user, "admin")


BELL_TEXTS = {
    "requested": (
        "待您审批：{action} · #{number} {subject} · {who}",
        "Approval needed: {action} · #{number} {subject} · {who}",
    ),
    "approved": (
        "审批已通过：{action} · #{number} {subject} · {who}",
        "Approved: {action} · #{number} {subject} · {who}",
    ),
    "rejected": (
        "审批被拒绝：{action} · #{number} {subject} · {who}",
        "Rejected: {action} · #{number} {subject} · {who}",
    ),
}


MAIL_TAIL = ("请在控制台的通知或工单页面处理。", "Decide it from the console's notifications or the ticket's page.")


def person(label: str, user: User | None, language: str) -> str:
    """Who acted, as people read it: a user's name; for `plugin:NAME[:what]` the plugin's label
    (and what of it, e.g. the rule); for `channel:NAME` the channel; 系统 / system otherwise."""
    if user is not None:
        return user.display_name
    from gongdan.plugins import get_host

    zh = language.startswith("zh")
    kind, _, rest = label.partition(":")
    if kind == "plugin":
        name, _, what = rest.partition(":")
        record = get_host().records.get(name)
        shown = (record.as_dict()["label_zh" if zh else "label"] if record else name) or name
        return f"{shown} · {what}" if what else shown
    if kind == "channel" and rest:
        return rest
    return "系统" if zh else "system"


def _tell(tenant: Tenant, ticket: Ticket, users: list[User], what: str, action: str, actor: Actor) -> None:
    """An `approval` item in each user's bell and an e-mail, in their language (the tenant's when
    unset); after the change is committed."""
    registered = actions.registered().get(action)
    by_language: dict[str, list[int]] = {}
    for user in users:
        language = "zh" if (user.language or tenant.language or "zh").startswith("zh") else "en"
        by_language.setdefault(language, []).append(user.id)
    mail = hooks.notification_transports().get("email")
    for language, ids in by_language.items():
        label = registered[1].label(language) if registered else action
        zh = language == "zh"
        who = person(actor.label, actor.user, language)
        text = BELL_TEXTS[what][0 if zh else 1].format(
            action=label, number=ticket.number, subject=ticket.subject, who=who
        )
        inbox.add(tenant, ids, "approval", text, ticket)
        if mail is not None:
            body = f"{text}\n\n{MAIL_TAIL[0 if zh else 1]}"
            note = Notification(tenant.id, ids, f"approval_{what}", text, body, ticket_id=ticket.id)
            try:
                mail.send(note)
            except Exception as exc:  # noqa: BLE001 - the bell told them; the failure is recorded
                from gongdan.plugins import get_host

                get_host().record_failure(engine.PLUGIN, tenant, "automation.approval_mail", exc)


def decide(tenant: Tenant, approval_id: Any, user: User, approve: bool, reason: str = "") -> Approval:
    """Approve (the action runs once, as `user`) or reject; Forbidden / Conflict when not possible."""
    approval = get(tenant, approval_id)
    if not may_decide(user, approval):
        if approval.approver_team_id is not None and permissions.has_role(user, approval.approver_role):
            raise Forbidden(f"deciding this approval needs the {approval.approver_role} role in its team")
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
            # in the decision's transaction: a process that dies before the commit leaves the
            # approval pending and the action not run — never approved without its run, never run twice
            _run(tenant, approval, user)
    asker = [approval.requested_by] if approval.requested_by_id and approval.requested_by_id != user.id else []
    _tell(tenant, approval.ticket, asker, status, approval.action, Actor.of(user))
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
        "approver_team": approval.approver_team_id,
        "status": approval.status,
        "decided_by": approval.decided_by_id,
        "decided_at": iso(approval.decided_at),
        "decision_reason": approval.decision_reason,
        "result": approval.result,
        "expires_at": iso(approval.expires_at),
        "created_at": iso(approval.created_at),
    }
