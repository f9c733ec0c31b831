"""REST routes under `/api/v1/automation/`: rules (with dry runs and history), macros, approvals."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields, validate

from gongdan import actions, tickets
from gongdan.api.common import api_route, current_actor, current_tenant, current_user
from gongdan.representation import iso
from gongdan.validation import load

from . import approvals, engine, macros, ordering, rules, webhooks
from .conditions import FIELDS, OPERATORS
from .models import APPROVAL_STATES, RULE_KINDS, Approval, RuleRun, Subscription, WebhookDelivery

PLUGIN = "automation"
bp = Blueprint("automation_api", __name__, url_prefix="/api/v1/automation")


class RuleInSchema(Schema):
    """A rule: conditions `[{"field", "op", "value"}]`, actions `[{"action", "inputs"}]`."""

    kind = fields.String(required=True, validate=validate.OneOf(RULE_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    position = fields.Integer(load_default=100)
    active = fields.Boolean(load_default=True)
    event = fields.String(load_default="", validate=validate.Length(max=64))
    match = fields.String(load_default="all", validate=validate.OneOf(["all", "any"]))
    conditions = fields.List(fields.Dict(), load_default=list)
    actions = fields.List(fields.Dict(), load_default=list)
    action = fields.String(load_default="", validate=validate.Length(max=100))
    approver_role = fields.String(load_default="supervisor")
    approver_team = fields.Integer(load_default=None, allow_none=True)
    expires_hours = fields.Integer(load_default=24, validate=validate.Range(min=1, max=24 * 30))


class RulePatchSchema(Schema):
    """Any of a rule's fields but its kind."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    position = fields.Integer()
    active = fields.Boolean()
    event = fields.String(validate=validate.Length(max=64))
    match = fields.String(validate=validate.OneOf(["all", "any"]))
    conditions = fields.List(fields.Dict())
    actions = fields.List(fields.Dict())
    action = fields.String(validate=validate.Length(max=100))
    approver_role = fields.String()
    approver_team = fields.Integer(allow_none=True)
    expires_hours = fields.Integer(validate=validate.Range(min=1, max=24 * 30))


class DryRunSchema(Schema):
    """The ticket to try the rule on, and optionally the event."""

    ticket_id = fields.Integer(required=True)
    event = fields.String(load_default=None, allow_none=True)


class MacroInSchema(Schema):
    """A macro: name, zh/en reply templates, actions, shared or personal."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    body_zh = fields.String()
    body_en = fields.String()
    actions = fields.List(fields.Dict())
    shared = fields.Boolean()
    active = fields.Boolean()


class ApplySchema(Schema):
    """Apply a macro to a ticket, in a language."""

    ticket_id = fields.Integer(required=True)
    language = fields.String(load_default="zh", validate=validate.OneOf(["zh", "en"]))


class DecisionSchema(Schema):
    """Why the approval was decided so."""

    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class ApprovalInSchema(Schema):
    """Ask for an approval of an action on a ticket."""

    ticket_id = fields.Integer(required=True)
    action = fields.String(required=True)
    inputs = fields.Dict(load_default=dict)
    reason = fields.String(load_default="", validate=validate.Length(max=1000))
    approver_role = fields.String(load_default="supervisor", validate=validate.OneOf(["supervisor", "admin"]))
    approver_team = fields.Integer(load_default=None, allow_none=True)
    expires_hours = fields.Integer(load_default=24, validate=validate.Range(min=1, max=24 * 30))


class ApprovalQuerySchema(Schema):
    """Filters of the approvals list."""

    status = fields.String(load_default="pending", validate=validate.OneOf([*APPROVAL_STATES, "all"]))
    ticket_id = fields.Integer(load_default=None)


@api_route(bp, "/fields", plugin=PLUGIN, tags=("automation",))
def list_fields() -> dict[str, Any]:
    """The condition fields, operators and trigger events rules can use (plugin fields are `plugin.key`;
    events include the event kinds of the plugins enabled in the tenant, e.g. `pdd_connector.request_received`)."""
    events = rules.events_offered(current_tenant())
    return {
        "fields": [{"name": k, "kind": v[0], "label_zh": v[1], "label_en": v[2]} for k, v in FIELDS.items()],
        "operators": [{"name": k, "label_zh": v[0], "label_en": v[1]} for k, v in OPERATORS.items()],
        "events": [{"name": k, "label_zh": zh, "label_en": en} for k, zh, en in events],
    }


@api_route(bp, "/rules", plugin=PLUGIN, role="supervisor", tags=("automation",))
def list_rules() -> dict[str, Any]:
    """Every rule of the tenant, by kind and position."""
    rows = rules.Rule.of(current_tenant()).order_by(rules.Rule.kind, rules.Rule.position, rules.Rule.id)
    return {"items": [rules.as_dict(r) for r in rows]}


@api_route(bp, "/rules", ["POST"], plugin=PLUGIN, role="admin", body=RuleInSchema, status=201, tags=("automation",))
def create_rule(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create a rule (admins); 422 names each bad condition or action (`conditions.0.op`)."""
    kind = body.pop("kind")
    return rules.as_dict(rules.create(current_tenant(), kind, body)), 201


class RuleOrderSchema(Schema):
    """The new order of one kind's rules: every rule id of that kind, once, first to last."""

    kind = fields.String(required=True, validate=validate.OneOf(RULE_KINDS))
    ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=1000))


class MacroOrderSchema(Schema):
    """The new order of the macros: ids first to last (others keep their place after them)."""

    ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=1000))


@api_route(bp, "/rules/order", ["PUT"], plugin=PLUGIN, role="admin", body=RuleOrderSchema, tags=("automation",))
def order_rules(body: dict[str, Any]) -> dict[str, Any]:
    """Reorder one kind's rules (positions become 10, 20, ...); 409 when the list is not exactly that kind's rules."""
    positions = ordering.reorder_rules(current_tenant(), body["kind"], body["ids"])
    return {"items": [{"id": k, "position": v} for k, v in positions.items()]}


@api_route(bp, "/macros/order", ["PUT"], plugin=PLUGIN, role="supervisor", body=MacroOrderSchema, tags=("automation",))
def order_macros(body: dict[str, Any]) -> dict[str, Any]:
    """Reorder the macros (the ticket page's menu follows this order); 409 for an unknown id."""
    positions = ordering.reorder_macros(current_tenant(), body["ids"])
    return {"items": [{"id": k, "position": v} for k, v in positions.items()]}


@api_route(bp, "/rules/<rule_id>", plugin=PLUGIN, role="supervisor", tags=("automation",))
def get_rule(rule_id: str) -> dict[str, Any]:
    """One rule."""
    return rules.as_dict(rules.get(current_tenant(), rule_id))


@api_route(bp, "/rules/<rule_id>", ["PATCH"], plugin=PLUGIN, role="admin", body=RulePatchSchema, tags=("automation",))
def patch_rule(rule_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Change a rule (a new revision); `active` switches it on or off, `position` orders it."""
    tenant = current_tenant()
    return rules.as_dict(rules.update(tenant, rules.get(tenant, rule_id), body))


@api_route(bp, "/rules/<rule_id>", ["DELETE"], plugin=PLUGIN, role="admin", tags=("automation",))
def delete_rule(rule_id: str) -> tuple[dict[str, Any], int]:
    """Delete a rule and its history."""
    tenant = current_tenant()
    rules.delete(tenant, rules.get(tenant, rule_id))
    return {}, 200


@api_route(
    bp,
    "/rules/<rule_id>/dry-run",
    ["POST"],
    plugin=PLUGIN,
    role="supervisor",
    body=DryRunSchema,
    tags=("automation",),
)
def dry_run(rule_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the rule would do to a real ticket now, without doing it: each condition's value and verdict."""
    tenant = current_tenant()
    ticket = tickets.get(tenant, body["ticket_id"], current_actor())
    return engine.dry_run(tenant, rules.get(tenant, rule_id), ticket, body["event"])


@api_route(bp, "/rules/<rule_id>/runs", plugin=PLUGIN, role="supervisor", tags=("automation",))
def rule_runs(rule_id: str) -> dict[str, Any]:
    """The rule's last 100 firings, newest first."""
    tenant = current_tenant()
    rule = rules.get(tenant, rule_id)
    rows = RuleRun.of(tenant).where(RuleRun.rule == rule.id).order_by(RuleRun.id.desc()).limit(100)
    items = [
        {
            "id": r.id,
            "ticket_id": r.ticket_id,
            "event": r.event,
            "outcome": r.outcome,
            "detail": r.detail,
            "at": iso(r.at),
        }
        for r in rows
    ]
    return {"items": items}


@api_route(bp, "/macros", plugin=PLUGIN, tags=("automation",))
def list_macros() -> dict[str, Any]:
    """The shared macros and the caller's own."""
    return {"items": [macros.as_dict(m) for m in macros.visible(current_tenant(), current_user())]}


@api_route(bp, "/macros", ["POST"], plugin=PLUGIN, body=MacroInSchema, status=201, tags=("automation",))
def create_macro(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create a macro: personal, or shared (`shared: true`, supervisors)."""
    return macros.as_dict(macros.save(current_tenant(), current_user(), body)), 201


@api_route(bp, "/macros/<macro_id>", ["PATCH"], plugin=PLUGIN, body=MacroInSchema, tags=("automation",))
def patch_macro(macro_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Change a macro."""
    tenant, user = current_tenant(), current_user()
    return macros.as_dict(macros.save(tenant, user, body, macros.get(tenant, macro_id, user)))


@api_route(bp, "/macros/<macro_id>/apply", ["POST"], plugin=PLUGIN, body=ApplySchema, tags=("automation",))
def apply_macro(macro_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Run the macro's actions on the ticket and return its reply text, filled in (not sent)."""
    tenant, user = current_tenant(), current_user()
    ticket = tickets.get(tenant, body["ticket_id"], current_actor())
    return macros.apply(tenant, macros.get(tenant, macro_id, user), ticket, user, body["language"])


@api_route(bp, "/approvals", plugin=PLUGIN, query=ApprovalQuerySchema, tags=("automation",))
def list_approvals(args: dict[str, Any]) -> dict[str, Any]:
    """Approvals (pending by default), newest first."""
    tenant = current_tenant()
    approvals.expire_due(tenant)
    query = Approval.of(tenant)
    if args["status"] != "all":
        query = query.where(Approval.status == args["status"])
    if args["ticket_id"] is not None:
        query = query.where(Approval.ticket == args["ticket_id"])
    return {"items": [approvals.as_dict(a) for a in query.order_by(Approval.id.desc()).limit(200)]}


@api_route(bp, "/approvals", ["POST"], plugin=PLUGIN, body=ApprovalInSchema, status=201, tags=("automation",))
def request_approval(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Ask for an approval of an action on a ticket (the action runs when approved)."""
    tenant, actor = current_tenant(), current_actor()
    ticket = tickets.get(tenant, body["ticket_id"], actor)
    action = actions.find(tenant, body["action"])
    inputs = load(action.schema(), body["inputs"])
    approval = approvals.request(
        tenant,
        ticket,
        action.name,
        inputs,
        actor,
        reason=body["reason"],
        approver_role=body["approver_role"],
        approver_team=approvals.team_of(tenant, body["approver_team"]),
        expires_hours=body["expires_hours"],
    )
    return approvals.as_dict(approval), 201


@api_route(bp, "/approvals/<approval_id>/approve", ["POST"], plugin=PLUGIN, body=DecisionSchema, tags=("automation",))
def approve(approval_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Approve: the action runs once, as the approver. 403 without the approver role; 409 when decided or expired."""
    return approvals.as_dict(approvals.decide(current_tenant(), approval_id, current_user(), True, body["reason"]))


@api_route(bp, "/approvals/<approval_id>/reject", ["POST"], plugin=PLUGIN, body=DecisionSchema, tags=("automation",))
def reject(approval_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Reject with a reason: the action does not run."""
    return approvals.as_dict(approvals.decide(current_tenant(), approval_id, current_user(), False, body["reason"]))


class SubscriptionInSchema(Schema):
    """A webhook: where to POST, which event kinds (none: all), and optionally its secret."""

    url = fields.String(required=True, validate=validate.Length(min=1, max=500))
    kinds = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list)
    secret = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=16, max=200))


class SubscriptionPatchSchema(Schema):
    """Switch a webhook on or off, or change its kinds."""

    active = fields.Boolean()
    kinds = fields.List(fields.String(validate=validate.Length(min=1, max=64)))


class DeliveryQuerySchema(Schema):
    """Filters of the delivery log."""

    state = fields.String(load_default=None, validate=validate.OneOf(["queued", "sent", "failed"]))
    subscription_id = fields.Integer(load_default=None)


class ResultInSchema(Schema):
    """An outcome from an outside system (e.g. 退款已打款 with the payment id), idempotent on `id`."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    ticket_id = fields.Integer(required=True)
    reference = fields.String(load_default="", validate=validate.Length(max=200))
    status = fields.String(required=True, validate=validate.Length(min=1, max=200))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


def _subscription_dict(sub: Subscription) -> dict[str, Any]:
    return {"id": sub.id, "url": sub.url, "kinds": sub.kinds, "active": sub.active, "created_at": iso(sub.created_at)}


@api_route(bp, "/webhooks", plugin=PLUGIN, role="admin", tags=("automation",))
def list_webhooks() -> dict[str, Any]:
    """The tenant's webhook subscriptions (secrets are never shown again)."""
    rows = Subscription.of(current_tenant()).order_by(Subscription.id)
    return {"items": [_subscription_dict(s) for s in rows]}


@api_route(
    bp, "/webhooks", ["POST"], plugin=PLUGIN, role="admin", body=SubscriptionInSchema, status=201, tags=("automation",)
)
def create_webhook(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Subscribe a URL to event kinds; the answer holds the signing secret, once. 422 for a refused URL."""
    sub, secret = webhooks.subscribe(current_tenant(), body["url"], body["kinds"], body["secret"], current_actor())
    return {**_subscription_dict(sub), "secret": secret}, 201


@api_route(
    bp,
    "/webhooks/<subscription_id>",
    ["PATCH"],
    plugin=PLUGIN,
    role="admin",
    body=SubscriptionPatchSchema,
    tags=("automation",),
)
def patch_webhook(subscription_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Switch a subscription on or off, or change its kinds."""
    tenant = current_tenant()
    sub = webhooks.change(tenant, webhooks.subscription(tenant, subscription_id), body, current_actor())
    return _subscription_dict(sub)


@api_route(bp, "/webhooks/deliveries", plugin=PLUGIN, role="admin", query=DeliveryQuerySchema, tags=("automation",))
def list_deliveries(args: dict[str, Any]) -> dict[str, Any]:
    """The delivery log, newest first: state, attempts, last HTTP status and error."""
    query = WebhookDelivery.of(current_tenant())
    if args["state"]:
        query = query.where(WebhookDelivery.state == args["state"])
    if args["subscription_id"] is not None:
        query = query.where(WebhookDelivery.subscription == args["subscription_id"])
    return {"items": [webhooks.delivery_dict(d) for d in query.order_by(WebhookDelivery.id.desc()).limit(200)]}


@api_route(bp, "/webhooks/deliveries/<delivery_id>/replay", ["POST"], plugin=PLUGIN, role="admin", tags=("automation",))
def replay_delivery(delivery_id: str) -> dict[str, Any]:
    """Queue a delivery again now (409 when it is still queued)."""
    return webhooks.delivery_dict(webhooks.replay(current_tenant(), delivery_id))


@api_route(bp, "/results", ["POST"], plugin=PLUGIN, body=ResultInSchema, status=201, tags=("automation",))
def record_result(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Record an outcome on a ticket (an event on its timeline); the same `id` again changes nothing (200)."""
    row, created = webhooks.record_result(current_tenant(), body, current_actor())
    data = {"id": row.external_id, "ticket_id": row.ticket_id, "reference": row.reference, "status": row.status}
    return data, 201 if created else 200
