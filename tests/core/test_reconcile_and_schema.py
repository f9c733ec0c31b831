"""Repair after a crash between commit and hooks; plugin-owned schema versions and migrations."""

from datetime import timedelta

import peewee
import pytest
from playhouse.migrate import migrate

from gongdan import clock, reconcile, tickets
from gongdan.actors import Actor
from gongdan.contributions import Schema
from gongdan.db import db, is_postgres
from gongdan.hookspecs import hookimpl
from gongdan.models import SchemaVersion, TenantModel, TicketEvent
from gongdan.plugins import get_host
from gongdan.schema import upgrade


def test_reconciliation_dispatches_events_a_crash_left_behind(tenant, hook_recorder, frozen_clock):
    ticket, _ = tickets.create(tenant, {"subject": "崩溃前提交的工单"}, Actor.system())
    # as if the process died after the commit, before the hooks ran
    TicketEvent.update(dispatched_at=None).execute()
    hook_recorder.records.clear()
    assert reconcile.reconcile_all() == 0  # too fresh: the request may still be dispatching it
    frozen_clock.advance(minutes=2)
    assert reconcile.reconcile_all() == 1
    assert [c["ticket"].id for c in hook_recorder.calls("gongdan_ticket_created")] == [ticket.id]
    assert [c["tenant"].id for c in hook_recorder.calls("gongdan_reconcile")] == [tenant.id, tenant.id]
    assert reconcile.reconcile_all() == 0
    assert TicketEvent.select().where(TicketEvent.dispatched_at.is_null()).count() == 0


def test_an_event_nobody_listens_to_is_written_delivered(tenant, frozen_clock):
    tickets.create(tenant, {"subject": "没有插件监听"}, Actor.system())
    assert TicketEvent.select().where(TicketEvent.dispatched_at.is_null()).count() == 0
    frozen_clock.advance(minutes=2)
    assert reconcile.reconcile_all() == 0


def _index_sql(*tables: str) -> dict[str, str]:
    return {index.name: index.sql.upper() for table in tables for index in db.get_indexes(table)}


def test_core_upgrade_to_v2_replaces_the_v1_indexes(tenant):
    # version 1's full index on team and its plain index on event time
    db.execute_sql('DROP INDEX "ticket_team_id"')
    db.execute_sql('CREATE INDEX "ticket_team_id" ON "ticket" ("team_id")')
    db.execute_sql('CREATE INDEX "ticket_event_at" ON "ticket_event" ("at")')
    SchemaVersion.update(version=1).where(SchemaVersion.owner == "core").execute()
    assert {c.owner: (c.before, c.after) for c in upgrade(get_host())}["core"] == (1, 3)
    indexes = _index_sql("ticket", "ticket_event")
    assert "ticket_event_at" not in indexes
    assert "WHERE" in indexes["ticket_team_id"]
    assert "WHERE" in indexes["ticket_event_undelivered"]
    ticket, _ = tickets.create(tenant, {"subject": "升级之后"}, Actor.system())
    assert ticket.number == 1


class Note(TenantModel):
    text = peewee.CharField()


class NotesV1:
    @hookimpl
    def gongdan_schema(self):
        return Schema(owner="notes", models=[Note], version=1)


class NoteV2(TenantModel):
    text = peewee.CharField()
    colour = peewee.CharField(default="yellow")

    class Meta:
        table_name = "note"


class NotesV2:
    @hookimpl
    def gongdan_schema(self):
        def add_colour(migrator):
            migrate(migrator.add_column("note", "colour", peewee.CharField(default="yellow")))

        return Schema(owner="notes", models=[NoteV2], version=2, migrations={2: add_colour})


@pytest.fixture
def cleanup_notes():
    yield
    get_host().remove("notes")
    db.execute_sql('DROP TABLE IF EXISTS "note"')
    SchemaVersion.delete().where(SchemaVersion.owner == "notes").execute()


def test_plugin_tables_are_created_then_migrated(tenant, cleanup_notes):
    host = get_host()
    host.add(NotesV1(), "notes")
    assert {c.owner: (c.before, c.after) for c in upgrade(host)}["notes"] == (None, 1)
    Note.create(tenant=tenant, text="保留的数据")
    host.remove("notes")
    host.add(NotesV2(), "notes")
    assert {c.owner: (c.before, c.after) for c in upgrade(host)}["notes"] == (1, 2)
    assert {c.owner: (c.before, c.after) for c in upgrade(host)}["notes"] == (2, 2)
    kept = NoteV2.get()
    assert (kept.text, kept.colour) == ("保留的数据", "yellow")


class NoteV1Plus(TenantModel):
    text = peewee.CharField()
    pinned_at = peewee.DateTimeField(null=True, index=True)
    priority = peewee.IntegerField(default=3)

    class Meta:
        table_name = "note"


class NotesV1Plus:
    @hookimpl
    def gongdan_schema(self):
        return Schema(owner="notes", models=[NoteV1Plus], version=1)


def test_new_columns_reach_existing_tables_without_a_migration(tenant, cleanup_notes):
    host = get_host()
    host.add(NotesV1(), "notes")
    upgrade(host)
    Note.create(tenant=tenant, text="旧行")
    host.remove("notes")
    host.add(NotesV1Plus(), "notes")
    assert {c.owner: (c.before, c.after) for c in upgrade(host)}["notes"] == (1, 1)
    assert {"pinned_at", "priority"} <= {c.name for c in db.get_columns("note")}
    assert any(i.columns == ["pinned_at"] for i in db.get_indexes("note"))
    old = NoteV1Plus.get()
    assert (old.text, old.pinned_at, old.priority) == ("旧行", None, 3)


def test_clock_can_be_frozen_and_moved(frozen_clock):
    start = clock.now()
    assert clock.advance(timedelta(hours=1)) - start == timedelta(hours=1)


def test_a_new_not_null_column_on_a_parent_table_keeps_every_row_that_refers_to_it(tenant):
    """SQLite adds a NOT NULL column by rebuilding the table; with foreign keys on, dropping the old
    `tenant` table cascaded to every ticket (the audit trail's trigger refused, failing the upgrade)."""
    from gongdan.models import Tenant, Ticket, User

    user = User.create(tenant=tenant, email="老员工@acme.example.com", role="agent", name="老员工")
    ticket, _ = tickets.create(tenant, {"subject": "升级前的工单"}, Actor.of(user))
    events = TicketEvent.select().where(TicketEvent.ticket == ticket.id).count()
    db.execute_sql('ALTER TABLE "tenant" DROP COLUMN "merge_undo_minutes"')  # as the previous release had it
    db.execute_sql('ALTER TABLE "user" DROP COLUMN "mention_email"')
    upgrade(get_host())
    assert Tenant.get_by_id(tenant.id).merge_undo_minutes == 60
    assert Ticket.select().where(Ticket.id == ticket.id).count() == 1
    assert TicketEvent.select().where(TicketEvent.ticket == ticket.id).count() == events
    assert TicketEvent.select().where(TicketEvent.actor == user.id).count() == events  # not set to NULL
    if not is_postgres():
        assert db.pragma("foreign_keys") == 1  # back on after the upgrade


class NoteV1Required(TenantModel):
    text = peewee.CharField()
    author = peewee.CharField()  # NOT NULL, no default: cannot be added to an existing table

    class Meta:
        table_name = "note"


class NotesV1Required:
    @hookimpl
    def gongdan_schema(self):
        return Schema(owner="notes", models=[NoteV1Required], version=1)


def test_a_required_new_column_names_the_table_and_the_way_out(tenant, cleanup_notes):
    host = get_host()
    host.add(NotesV1(), "notes")
    upgrade(host)
    host.remove("notes")
    host.add(NotesV1Required(), "notes")
    with pytest.raises(ValueError, match=r"note\.author: the table exists without this column") as refused:
        upgrade(host)
    assert "null=True or a default" in str(refused.value)
    assert "numbered migration" in str(refused.value)
