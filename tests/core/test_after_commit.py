"""Notification hooks run after the OUTERMOST commit (`gongdan.db.after_commit`), when a caller
nests the ticket service in a transaction of its own (the e-mail fetcher): they
see committed data, a rollback fires nothing, a hook that raises undoes nothing, and a process
killed between the commit and the hooks leaves the events for the reconciliation. SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from typing import Any

import pytest

from gongdan import clock, reconcile, tickets
from gongdan.actors import Actor
from gongdan.db import after_commit, db, write_transaction
from gongdan.hookspecs import hookimpl
from gongdan.models import PluginFailure, Ticket, TicketEvent

SYSTEM = Actor.system("test")


def new_ticket(tenant: Any, subject: str = "包裹还没到") -> Ticket:
    return tickets.create(tenant, {"subject": subject}, SYSTEM)[0]


def seen_by_another_connection(ticket_id: int) -> bool:
    """Whether another connection (another thread's) reads the ticket: only once committed."""
    found: list[bool] = []

    def read() -> None:
        try:
            found.append(Ticket.get_or_none(Ticket.id == ticket_id) is not None)
        finally:
            db.close()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(30)
    return found == [True]


class Watcher:
    """Notes, for each created ticket, whether a transaction was open and whether it was committed."""

    def __init__(self) -> None:
        self.created: list[tuple[int, bool, bool]] = []

    @hookimpl
    def gongdan_ticket_created(self, tenant: Any, ticket: Any, actor: Any) -> None:
        self.created.append((ticket.id, db.in_transaction(), seen_by_another_connection(ticket.id)))


class Failing:
    @hookimpl
    def gongdan_ticket_created(self, tenant: Any, ticket: Any, actor: Any) -> None:
        raise RuntimeError("this plugin is broken")


def test_hooks_of_a_nested_create_run_after_the_outer_commit_and_see_committed_data(tenant, register_plugin):
    watcher = Watcher()
    register_plugin(watcher, "watcher")
    with write_transaction():
        first = new_ticket(tenant, "一")
        second = new_ticket(tenant, "二")
        assert watcher.created == []  # not inside the caller's transaction
    # each event's hooks run in a transaction of their own, once the caller's has committed
    assert watcher.created == [(first.id, True, True), (second.id, True, True)]
    assert TicketEvent.select().where(TicketEvent.dispatched_at.is_null()).count() == 0


def test_outside_a_transaction_hooks_still_run_at_once(tenant, register_plugin):
    watcher = Watcher()
    register_plugin(watcher, "watcher")
    ticket = new_ticket(tenant)
    assert watcher.created == [(ticket.id, True, True)]


def create_then_give_up(tenant: Any, subject: str) -> None:
    """Create a ticket inside a transaction (a savepoint when one is open), then fail."""
    with write_transaction():
        new_ticket(tenant, subject)
        raise RuntimeError("the caller gives up")


def test_a_rollback_dispatches_nothing(tenant, hook_recorder):
    with pytest.raises(RuntimeError):
        create_then_give_up(tenant, "撤销")
    assert hook_recorder.calls("gongdan_ticket_created") == []
    assert Ticket.select().count() == 0


def test_a_rolled_back_savepoint_dispatches_nothing_of_its_own(tenant, hook_recorder):
    with write_transaction():
        kept = new_ticket(tenant, "保留")
        with pytest.raises(RuntimeError):
            create_then_give_up(tenant, "撤销")  # in a savepoint
        later = new_ticket(tenant, "之后")
    assert [c["ticket"].id for c in hook_recorder.calls("gongdan_ticket_created")] == [kept.id, later.id]
    assert sorted(t.subject for t in Ticket.select()) == sorted(["保留", "之后"])


def test_a_hook_that_raises_is_reported_and_undoes_nothing(tenant, register_plugin, hook_recorder):
    register_plugin(Failing(), "failing")
    with write_transaction():
        ticket = new_ticket(tenant)
    assert Ticket.get_by_id(ticket.id).subject == "包裹还没到"
    assert [c["ticket"].id for c in hook_recorder.calls("gongdan_ticket_created")] == [ticket.id]
    failure = PluginFailure.get(PluginFailure.plugin == "failing")
    assert (failure.hook, failure.tenant_id) == ("gongdan_ticket_created", tenant.id)
    assert "this plugin is broken" in failure.error
    assert TicketEvent.select().where(TicketEvent.dispatched_at.is_null()).count() == 0


class WritesThenFails:
    @hookimpl
    def gongdan_ticket_created(self, tenant: Any, ticket: Any, actor: Any) -> None:
        tickets.record_event(tenant, ticket, "failing.note", {}, actor)
        raise RuntimeError("broken after writing")


class Writes:
    @hookimpl
    def gongdan_ticket_created(self, tenant: Any, ticket: Any, actor: Any) -> None:
        tickets.record_event(tenant, ticket, "writer.note", {}, actor)


def test_one_transaction_per_event_a_failing_plugin_rolls_back_to_its_savepoint(tenant, register_plugin):
    register_plugin(Writes(), "writer")
    register_plugin(WritesThenFails(), "failing")
    ticket = new_ticket(tenant)
    kinds = [e.kind for e in TicketEvent.select().where(TicketEvent.ticket == ticket.id).order_by(TicketEvent.id)]
    assert kinds == ["created", "writer.note"]  # the failing plugin's write went back, the other's stayed
    assert "broken after writing" in PluginFailure.get(PluginFailure.plugin == "failing").error
    assert TicketEvent.get(TicketEvent.kind == "created").dispatched_at is not None


def test_callbacks_run_in_order_and_one_that_raises_stops_none(tenant, caplog):
    ran: list[str] = []

    def broken() -> None:
        raise ValueError("boom")

    def opens_its_own() -> None:
        with write_transaction():  # a new outermost transaction: what it queues runs at its commit
            after_commit(lambda: ran.append("inner"))
            ran.append("own")

    with write_transaction():
        after_commit(lambda: ran.append("first"))
        after_commit(broken)
        after_commit(opens_its_own)
        after_commit(lambda: ran.append("last"))
        assert ran == []
    assert ran == ["first", "own", "inner", "last"]
    assert "boom" in caplog.text


KILLED_AFTER_COMMIT = """
import os, signal
from gongdan import tickets
from gongdan.actors import Actor
from gongdan.db import open_database, write_transaction
from gongdan.hookspecs import hookimpl
from gongdan.models import Tenant
from gongdan.plugins import get_host

class Killer:
    @hookimpl
    def gongdan_ticket_created(self, tenant, ticket, actor):
        os.kill(os.getpid(), signal.SIGKILL)  # dies after the commit, before any hook finished

open_database(os.environ["GONGDAN_DATABASE_URL"])
get_host().add(Killer(), "killer")
get_host().always_on.add("killer")
tenant = Tenant.get(Tenant.slug == os.environ["TENANT"])
with write_transaction():
    tickets.create(tenant, {"subject": "提交后进程被杀"}, Actor.system("test"))
"""


def test_kill_9_between_the_commit_and_the_hooks_leaves_the_events_for_reconciliation(
    tenant, hook_recorder, gongdan_database_url
):
    env = {**os.environ, "GONGDAN_DATABASE_URL": gongdan_database_url, "TENANT": tenant.slug}
    child = subprocess.run([sys.executable, "-c", KILLED_AFTER_COMMIT], env=env, timeout=120, capture_output=True)
    assert child.returncode == -9, child.stderr.decode()[-2000:]
    [ticket] = Ticket.select()
    assert ticket.subject == "提交后进程被杀"  # committed before the kill
    [event] = TicketEvent.select().where(TicketEvent.ticket == ticket)
    assert (event.kind, event.dispatched_at) == ("created", None)
    clock.freeze(clock.now() + timedelta(minutes=2))
    try:
        assert reconcile.reconcile_all() == 1
        assert reconcile.reconcile_all() == 0
    finally:
        clock.unfreeze()
    assert [c["ticket"].id for c in hook_recorder.calls("gongdan_ticket_created")] == [ticket.id]
