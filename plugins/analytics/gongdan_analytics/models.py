"""The analytics plugin's tables: per-ticket contributions, daily and hourly rollups, promotions,
the work clock per agent, the catch-up watermark and the open alert episodes.

Every table is tenant-owned with `tenant` first in each unique index (shard-ready).
"""

from __future__ import annotations

import peewee as pw

from gongdan import clock
from gongdan.fields import JSONField, UTCDateTimeField
from gongdan.models import Tenant, TenantModel


class Fact(TenantModel):
    """What one ticket contributes to the rollups, as last applied (see `gongdan_analytics.rollup`).

    `dims` is `[[dimension, value], ...]`, `days` `[[local day, metric, count, total], ...]`,
    `hours` `[[UTC hour, metric, count, total], ...]` (counted under the ticket's channel).
    Recomputing a ticket and applying the difference keeps the rollups exact and idempotent.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    ticket = pw.IntegerField()
    channel = pw.CharField(max_length=32, default="")
    dims = JSONField(default=list)
    days = JSONField(default=list)
    hours = JSONField(default=list)
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "analytics_fact"
        indexes = ((("tenant", "ticket"), True),)


class Daily(TenantModel):
    """Sums per tenant × local day × dimension value × metric: `count` events, `total` minutes or points."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    day = pw.DateField()
    dim = pw.CharField(max_length=16)
    value = pw.CharField(max_length=320)
    metric = pw.CharField(max_length=32)
    count = pw.BigIntegerField(default=0)
    total = pw.DoubleField(default=0.0)

    class Meta:
        table_name = "analytics_daily"
        indexes = ((("tenant", "dim", "day", "value", "metric"), True),)


class Backlog(TenantModel):
    """Open tickets now, per tenant × dimension value × local creation day (rows at zero are removed)."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    dim = pw.CharField(max_length=16)
    value = pw.CharField(max_length=320)
    day = pw.DateField()
    count = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "analytics_backlog"
        indexes = ((("tenant", "dim", "value", "day"), True),)


class Hourly(TenantModel):
    """Sums per tenant × UTC hour × channel × metric (arrivals for the forecast and the heat map)."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    hour = UTCDateTimeField()
    channel = pw.CharField(max_length=32)
    metric = pw.CharField(max_length=32)
    count = pw.BigIntegerField(default=0)
    total = pw.DoubleField(default=0.0)

    class Meta:
        table_name = "analytics_hourly"
        indexes = ((("tenant", "hour", "channel", "metric"), True),)


class AgentClock(TenantModel):
    """An agent's last public reply: the next reply's work time is measured from it."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    user = pw.IntegerField()
    last_reply_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "analytics_agent_clock"
        indexes = ((("tenant", "user"), True),)


class Watermark(TenantModel):
    """The last event id the catch-up job has folded into the rollups, when it last ran, and the
    time zone the local days were cut in (a change of the tenant's zone recounts them)."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    event_id = pw.BigIntegerField(default=0)
    counted_at = UTCDateTimeField(null=True)
    zone = pw.CharField(max_length=64, null=True)

    class Meta:
        table_name = "analytics_watermark"
        indexes = ((("tenant",), True),)


class Promotion(TenantModel):
    """A sales event the tenant expects (双11, 618, 年货节): dates and the expected uplift."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    name = pw.CharField(max_length=64)
    start = pw.DateField()
    end = pw.DateField()
    uplift = pw.DoubleField(null=True)

    class Meta:
        table_name = "analytics_promotion"
        indexes = ((("tenant", "start", "name"), True),)


class Episode(TenantModel):
    """An anomaly while it lasts: opened once, announced once, closed when it clears."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    kind = pw.CharField(max_length=32)
    subject = pw.CharField(max_length=100, default="")
    opened_at = UTCDateTimeField(default=clock.now)
    closed_at = UTCDateTimeField(null=True)
    notified_at = UTCDateTimeField(null=True)
    data = JSONField(default=dict)
    last_error = pw.TextField(null=True)

    class Meta:
        table_name = "analytics_episode"
        indexes = ((("tenant", "kind", "subject", "opened_at"), True),)


Episode.add_index(
    Episode.index(Episode.tenant, Episode.kind, Episode.subject, unique=True, where=Episode.closed_at.is_null())
)


class Subscription(TenantModel):
    """A report sent by e-mail on a schedule (see `gongdan_analytics.scheduled`).

    `frequency` is `daily` (yesterday's figures) or `weekly` (the seven days before, sent on
    `weekday`, 0 = Monday); `hour` is the local hour it goes out. `next_run_at` (UTC) is claimed
    with a conditional update, so each run is sent by one worker.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    name = pw.CharField(max_length=100)
    report = pw.CharField(max_length=32, default="summary")
    group_by = pw.CharField(max_length=16, default="channel")
    frequency = pw.CharField(max_length=8, default="weekly")
    weekday = pw.SmallIntegerField(default=0)
    hour = pw.SmallIntegerField(default=8)
    recipients = JSONField(default=list)
    language = pw.CharField(max_length=8, default="zh")
    format = pw.CharField(max_length=8, default="xlsx")
    active = pw.BooleanField(default=True)
    created_by = pw.IntegerField(null=True)
    next_run_at = UTCDateTimeField(null=True)
    failures = pw.SmallIntegerField(default=0)
    last_sent_at = UTCDateTimeField(null=True)
    last_error = pw.TextField(null=True)
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "analytics_subscription"
        indexes = ((("tenant", "name"), True), (("tenant", "next_run_at"), False))


MODELS: list[type[TenantModel]] = [
    Fact, Daily, Backlog, Hourly, AgentClock, Watermark, Promotion, Episode, Subscription,
]  # fmt: skip
