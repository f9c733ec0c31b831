"""The SLA plugin's tables: policies, calendars, one clock row per ticket, fired thresholds, notifications."""

from __future__ import annotations

import peewee as pw

from gongdan import clock
from gongdan.fields import JSONField, UTCDateTimeField
from gongdan.models import TenantModel, Ticket, User


class SlaCalendar(TenantModel):
    """A named business calendar of a tenant (the definition `BusinessCalendar` takes)."""

    name = pw.CharField(max_length=64)
    tz = pw.CharField(max_length=64, default="Asia/Shanghai")
    weekly = JSONField(default=dict)
    region = pw.CharField(max_length=8, null=True, default="CN")
    closed = JSONField(default=list)
    opened = JSONField(default=list)
    special = JSONField(default=dict)
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("tenant", "name"), True),)


class SlaPolicy(TenantModel):
    """One policy; a tenant's policies are tried by `position`, the first that matches wins.

    `conditions`: `{"priority": [...], "tier": [...], "channel": [...], "category": "售后/",
    "tags": [...]}` (every given condition must hold; tags match when any is on the ticket).
    Targets are business minutes (null: no such target). `escalations` is a list of levels
    `{"after": minutes, "actions": [...]}` counted from a breach. `pause_when_pending`: the clocks
    stop while the ticket waits on the customer (on by default).
    """

    position = pw.IntegerField()
    name = pw.CharField(max_length=100)
    conditions = JSONField(default=dict)
    calendar = pw.CharField(max_length=64, default="default")
    first_response = pw.IntegerField(null=True)
    next_response = pw.IntegerField(null=True)
    resolution = pw.IntegerField(null=True)
    warning_percent = pw.IntegerField(default=80)
    escalations = JSONField(default=list)
    pause_when_pending = pw.BooleanField(default=True)
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("tenant", "position"), False), (("tenant", "name"), True))


class SlaTicket(TenantModel):
    """A ticket's SLA clocks. Due times and the next check live in indexed columns.

    `clocks` holds, per target (`first_response`, `next_response`, `resolution`), the state
    the engine needs to recompute after a pause or a policy change (see `gongdan_sla.engine`).
    `next_check_at` is the earliest warning/breach/escalation not yet fired: the sweep reads it.
    """

    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", unique=True)
    policy = pw.ForeignKeyField(SlaPolicy, null=True, on_delete="SET NULL")
    policy_name = pw.CharField(max_length=100, null=True)
    state = pw.CharField(max_length=16, default="ok")
    paused = pw.BooleanField(default=False)
    first_response_due = UTCDateTimeField(null=True)
    next_response_due = UTCDateTimeField(null=True)
    resolution_due = UTCDateTimeField(null=True)
    next_check_at = UTCDateTimeField(null=True)
    clocks = JSONField(default=dict)
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("tenant", "next_check_at"), False), (("tenant", "state"), False))


class SlaFired(TenantModel):
    """A warning, breach or escalation level that fired; unique, so each fires once."""

    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    key = pw.CharField(max_length=64)
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("ticket", "key"), True),)


class Notification(TenantModel):
    """An in-app notification for one user; `read_at` set when they mark it read."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    kind = pw.CharField(max_length=64)
    subject = pw.CharField(max_length=300)
    body = pw.TextField(default="")
    ticket = pw.ForeignKeyField(Ticket, null=True, on_delete="CASCADE")
    data = JSONField(default=dict)
    created_at = UTCDateTimeField(default=clock.now)
    read_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "sla_notification"
        indexes = ((("user", "read_at"), False),)


class Delivery(TenantModel):
    """An outgoing e-mail or webhook: tried at once, retried with back-off, failures kept."""

    transport = pw.CharField(max_length=32)
    kind = pw.CharField(max_length=64)
    payload = JSONField(default=dict)
    status = pw.CharField(max_length=16, default="pending")  # pending | delivered | failed
    attempts = pw.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(null=True, index=True)
    last_error = pw.TextField(null=True)
    created_at = UTCDateTimeField(default=clock.now)
    delivered_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "sla_delivery"


MODELS: list[type[TenantModel]] = [SlaCalendar, SlaPolicy, SlaTicket, SlaFired, Notification, Delivery]
