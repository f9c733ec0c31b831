"""The connector's tables: shops, the local mirror of after-sales records, sync runs, quarantine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee as pw

from gongdan import clock
from gongdan.connectors import RecordMirror
from gongdan.fields import EncryptedTextField, JSONField, UTCDateTimeField
from gongdan.models import BaseModel, Tenant, TenantModel, Ticket

AUTH_STATUSES = ("authorized", "expired", "reauthorize", "error")


class PddShop(TenantModel):
    """A Pinduoduo shop a tenant connected: its app credentials, its grant and its sync state.

    The client secret and both tokens are stored encrypted (`gongdan.fields.EncryptedTextField`,
    in the columns `*_enc`) and read as plain text.
    `cursor` is the end of the last update-time window that was stored completely.
    """

    owner_id = pw.CharField(max_length=64)
    owner_name = pw.CharField(max_length=200, default="")
    client_id = pw.CharField(max_length=128)
    client_secret = EncryptedTextField(column_name="client_secret_enc")
    access_token = EncryptedTextField(column_name="access_token_enc")
    refresh_token = EncryptedTextField(column_name="refresh_token_enc", default="")
    gateway_url = pw.CharField(max_length=500)
    message_url = pw.CharField(max_length=500, default="")
    access_expires_at = UTCDateTimeField(null=True)
    refresh_expires_at = UTCDateTimeField(null=True)
    auth_status = pw.CharField(max_length=16, default="authorized")
    auth_error = pw.TextField(default="")
    auth_error_code = pw.IntegerField(null=True)  # the gateway's error code behind auth_error
    active = pw.BooleanField(default=True)
    cursor = UTCDateTimeField(null=True)
    last_window_start = UTCDateTimeField(null=True)
    last_window_end = UTCDateTimeField(null=True)
    last_sync_at = UTCDateTimeField(null=True)
    last_error = pw.TextField(default="")
    last_error_code = pw.IntegerField(null=True)  # the gateway's error code behind last_error
    last_error_at = UTCDateTimeField(null=True)
    clock_offset = pw.FloatField(default=0.0)
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("tenant", "owner_id"), True),)


class PddRefund(RecordMirror):
    """The last version of one after-sales record that was stored, and its ticket.

    The connector's `gongdan.connectors.RecordMirror`, with the table and columns it had before
    the toolkit existed: `after_sales_id` is the record id, `updated_time` the version, `ticket`
    the ticket, `status` the record's own (integer) status. `find`, `supersedes` and `keep` map
    them, so `gongdan.connectors.upsert` stores records here.
    """

    record_id = state = updated_at = ticket_id = None  # the toolkit's columns, named as below here
    shop = pw.ForeignKeyField(PddShop, on_delete="CASCADE", backref="refunds")
    after_sales_id = pw.CharField(max_length=64)
    order_sn = pw.CharField(max_length=64)
    status = pw.IntegerField()
    kind = pw.CharField(max_length=32)
    updated_time = UTCDateTimeField()
    expire_time = UTCDateTimeField(null=True)
    ticket = pw.ForeignKeyField(Ticket, null=True, on_delete="SET NULL")
    record = JSONField(default=dict)
    applied = JSONField(default=dict)
    stored_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "pdd_refund"
        indexes = ((("tenant", "after_sales_id"), True),)

    @classmethod
    def find(cls, tenant: Tenant, record_id: str) -> PddRefund | None:
        """The stored version of after-sales record `record_id`, if any."""
        return cls.get_or_none((cls.tenant == tenant) & (cls.after_sales_id == str(record_id)))

    def supersedes(self, version: datetime) -> bool:
        """Only a strictly older version is skipped: update times have one-second resolution, so
        a second change within that second (its status) has the same time; a row whose ticket
        was deleted is stored again."""
        return self.ticket_id is not None and self.updated_time > version

    @classmethod
    def keep(cls, tenant: Tenant, record_id: str, row: RecordMirror | None, values: dict[str, Any]) -> None:
        """Insert or update the row (one statement: a push and a sync may store the record at once).

        `status` comes in `values` as the integer column (`upsert`'s `columns`); `state` is unused.
        """
        data = {key: value for key, value in values.items() if key not in ("ticket_id", "updated_at", "state")}
        data.update(ticket=values["ticket_id"], updated_time=values["updated_at"])
        cls.insert(tenant=tenant.id, after_sales_id=record_id, **data).on_conflict(
            conflict_target=[cls.tenant, cls.after_sales_id], update=data
        ).execute()


class PddSyncRun(TenantModel):
    """One sync of a shop (a scheduled increment, a backfill or a push burst) and how it went."""

    shop = pw.ForeignKeyField(PddShop, on_delete="CASCADE", backref="runs")
    kind = pw.CharField(max_length=16, default="increment")
    status = pw.CharField(max_length=16, default="running")  # running | done | failed
    since = UTCDateTimeField(null=True)
    until = UTCDateTimeField(null=True)
    windows_total = pw.IntegerField(default=0)
    windows_done = pw.IntegerField(default=0)
    seen = pw.IntegerField(default=0)
    stored = pw.IntegerField(default=0)
    created = pw.IntegerField(default=0)
    quarantined = pw.IntegerField(default=0)
    calls = pw.IntegerField(default=0)
    error = pw.TextField(default="")
    error_code = pw.IntegerField(null=True)  # the gateway's error code behind error
    started_at = UTCDateTimeField(default=clock.now)
    finished_at = UTCDateTimeField(null=True)


class PddQuarantine(TenantModel):
    """A record that could not be stored (malformed, unknown status, ...), kept with the reason."""

    shop = pw.ForeignKeyField(PddShop, on_delete="CASCADE", backref="quarantine")
    key = pw.CharField(max_length=128)
    after_sales_id = pw.CharField(max_length=64, default="")
    order_sn = pw.CharField(max_length=64, default="")
    record = JSONField(default=dict)
    reason = pw.TextField()  # as the connector wrote it (English), a detail for an integrator
    problem = pw.CharField(max_length=32, default="")  # mapping.Malformed.problem, shown in words
    problem_field = pw.CharField(max_length=64, default="")
    error_code = pw.IntegerField(null=True)  # the gateway's code when the details could not be read
    status = pw.CharField(max_length=16, default="open")  # open | resolved
    attempts = pw.IntegerField(default=1)
    created_at = UTCDateTimeField(default=clock.now)
    updated_at = UTCDateTimeField(default=clock.now)
    resolved_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("tenant", "shop", "key"), True),)


class PddShopClaim(BaseModel):
    """Which tenant a Pinduoduo shop identity (app `client_id`, `owner_id`) belongs to.

    Installation-wide on purpose (a reference table when sharded): a shop's push messages and
    detail calls must reach one tenant only, so a second tenant cannot connect the same app and
    owner. The unique index makes the database decide between concurrent connects.
    """

    client_id = pw.CharField(max_length=128)
    owner_id = pw.CharField(max_length=64)
    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=True)
    claimed_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "pdd_shop_claim"
        indexes = ((("client_id", "owner_id"), True),)


MODELS = [PddShop, PddRefund, PddSyncRun, PddQuarantine, PddShopClaim]
