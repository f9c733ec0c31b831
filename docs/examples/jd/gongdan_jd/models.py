"""The connector's table: how far the sync has read, per tenant and shop."""

from __future__ import annotations

import peewee as pw

from gongdan.fields import UTCDateTimeField
from gongdan.models import TenantModel


class Cursor(TenantModel):
    """The end of the last window read completely, for one shop of one tenant."""

    shop = pw.CharField(max_length=64)
    until = UTCDateTimeField()

    class Meta:
        table_name = "jd_cursor"
        indexes = ((("tenant", "shop"), True),)  # the tenant first in every unique index
