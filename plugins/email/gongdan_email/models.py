"""The plugin's tables: mailboxes, every message seen or sent (for dedup and threading), quarantine.

Every table is tenant-owned and every unique index starts with the tenant (shard-ready).
"""

from __future__ import annotations

import peewee as pw

from gongdan import clock
from gongdan.fields import EncryptedTextField, JSONField, UTCDateTimeField
from gongdan.models import Comment, Team, Tenant, TenantModel, Ticket

SECURITIES = ("ssl", "starttls", "none")


class Mailbox(TenantModel):
    """A tenant's support address: where to fetch (IMAP), how to send (SMTP) and how fetching went.

    `uidvalidity` and `last_uid` are the watermark of the folder: every message with a UID up
    to `last_uid` has been handled (turned into a ticket or comment, ignored, or quarantined).
    """

    address = pw.CharField(max_length=254)
    imap_host = pw.CharField(max_length=253)
    imap_port = pw.IntegerField(default=993)
    imap_security = pw.CharField(max_length=8, default="ssl")
    imap_folder = pw.CharField(max_length=200, default="INBOX")
    username = pw.CharField(max_length=254)
    password = EncryptedTextField(default="")
    smtp_host = pw.CharField(max_length=253, default="")
    smtp_port = pw.IntegerField(default=465)
    smtp_security = pw.CharField(max_length=8, default="ssl")
    smtp_username = pw.CharField(max_length=254, default="")
    smtp_password = EncryptedTextField(default="")
    team = pw.ForeignKeyField(Team, null=True, on_delete="SET NULL")
    active = pw.BooleanField(default=True)
    uidvalidity = pw.BigIntegerField(null=True)
    last_uid = pw.BigIntegerField(default=0)
    last_fetch_at = UTCDateTimeField(null=True)
    last_success_at = UTCDateTimeField(null=True)
    last_error = pw.TextField(default="")
    last_error_at = UTCDateTimeField(null=True)
    backlog = pw.IntegerField(default=0)
    fetched_total = pw.IntegerField(default=0)
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("tenant", "address"), True),)


DIRECTIONS = ("in", "out")
# what became of an inbound message
OUTCOMES = ("ticket", "comment", "followup", "reopened", "autoreply", "bounce", "list", "duplicate", "quarantined")


class EmailMessage(TenantModel):
    """One message gongdan received or sent, and the ticket it belongs to.

    Inbound rows are the dedup record: `key` is the Message-ID (or `sha256:` of the bytes when
    there is none), unique per mailbox, written in the transaction that creates the ticket or
    comment. Threading looks up `message_id` (without angle brackets) across the tenant.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    mailbox = pw.ForeignKeyField(Mailbox, null=True, on_delete="SET NULL", index=False)
    direction = pw.CharField(max_length=3, default="in")
    key = pw.CharField(max_length=255)
    message_id = pw.CharField(max_length=255, null=True)
    ticket = pw.ForeignKeyField(Ticket, null=True, on_delete="CASCADE", index=False)
    comment = pw.ForeignKeyField(Comment, null=True, on_delete="SET NULL", index=False)
    outcome = pw.CharField(max_length=16, default="ticket")
    sender = pw.CharField(max_length=254, default="")
    subject = pw.CharField(max_length=300, default="")
    participants = JSONField(default=list)
    uid = pw.BigIntegerField(null=True)
    raw = pw.BlobField(null=True)
    html = pw.TextField(null=True)
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = (
            (("tenant", "mailbox", "key"), True),
            (("tenant", "message_id"), False),
            (("tenant", "ticket"), False),
        )


QUARANTINE_STATUSES = ("open", "resolved", "discarded")


class EmailQuarantine(TenantModel):
    """A message that could not be turned into a ticket: its raw bytes and why."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    mailbox = pw.ForeignKeyField(Mailbox, null=True, on_delete="SET NULL", index=False)
    key = pw.CharField(max_length=255)
    uid = pw.BigIntegerField(null=True)
    subject = pw.CharField(max_length=300, default="")
    sender = pw.CharField(max_length=254, default="")
    raw = pw.BlobField()
    reason = pw.TextField()
    status = pw.CharField(max_length=10, default="open")
    created_at = UTCDateTimeField(default=clock.now)
    resolved_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("tenant", "mailbox", "key"), True), (("tenant", "status"), False))


class Acknowledgement(TenantModel):
    """An automatic acknowledgement sent to one address, for the per-hour cap."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    address = pw.CharField(max_length=254)
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("tenant", "address", "at"), False),)


MODELS = [Mailbox, EmailMessage, EmailQuarantine, Acknowledgement]
