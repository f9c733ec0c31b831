"""The automation plugin's tables: rules, their runs, time-rule claims, macros and approvals.

Every table is tenant-owned with `tenant` first in each unique index (shard-ready).
"""

from __future__ import annotations

import peewee as pw

from gongdan import clock
from gongdan.fields import EncryptedTextField, JSONField, UTCDateTimeField
from gongdan.models import Team, TenantModel, Ticket, User

RULE_KINDS = ("trigger", "time", "approval")
APPROVAL_STATES = ("pending", "approved", "rejected", "expired", "failed")


class Rule(TenantModel):
    """A trigger (on an event), a time rule (hourly) or an approval rule (holds an action).

    `conditions` is `[{"field", "op", "value"}]` combined by `match` (`all` or `any`);
    `actions` is `[{"action", "inputs"}]` (triggers and time rules); an approval rule holds
    the action named `action` for a user of `approver_role` or above — of `approver_team` when
    set (admins decide any) — for `expires_hours`.
    `revision` grows with every change: compiled conditions are cached per revision.
    """

    kind = pw.CharField(max_length=16)
    name = pw.CharField(max_length=200)
    position = pw.IntegerField(default=100)
    active = pw.BooleanField(default=True)
    event = pw.CharField(max_length=64, default="")
    match = pw.CharField(max_length=3, default="all")
    conditions = JSONField(default=list)
    actions = JSONField(default=list)
    action = pw.CharField(max_length=100, default="")
    approver_role = pw.CharField(max_length=16, default="supervisor")
    approver_team = pw.ForeignKeyField(Team, null=True, on_delete="SET NULL", backref="+")
    expires_hours = pw.IntegerField(default=24)
    revision = pw.IntegerField(default=1)
    last_fired_at = UTCDateTimeField(null=True)
    fired_count = pw.IntegerField(default=0)
    created_at = UTCDateTimeField(default=clock.now)
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "automation_rule"
        indexes = ((("tenant", "kind", "position"), False),)


class RuleRun(TenantModel):
    """One firing of a rule on a ticket: what happened (`ok`, `failed`, `held`) and the details."""

    rule = pw.ForeignKeyField(Rule, on_delete="CASCADE", backref="runs")
    ticket = pw.ForeignKeyField(Ticket, null=True, on_delete="SET NULL")
    event = pw.CharField(max_length=64, default="")
    outcome = pw.CharField(max_length=16)
    detail = JSONField(default=dict)
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "automation_rule_run"
        indexes = ((("tenant", "rule", "at"), False),)


class TimeClaim(TenantModel):
    """A time rule acted on a ticket at one of its changes: the unique key makes it once only."""

    rule = pw.ForeignKeyField(Rule, on_delete="CASCADE")
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    change = pw.CharField(max_length=64)
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "automation_time_claim"
        indexes = ((("tenant", "rule", "ticket", "change"), True),)


class RulesState(TenantModel):
    """The tenant's rules revision (processes keep compiled rules until it changes) and how far
    the plugin events' tail has read the tenant's event log (`last_event_id`)."""

    revision = pw.IntegerField(default=0)
    stamp = pw.CharField(max_length=32, default="")  # new at every change: what caches compare
    last_event_id = pw.BigIntegerField(null=True)
    webhook_event_id = pw.BigIntegerField(null=True)  # how far webhooks have read the event log

    class Meta:
        table_name = "automation_state"
        indexes = ((("tenant",), True),)


class Macro(TenantModel):
    """A reply template (zh and en) with actions; shared (`owner` null) or personal."""

    name = pw.CharField(max_length=200)
    owner = pw.ForeignKeyField(User, null=True, on_delete="CASCADE")
    body_zh = pw.TextField(default="")
    body_en = pw.TextField(default="")
    actions = JSONField(default=list)
    usage_count = pw.IntegerField(default=0)
    active = pw.BooleanField(default=True)
    position = pw.IntegerField(default=100)  # the order of the ticket page's macro menu
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "automation_macro"
        indexes = ((("tenant", "name"), False),)


class Approval(TenantModel):
    """An action held for approval; runs once when approved, or expires."""

    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    rule = pw.ForeignKeyField(Rule, null=True, on_delete="SET NULL")
    action = pw.CharField(max_length=100)
    inputs = JSONField(default=dict)
    reason = pw.TextField(default="")
    requested_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    requested_label = pw.CharField(max_length=200, default="")
    approver_role = pw.CharField(max_length=16, default="supervisor")
    approver_team = pw.ForeignKeyField(Team, null=True, on_delete="SET NULL", backref="+")
    status = pw.CharField(max_length=16, default="pending")
    decided_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    decided_at = UTCDateTimeField(null=True)
    decision_reason = pw.TextField(default="")
    result = JSONField(default=dict)
    expires_at = UTCDateTimeField()
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "automation_approval"
        indexes = ((("tenant", "status", "expires_at"), False),)


class Subscription(TenantModel):
    """An integrator's webhook: ticket events of `kinds` (empty: all) POSTed to `url`, signed
    with `secret` (HMAC-SHA256, stored encrypted)."""

    url = pw.CharField(max_length=500)
    secret = EncryptedTextField()
    kinds = JSONField(default=list)
    active = pw.BooleanField(default=True)
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "automation_subscription"
        indexes = ((("tenant", "active"), False),)


class WebhookDelivery(TenantModel):
    """One event for one subscription, in the outbox: `queued`, `sent` or `failed` (retries used up).

    `(tenant, subscription, event_id)` is unique: an event is queued once per subscription.
    """

    subscription = pw.ForeignKeyField(Subscription, on_delete="CASCADE", backref="deliveries")
    event_id = pw.BigIntegerField()
    kind = pw.CharField(max_length=64)
    payload = JSONField(default=dict)
    state = pw.CharField(max_length=16, default="queued")
    attempts = pw.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(default=clock.now)
    claimed_until = UTCDateTimeField(null=True)
    last_status = pw.IntegerField(null=True)
    last_error = pw.TextField(default="")
    created_at = UTCDateTimeField(default=clock.now)
    sent_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "automation_webhook_delivery"
        indexes = (
            (("tenant", "subscription", "event_id"), True),
            (("tenant", "state", "next_attempt_at"), False),
        )


class InboundResult(TenantModel):
    """An outcome an outside system recorded on a ticket, once per its `external_id`."""

    external_id = pw.CharField(max_length=200)
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    reference = pw.CharField(max_length=200, default="")
    status = pw.CharField(max_length=200)
    note = pw.TextField(default="")
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "automation_inbound_result"
        indexes = ((("tenant", "external_id"), True),)


MODELS = [Rule, RuleRun, TimeClaim, RulesState, Macro, Approval, Subscription, WebhookDelivery, InboundResult]
