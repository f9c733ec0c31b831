"""The core's data model. Every row that belongs to a client carries its tenant.

Plugins subclass `BaseModel` (process-wide rows) or `TenantModel` (client-owned rows) and hand
their models to the core through the `gongdan_schema` hook.
"""

from __future__ import annotations

import peewee as pw

from gongdan import clock
from gongdan.db import db
from gongdan.fields import EncryptedTextField, JSONField, UTCDateTimeField

ROLES = ("superadmin", "admin", "supervisor", "agent")
PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("new", "open", "pending", "resolved", "closed")
OPEN_STATUSES = ("new", "open", "pending")


class BaseModel(pw.Model):
    """Base of every gongdan model: bound to the configured database."""

    class Meta:
        database = db
        legacy_table_names = False


class Tenant(BaseModel):
    """A client of the installation: one merchant or company."""

    slug = pw.CharField(max_length=64, unique=True)
    name = pw.CharField(max_length=200)
    timezone = pw.CharField(max_length=64, default="Asia/Shanghai")
    language = pw.CharField(max_length=16, default="zh_CN")
    ticket_seq = pw.IntegerField(default=0)
    plugins_rev = pw.IntegerField(default=0)
    # admins (and superadmins working here) must sign in with a second factor (TOTP)
    require_admin_2fa = pw.BooleanField(default=False)
    # agents see only their team's tickets and their own (gongdan.permissions.visible_tickets)
    team_visibility = pw.BooleanField(default=False)
    created_at = UTCDateTimeField(default=clock.now)
    # customer notifications sent through the ticket's channel (see gongdan.delivery)
    notify_acknowledgement = pw.BooleanField(default=True)
    notify_reply = pw.BooleanField(default=True)
    notify_resolved = pw.BooleanField(default=True)
    # how long a merge of two tickets may be undone, in minutes (see gongdan.merge)
    merge_undo_minutes = pw.IntegerField(default=60)


class TenantModel(BaseModel):
    """Base of every client-owned row: carries the tenant; query it through `of(tenant)`."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=True)

    @classmethod
    def of(cls, tenant: Tenant) -> pw.ModelSelect:
        """Rows of this model that belong to `tenant`."""
        return cls.select().where(cls.tenant == tenant)

    def _pk_expr(self) -> pw.Expression:
        """`save()` and `delete_instance()` find the row by id *and* tenant (one shard on Citus)."""
        expr = super()._pk_expr()
        tenant_id = self.__data__.get("tenant")
        if isinstance(self._meta.primary_key, pw.AutoField) and tenant_id is not None:
            expr = expr & (type(self).tenant == tenant_id)
        return expr

    def delete_instance(self, *args: object, **kwargs: object) -> int:
        """Delete the row, first clearing the `SET NULL` references to it (see `citus_routing`)."""
        from gongdan.citus_routing import clear_references

        with db.atomic():
            if isinstance(self._meta.primary_key, pw.AutoField):
                clear_references(type(self), self.__data__.get("tenant"), [self.id])
            return super().delete_instance(*args, **kwargs)


class Team(TenantModel):
    """A department or group of agents (e.g. 售后组, 资深组)."""

    name = pw.CharField(max_length=100)
    description = pw.TextField(default="")

    class Meta:
        indexes = ((("tenant", "name"), True),)


class User(TenantModel):
    """A person who signs in: superadmin (serves many tenants), admin, supervisor or agent."""

    email = pw.CharField(max_length=254, unique=True)
    name = pw.CharField(max_length=100, default="")
    role = pw.CharField(max_length=16, default="agent")
    password_hash = pw.CharField(max_length=255, null=True)
    team = pw.ForeignKeyField(Team, null=True, on_delete="SET NULL", backref="members")
    language = pw.CharField(max_length=16, null=True)
    # an e-mail when someone @mentions them, besides the bell (gongdan.mention_mail)
    mention_email = pw.BooleanField(default=True)
    is_active = pw.BooleanField(default=True)
    failed_logins = pw.IntegerField(default=0)
    locked_until = UTCDateTimeField(null=True)
    last_login_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=clock.now)
    # bumped on sign-out and password change: every console session of the user ends
    session_generation = pw.IntegerField(default=0)
    # TOTP two-factor: the shared secret (encrypted) and the unused recovery codes' hashes
    totp_secret = EncryptedTextField(null=True)
    recovery_codes = JSONField(null=True)

    @property
    def display_name(self) -> str:
        """The name to show, falling back to the e-mail address."""
        return self.name or self.email

    def save(self, *args: object, **kwargs: object) -> int | bool:
        """Write the row; a new user's e-mail address also goes into `SignInName` (same transaction)."""
        inserting = bool(kwargs.get("force_insert")) or self.id is None
        with db.atomic():
            result = super().save(*args, **kwargs)
            if inserting:
                SignInName.claim(self)
        return result


class Lease(BaseModel):
    """Who holds a named lease (e.g. the Pinduoduo push listener) until when: `gongdan.lease`.

    `expires` is epoch seconds; a holder renews before it; another process takes over after.
    """

    name = pw.CharField(max_length=100, unique=True)
    holder = pw.CharField(max_length=200)
    expires = pw.DoubleField()
    acquired_at = pw.DoubleField()


class SignInName(BaseModel):
    """Which tenant and user an e-mail address signs in as, across the installation.

    A reference table (one copy on every Citus node): `user` is sharded by tenant, and its
    unique e-mail is unique within a tenant, so sign-in finds the tenant here first and then
    the user in one shard. `User.save` keeps it; `gongdan init` fills it for existing users.
    """

    email = pw.CharField(max_length=254, unique=True)
    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE")
    user_id = pw.IntegerField()

    class Meta:
        table_name = "sign_in_name"

    @classmethod
    def claim(cls, user: User) -> None:
        """Record `user`'s address; IntegrityError when another live user has it (a row left by
        a deleted user is taken over)."""
        try:
            with db.atomic():
                cls.insert(email=user.email, tenant=user.tenant_id, user_id=user.id).execute()
        except pw.IntegrityError:
            old = cls.get(cls.email == user.email)
            if User.select().where((User.tenant == old.tenant_id) & (User.id == old.user_id)).exists():
                raise
            cls.update(tenant=user.tenant_id, user_id=user.id).where(cls.email == user.email).execute()


class Skill(TenantModel):
    """Something an agent can be good at; a name matches a category segment or a tag."""

    name = pw.CharField(max_length=100)

    class Meta:
        indexes = ((("tenant", "name"), True),)


class AgentSkill(TenantModel):
    """An agent's level (1–5) in one skill."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="skills")
    skill = pw.ForeignKeyField(Skill, on_delete="CASCADE")
    level = pw.SmallIntegerField(default=1)

    class Meta:
        indexes = ((("user", "skill"), True),)


class Customer(TenantModel):
    """Someone who raises tickets; `tier` (normal, vip, ...) steers routing and SLAs.

    E-mail, phone and address are personal data: encrypted at rest, found by exact value
    through keyed blind indexes (`email_index`, `phone_index`) that `save` keeps current.
    Find and create customers through `gongdan.customers`; show them through `gongdan.masking`.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    name = pw.CharField(max_length=200, default="")
    email = EncryptedTextField(null=True)
    phone = EncryptedTextField(null=True)
    address = EncryptedTextField(null=True)
    email_index = pw.CharField(max_length=64, null=True)
    phone_index = pw.CharField(max_length=64, null=True)
    tier = pw.CharField(max_length=32, default="normal")
    language = pw.CharField(max_length=16, null=True)
    # agents' notes on the customer (the customer card; see gongdan.customer_card)
    notes = pw.TextField(default="", constraints=[pw.SQL("DEFAULT ''")])  # rows written by SQL alone too
    notes_by = pw.CharField(max_length=200, default="", constraints=[pw.SQL("DEFAULT ''")])
    notes_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("tenant", "email_index"), False), (("tenant", "phone_index"), False))

    def save(self, *args: object, **kwargs: object) -> int | bool:
        """Write the row with its blind indexes computed from the current e-mail and phone."""
        from gongdan.customers import stamp_indexes

        stamp_indexes(self)
        return super().save(*args, **kwargs)


class CustomerIdentity(TenantModel):
    """A customer's id in one outside system or channel (e.g. a Pinduoduo buyer id)."""

    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", backref="identities")
    system = pw.CharField(max_length=32)
    external_id = pw.CharField(max_length=128)

    class Meta:
        indexes = ((("tenant", "system", "external_id"), True),)


class Category(TenantModel):
    """One node of the three-level tree: appeal (诉求) / scene (场景) / problem (问题)."""

    parent = pw.ForeignKeyField("self", null=True, on_delete="CASCADE", backref="children")
    name = pw.CharField(max_length=100)
    path = pw.CharField(max_length=320)
    depth = pw.SmallIntegerField()

    class Meta:
        indexes = ((("tenant", "path"), True),)


class Ticket(TenantModel):
    """A work order. Changed only through `gongdan.tickets` (the ticket service).

    Every index costs each insert a page write, so there are only those a query needs: the
    tenant is the first column of `(tenant, number)`, and references that are often empty
    (assignee, team, parent, external record) have partial indexes over the rows that set them.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    number = pw.IntegerField()
    subject = pw.CharField(max_length=200)
    description = pw.TextField(default="")
    channel = pw.CharField(max_length=32, default="api")
    priority = pw.CharField(max_length=16, default="normal")
    status = pw.CharField(max_length=16, default="new")
    assignee = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="assigned", index=False)
    team = pw.ForeignKeyField(Team, null=True, on_delete="SET NULL", index=False)
    category = pw.ForeignKeyField(Category, null=True, on_delete="SET NULL")
    customer = pw.ForeignKeyField(Customer, null=True, on_delete="SET NULL", backref="tickets")
    tags = JSONField(default=list)
    language = pw.CharField(max_length=16, null=True)
    external_system = pw.CharField(max_length=32, null=True)
    external_id = pw.CharField(max_length=128, null=True)
    parent = pw.ForeignKeyField("self", null=True, on_delete="SET NULL", backref="followups", index=False)
    created_at = UTCDateTimeField(default=clock.now)
    updated_at = UTCDateTimeField(default=clock.now)
    first_response_at = UTCDateTimeField(null=True)
    resolved_at = UTCDateTimeField(null=True)
    closed_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = (
            (("tenant", "number"), True),
            (("tenant", "status", "created_at"), False),
            # the list's sorts (see gongdan.listing), each with the id as its last key
            (("tenant", "created_at", "id"), False),
            (("tenant", "updated_at", "id"), False),
            (("tenant", "priority", "created_at", "id"), False),
        )


def _index_where_set(model: type[pw.Model], *fields: pw.Field, unique: bool = False) -> None:
    """A partial index on `fields` over the rows whose first field is not null."""
    model.add_index(model.index(*fields, unique=unique, where=fields[0].is_null(False)))


_index_where_set(Ticket, Ticket.external_id, Ticket.tenant, Ticket.external_system, unique=True)
_index_where_set(Ticket, Ticket.assignee, Ticket.status)
_index_where_set(Ticket, Ticket.team)
_index_where_set(Ticket, Ticket.parent)


class TicketTerm(TenantModel):
    """One search term of a ticket (subject, description, public replies): the postings of
    `gongdan.search`, kept by the ticket service in the transaction of each change.

    The key `(tenant, term, ticket)` answers "the tenant's tickets with this term, newest
    first" straight from the index, alike on SQLite and PostgreSQL. The index `(tenant, ticket)`
    finds one ticket's postings — to re-index an edited or merged ticket, and for the cascade
    of a deleted one — without reading every posting of the tenant (15 million at 1M tickets);
    new tickets' ids grow, so the worker appends to it.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    term = pw.CharField(max_length=64)
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", index=False)

    class Meta:
        primary_key = pw.CompositeKey("tenant", "term", "ticket")
        indexes = ((("tenant", "ticket"), False),)


class TicketIndexPending(TenantModel):
    """A ticket whose search postings are still to be written (see `gongdan.search.index_pending`).

    The ticket service records a new ticket here, in its own transaction, instead of writing its
    forty-odd postings there; the worker's job (and any search of the tenant, first) indexes the
    waiting tickets in batches and deletes their rows. Keyed `(tenant, ticket)`: one shard each.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", index=False)

    class Meta:
        table_name = "ticket_index_pending"
        primary_key = pw.CompositeKey("tenant", "ticket")


AUTHOR_KINDS = ("agent", "customer", "system")


class Comment(TenantModel):
    """A public reply (the customer sees it) or an internal note on a ticket.

    `author_kind` is `agent`, `customer` or `system`; rows written before it existed have
    none, and `kind_of_author` derives it from `from_customer`.
    """

    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", backref="comments")
    author = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    author_label = pw.CharField(max_length=200, default="")
    author_kind = pw.CharField(max_length=16, null=True)
    from_customer = pw.BooleanField(default=False)
    body = pw.TextField()
    internal = pw.BooleanField(default=False)
    mentions = JSONField(default=list)
    created_at = UTCDateTimeField(default=clock.now)

    @property
    def kind_of_author(self) -> str:
        """`agent`, `customer` or `system`."""
        return self.author_kind or ("customer" if self.from_customer else "agent")


class Attachment(TenantModel):
    """A file on a ticket or one of its comments; the bytes live in `gongdan.attachments` storage.

    `content_type` is sniffed from the bytes, never taken from the sender.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", backref="attachments", index=False)
    comment = pw.ForeignKeyField(Comment, null=True, on_delete="SET NULL", backref="attachments", index=False)
    filename = pw.CharField(max_length=255)
    content_type = pw.CharField(max_length=127)
    size = pw.BigIntegerField()
    sha256 = pw.CharField(max_length=64)
    storage_key = pw.CharField(max_length=255)
    inline = pw.BooleanField(default=False)
    content_id = pw.CharField(max_length=255, null=True)
    uploaded_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("tenant", "ticket"), False),)


_index_where_set(Attachment, Attachment.comment)

DELIVERY_STATES = ("queued", "sent", "failed", "retrying")
DELIVERY_KINDS = ("reply", "acknowledgement", "resolved")


class Delivery(TenantModel):
    """The outbox: one message to the customer through the ticket's channel (see `gongdan.delivery`).

    `claimed_until` is the lease of the flusher sending it now; `claim` names that flusher.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE", backref="deliveries", index=False)
    comment = pw.ForeignKeyField(Comment, null=True, on_delete="CASCADE", backref="deliveries", index=False)
    channel = pw.CharField(max_length=32)
    kind = pw.CharField(max_length=32, default="reply")
    state = pw.CharField(max_length=16, default="queued")
    attempts = pw.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(default=clock.now)
    last_error = pw.TextField(null=True)
    external_id = pw.CharField(max_length=255, null=True)
    claimed_until = UTCDateTimeField(null=True)
    claim = pw.CharField(max_length=64, null=True)
    created_at = UTCDateTimeField(default=clock.now)
    sent_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("tenant", "ticket"), False),)


_index_where_set(Delivery, Delivery.comment)
_index_where_set(Delivery, Delivery.external_id, Delivery.tenant)
Delivery.add_index(
    Delivery.index(Delivery.next_attempt_at, where=Delivery.state.in_(("queued", "retrying")), name="delivery_due")
)


class TicketEvent(TenantModel):
    """Append-only audit trail. `ticket` is null for tenant-level events (plugin toggles).

    Events whose kind maps to a notification hook are dispatched after commit and stamped
    `dispatched_at`; the reconciliation job re-dispatches any a crash left unstamped.
    Indexed for a ticket's history, a tenant's log by time and the undelivered events only.
    """

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)
    ticket = pw.ForeignKeyField(Ticket, null=True, on_delete="CASCADE", backref="events")
    kind = pw.CharField(max_length=64)
    actor = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
    actor_label = pw.CharField(max_length=200, default="")
    data = JSONField(default=dict)
    at = UTCDateTimeField(default=clock.now)
    dispatched_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("tenant", "at"), False),)


_index_where_set(TicketEvent, TicketEvent.actor)
TicketEvent.add_index(
    TicketEvent.index(
        TicketEvent.tenant, TicketEvent.at, where=TicketEvent.dispatched_at.is_null(), name="ticket_event_undelivered"
    )
)


class TenantPlugin(TenantModel):
    """Whether a plugin is enabled for a tenant, its settings, and who changed them when."""

    plugin = pw.CharField(max_length=64)
    enabled = pw.BooleanField(default=False)
    settings = JSONField(default=dict)
    updated_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("tenant", "plugin"), True),)


class ApiToken(TenantModel):
    """An API token; only its SHA-256 is stored. `prefix` identifies it to people."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE", backref="tokens")
    token_hash = pw.CharField(max_length=64, unique=True)
    prefix = pw.CharField(max_length=16)
    name = pw.CharField(max_length=100, default="")
    created_at = UTCDateTimeField(default=clock.now)
    last_used_at = UTCDateTimeField(null=True)
    revoked_at = UTCDateTimeField(null=True)
    expires_at = UTCDateTimeField(null=True)


class PluginFailure(BaseModel):
    """A plugin hook that raised: which plugin, for which tenant, where, and the traceback."""

    plugin = pw.CharField(max_length=64, index=True)
    tenant = pw.ForeignKeyField(Tenant, null=True, on_delete="CASCADE")
    hook = pw.CharField(max_length=100)
    error = pw.TextField()
    traceback = pw.TextField()
    at = UTCDateTimeField(default=clock.now, index=True)


class SchemaVersion(BaseModel):
    """The schema version each owner (the core, each plugin) has applied."""

    owner = pw.CharField(max_length=64, unique=True)
    version = pw.IntegerField()
    applied_at = UTCDateTimeField(default=clock.now)


class SystemSetting(BaseModel):
    """Installation-wide values kept in the database (e.g. data-encryption keys, wrapped by the key file's key)."""

    key = pw.CharField(max_length=100, unique=True)
    value = pw.TextField()


class RateCounter(BaseModel):
    """Hits of one limiter key in one time slot, shared by every web process (`gongdan.limits`).

    Installation-wide: keys are hashed IP addresses, e-mail addresses and token ids, which
    belong to no tenant. `expires` (epoch seconds) is when the row stops mattering.
    """

    bucket = pw.CharField(max_length=32)
    key = pw.CharField(max_length=32)
    slot = pw.BigIntegerField()
    hits = pw.IntegerField(default=0)
    expires = pw.BigIntegerField()

    class Meta:
        primary_key = pw.CompositeKey("bucket", "key", "slot")


class JobRun(BaseModel):
    """The last run of each scheduled job, shared by every worker (one run per slot)."""

    job_id = pw.CharField(max_length=100, unique=True)
    last_started_at = UTCDateTimeField(null=True)
    last_finished_at = UTCDateTimeField(null=True)
    last_error = pw.TextField(null=True)
    runner = pw.CharField(max_length=200, default="")
    runs = pw.IntegerField(default=0)


class TicketPresence(TenantModel):
    """Who has a ticket's page open, and whether they are typing (collision detection):
    refreshed by the page every few seconds, read as "seen in the last half minute"."""

    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    typing = pw.BooleanField(default=False)
    seen_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "ticket_presence"
        indexes = ((("tenant", "ticket", "user"), True),)


class SavedView(TenantModel):
    """A named ticket-list filter (the list's query string), the user's own or shared with the tenant."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    name = pw.CharField(max_length=100)
    query = pw.TextField(default="")
    shared = pw.BooleanField(default=False)
    created_at = UTCDateTimeField(default=clock.now)

    class Meta:
        table_name = "saved_view"
        indexes = ((("tenant", "user", "name"), True),)


class InboxItem(TenantModel):
    """One in-app notification of a person (the console's bell): a mention, an assignment, an SLA
    warning; `read_at` once they read it."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE")
    kind = pw.CharField(max_length=32)
    ticket = pw.ForeignKeyField(Ticket, null=True, on_delete="CASCADE")
    text = pw.CharField(max_length=300)
    created_at = UTCDateTimeField(default=clock.now)
    read_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "inbox_item"
        indexes = ((("tenant", "user", "read_at"), False),)


class TicketWatcher(TenantModel):
    """Someone following a ticket: their bell hears of its new messages and status changes."""

    ticket = pw.ForeignKeyField(Ticket, on_delete="CASCADE")
    user = pw.ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        table_name = "ticket_watcher"
        indexes = ((("tenant", "ticket", "user"), True),)


class TicketMerge(TenantModel):
    """One ticket merged into another (see `gongdan.merge`): what moved, so that it can be undone.

    `moved` holds the ids that moved (`comments`, `attachments`) and the followers the survivor
    gained (`watchers`); `before` the merged ticket's status and times before it was closed.
    """

    source = pw.ForeignKeyField(Ticket, on_delete="CASCADE", index=False)
    target = pw.ForeignKeyField(Ticket, on_delete="CASCADE", index=False)
    actor = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", index=False)
    actor_label = pw.CharField(max_length=200, default="")
    moved = JSONField(default=dict)
    before = JSONField(default=dict)
    merged_at = UTCDateTimeField(default=clock.now)
    undo_until = UTCDateTimeField()
    undone_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "ticket_merge"
        indexes = ((("tenant", "source", "merged_at"), False), (("tenant", "target", "merged_at"), False))


class DashboardSnapshot(TenantModel):
    """A tenant's dashboard snapshot as last built (`gongdan.admin.dashboard_snapshot`): its
    rows and tally, packed, and the newest change it had read. A process's first dashboard
    loads it and reads only the tickets changed since, instead of a month of tickets."""

    tenant = pw.ForeignKeyField(Tenant, on_delete="CASCADE", primary_key=True)
    saved_at = UTCDateTimeField()
    newest = UTCDateTimeField(null=True)
    data = pw.BlobField()

    class Meta:
        table_name = "dashboard_snapshot"


class PendingSecret(TenantModel):
    """A secret a person needs again on their next page (the 2FA seed they are enrolling, a new
    webhook's signing secret shown once), kept here encrypted instead of in the session cookie,
    which is signed but readable. The cookie holds a random handle; this row its SHA-256. Rows
    expire and are deleted when used (`gongdan.pending_secrets`)."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE", index=False)
    purpose = pw.CharField(max_length=32)
    handle_hash = pw.CharField(max_length=64)
    value = EncryptedTextField()
    expires_at = UTCDateTimeField()

    class Meta:
        table_name = "pending_secret"
        indexes = ((("tenant", "user", "purpose"), False), (("tenant", "handle_hash"), True))


CORE_MODELS: list[type[BaseModel]] = [
    Tenant,
    Team,
    User,
    Skill,
    AgentSkill,
    Customer,
    CustomerIdentity,
    Category,
    Ticket,
    TicketTerm,
    TicketIndexPending,
    Comment,
    Attachment,
    Delivery,
    TicketEvent,
    TenantPlugin,
    ApiToken,
    PluginFailure,
    SchemaVersion,
    SystemSetting,
    JobRun,
    RateCounter,
    SignInName,
    Lease,
    TicketPresence,
    SavedView,
    InboxItem,
    TicketWatcher,
    TicketMerge,
    DashboardSnapshot,
    PendingSecret,
]

# joins, foreign-key reads and saves of tenant-owned rows carry the tenant (one Citus shard)
from gongdan import citus_routing  # noqa: E402

citus_routing.install()
