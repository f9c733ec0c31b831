"""The connector's tables: how far the sync has read per shop, and what it last applied per
service order (so a re-read keeps what agents changed since)."""

from __future__ import annotations

import peewee as pw

from gongdan.fields import JSONField, UTCDateTimeField
from gongdan.models import TenantModel


class Cursor(TenantModel):
    """The end of the last window read completely, for one shop of one tenant."""

    shop = pw.CharField(max_length=64)
    until = UTCDateTimeField()

    class Meta:
        table_name = "jd_cursor"
        indexes = ((("tenant", "shop"), True),)  # the tenant first in every unique index


class Mirror(TenantModel):
    """A service order as last read, and the ticket values the sync applied from it."""

    service_id = pw.CharField(max_length=64)
    ticket_id = pw.BigIntegerField()
    step = pw.CharField(max_length=8, default="")
    applied = JSONField(default=dict)
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "jd_mirror"
        indexes = ((("tenant", "service_id"), True),)


MODELS = [Cursor, Mirror]
