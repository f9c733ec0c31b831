"""Fetching from a real Dovecot: UID watermarks, no reliance on \\Seen, UIDVALIDITY, isolation,
size limits, kill -9 in the middle. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import pytest
from gongdan_email import fetch, ingest
from gongdan_email.models import EmailMessage, EmailQuarantine, Mailbox
from gongdan_email.testing import HangingServer
from gongdan_sla.models import SlaTicket

from gongdan import clock, dispatcher, reconcile
from gongdan.db import db
from gongdan.hookspecs import hookimpl
from gongdan.models import Ticket, TicketEvent
from gongdan.testing import wait_until_unlocked


def message(n: int, *, size: int = 0, sender: str = "buyer@example.com") -> bytes:
    """A numbered message (padded to about `size` bytes)."""
    body = f"message number {n}\r\n" + ("x" * 76 + "\r\n") * (size // 78)
    return (
        f"From: Buyer <{sender}>\r\nTo: support@acme.example\r\nSubject: question {n}\r\n"
        f"Message-ID: <q{n}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    ).encode()


def test_fetch_turns_new_mail_into_tickets_and_moves_the_watermark(
    make_mailbox: Any, dovecot: Any, tenant: Any
) -> None:
    box = make_mailbox()
    dovecot.deliver_many([message(1), message(2)])
    [run] = fetch.fetch_all(tenant)
    assert (run.error, dict(run.counts), run.backlog) == (None, {"ticket": 2}, 0)
    row = Mailbox.get_by_id(box.id)
    assert (row.last_uid, row.backlog, row.last_error) == (2, 0, "")
    assert row.uidvalidity
    assert row.last_success_at is not None
    dovecot.deliver(message(3))
    [run] = fetch.fetch_all(tenant)
    assert dict(run.counts) == {"ticket": 1}
    assert sorted(t.subject for t in Ticket.of(tenant)) == ["question 1", "question 2", "question 3"]


def test_messages_already_marked_seen_are_fetched_too(make_mailbox: Any, dovecot: Any, tenant: Any) -> None:
    make_mailbox()
    path = dovecot.deliver(message(1))
    seen = path.parent.parent / "cur" / (path.name + ":2,S")  # read in another client
    os.rename(path, seen)
    [run] = fetch.fetch_all(tenant)
    assert dict(run.counts) == {"ticket": 1}


def test_fetching_leaves_the_seen_flag_alone(make_mailbox: Any, dovecot: Any, tenant: Any) -> None:
    box = make_mailbox()
    dovecot.deliver(message(1))
    fetch.fetch_all(tenant)
    client = fetch.open_imap(box)
    client.select("INBOX", readonly=True)
    flags = client.uid("FETCH", "1", "(FLAGS)")[1][0]
    client.logout()
    assert b"\\Seen" not in flags


def test_a_new_uidvalidity_starts_over_without_duplicates(make_mailbox: Any, dovecot: Any, tenant: Any) -> None:
    box = make_mailbox()
    dovecot.deliver_many([message(1), message(2)])
    fetch.fetch_all(tenant)
    before = Mailbox.get_by_id(box.id).uidvalidity
    time.sleep(1.1)  # Dovecot's UIDVALIDITY is a time stamp
    dovecot.reset_uidvalidity()
    dovecot.deliver(message(3))
    [run] = fetch.fetch_all(tenant)
    assert Mailbox.get_by_id(box.id).uidvalidity != before
    assert dict(run.counts) == {"duplicate": 2, "ticket": 1}
    assert Ticket.of(tenant).count() == 3


def test_a_broken_mailbox_shows_its_reason_while_the_others_flow(make_mailbox: Any, dovecot: Any, tenant: Any) -> None:
    good = make_mailbox()
    wrong = make_mailbox("sales@acme.example", password="wrong")
    hanging_server = HangingServer()
    try:
        hang = make_mailbox("hang@acme.example", imap_port=hanging_server.port)
        dovecot.deliver(message(1))
        started = time.monotonic()
        runs = {run.mailbox_id: run for run in fetch.fetch_all(tenant, timeout=5)}
        elapsed = time.monotonic() - started
    finally:
        hanging_server.stop()
    assert dict(runs[good.id].counts) == {"ticket": 1}
    assert "login refused" in Mailbox.get_by_id(wrong.id).last_error
    assert (
        "did not answer" in Mailbox.get_by_id(hang.id).last_error
        or "unreachable" in Mailbox.get_by_id(hang.id).last_error
    )
    assert Mailbox.get_by_id(good.id).last_error == ""
    assert elapsed < 15


def test_a_40_mb_message_is_not_downloaded_and_the_rest_flows(make_mailbox: Any, dovecot: Any, tenant: Any) -> None:
    box = make_mailbox()
    dovecot.deliver_many([message(1), message(2, size=40 * 1024 * 1024), message(3)])
    [run] = fetch.fetch_all(tenant)
    assert dict(run.counts) == {"ticket": 2, "quarantined": 1}
    entry = EmailQuarantine.get()
    assert "40.0 MB is over the 25 MB limit" in entry.reason
    assert len(bytes(entry.raw)) < 10_000  # headers only
    row = Mailbox.get_by_id(box.id)
    assert row.last_uid == 3
    assert "over the 25 MB limit" in row.last_error


def test_mailboxes_of_tenants_without_the_plugin_are_left_alone(
    make_mailbox: Any, dovecot: Any, tenant: Any, other_tenant: Any
) -> None:
    make_mailbox()
    from gongdan_email import mailboxes

    mailboxes.create(
        other_tenant,
        {"address": "x@globex.example", "imap_host": "127.0.0.1", "imap_port": dovecot.port, "imap_security": "none"},
    )
    assert [m.tenant_id for m in fetch.mailboxes_to_fetch()] == [tenant.id]


KILL_SCRIPT = """
import os, sys
from gongdan.db import open_database
from gongdan_email import fetch
open_database(os.environ["GONGDAN_DATABASE_URL"])
fetch.fetch_all()
"""


def test_kill_9_in_the_middle_loses_nothing_and_duplicates_nothing(
    make_mailbox: Any, dovecot: Any, tenant: Any, gongdan_database_url: str, gongdan_db: Any, enable_plugin: Any
) -> None:
    enable_plugin("sla")  # a plugin listening to new tickets: its hooks run after each commit
    box = make_mailbox()
    count = 300
    dovecot.deliver_many([message(n) for n in range(count)])
    env = {**os.environ, "GONGDAN_DATABASE_URL": gongdan_database_url, "GONGDAN_OUTBOUND_ALLOW": "127.0.0.0/8,::1"}
    child = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and EmailMessage.select().count() < 30:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    wait_until_unlocked(f"email.mailbox.{box.id}")
    done_before = EmailMessage.select().count()
    assert 0 < done_before < count, "the kill should land in the middle"
    fetch.fetch_all(tenant)
    subjects = [t.subject for t in Ticket.of(tenant)]
    assert len(subjects) == count
    assert len(set(subjects)) == count
    assert Mailbox.get_by_id(box.id).last_uid == count
    # what the kill cut off between a commit and its hooks, the reconciliation delivers once
    clock.freeze(clock.now() + timedelta(minutes=2))
    try:
        reconcile.reconcile_all()
    finally:
        clock.unfreeze()
    assert TicketEvent.select().where(TicketEvent.dispatched_at.is_null()).count() == 0
    assert SlaTicket.select().count() == count


def _synchronous_commit() -> str:
    return db.execute_sql("SHOW synchronous_commit").fetchone()[0]


class _CommitProbe:
    """A plugin noting, in each new ticket's hook (after the commit), whether commits wait for the WAL flush."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    @hookimpl
    def gongdan_ticket_created(self, ticket: Any) -> None:
        self.seen.append((ticket.subject, _synchronous_commit()))


@pytest.mark.parametrize("gongdan_backend", ["postgresql"], indirect=True)  # SQLite has no synchronous_commit
def test_a_fetch_commits_without_waiting_for_the_wal_flush_and_nothing_else_does(
    make_mailbox: Any, dovecot: Any, tenant: Any, register_plugin: Any, agent_api: Any, monkeypatch: Any
) -> None:
    probe = _CommitProbe()
    register_plugin(probe, "commit-probe")
    inside: list[tuple[bool, str]] = []
    real_ingest = ingest.ingest

    def noting_ingest(*args: Any, **kwargs: Any) -> Any:
        inside.append((db.in_transaction(), _synchronous_commit()))
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(ingest, "ingest", noting_ingest)
    box = make_mailbox()
    dovecot.deliver_many([message(1), message(2)])
    before = _synchronous_commit()
    assert before != "off"
    run = fetch.fetch_mailbox(box.id)  # on this test's own connection
    assert (run.error, dict(run.counts)) == (None, {"ticket": 2})
    assert inside == [(True, "off"), (True, "off")]  # the fetch's transactions
    assert probe.seen == []  # ingestion: the hooks are left to the worker's core.dispatch
    assert _synchronous_commit() == before  # reset when the fetch ends
    dispatcher.dispatch_batches()  # the worker's batch is no fetch: it waits for the flush
    assert sorted(probe.seen) == [("question 1", before), ("question 2", before)]
    created = agent_api.post("/api/v1/tickets", json={"subject": "by the API"})
    assert created.status_code == 201, created.get_json()
    assert probe.seen[-1] == ("by the API", before)  # a request on the same connection waits for the flush


def test_the_command_line_fetches_and_says_what_it_did(make_mailbox: Any, dovecot: Any, tenant: Any) -> None:
    from click.testing import CliRunner
    from gongdan_email.cli import email

    box = make_mailbox()
    dovecot.deliver_many([message(1), message(2)])
    result = CliRunner().invoke(email, ["fetch", "--tenant", "acme", "--mailbox", str(box.id)])
    assert result.exit_code == 0, result.output
    assert f"acme #{box.id} support@acme.example: 2 ticket; backlog 0" in result.output
    assert "1 mailboxes, 2 messages, 0 with errors" in result.output
    unknown = CliRunner().invoke(email, ["fetch", "--tenant", "nope"])
    assert unknown.exit_code == 2
