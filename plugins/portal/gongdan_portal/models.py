"""The portal's tables. Each is tenant-owned with the tenant first in every unique index."""

from __future__ import annotations

import peewee as pw

from gongdan import clock
from gongdan.fields import UTCDateTimeField
from gongdan.models import Category, Team, Tenant, TenantModel, Ticket, User


class UsedToken(TenantModel):
    """A sign-in link or code that was used once (the nonce it carried); kept until it expires."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    nonce = pw.CharField(max_length=64)
    used_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "portal_used_token"
        indexes = ((("tenant", "nonce"), True),)


class Deflection(TenantModel):
    """A visitor said an article answered the question they were about to submit."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    article_id = pw.IntegerField()
    subject = pw.CharField(max_length=200, default="")
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "portal_deflection"
        indexes = ((("tenant", "at"), False),)


class Survey(TenantModel):
    """One satisfaction question: asked when a ticket is resolved, answered (or not) by its customer.

    One row per resolution (`resolved_at`), so a reopened and re-resolved ticket asks again.
    Agent, team, category and channel are copied at resolution for the reports.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", index=False)
    resolved_at = UTCDateTimeField()
    agent = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
    team = pw.ForeignKeyField(Team, null=True, on_delete="SET NULL", index=False)
    category = pw.ForeignKeyField(Category, null=True, on_delete="SET NULL", index=False)
    channel = pw.CharField(max_length=32)
    score = pw.SmallIntegerField(null=True)
    comment = pw.TextField(default="")
    rated_at = UTCDateTimeField(null=True)
    followup = pw.ForeignKeyField(Ticket, null=True, on_delete="SET NULL", index=False)

    class Meta:
        table_name = "portal_survey"
        indexes = (
            (("tenant", "ticket", "resolved_at"), True),
            (("tenant", "resolved_at"), False),
        )


class Logo(TenantModel):
    """The tenant's portal logo (small image bytes, served from the portal)."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    content_type = pw.CharField(max_length=64)
    data = pw.BlobField()
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "portal_logo"
        indexes = ((("tenant",), True),)


MODELS = [UsedToken, Deflection, Survey, Logo]
