"""Fetching mailboxes over IMAP: UID watermarks, size checks before download, isolation.

Each mailbox is fetched on its own thread of a bounded pool, under an installation-wide lock
of its own (a second fetcher skips it). The folder is opened read-only (`EXAMINE`) and bodies
are read with `BODY.PEEK[]`, so nothing is marked `\\Seen` and nothing relies on it: what has
been handled is `Mailbox.last_uid` under `Mailbox.uidvalidity` (a new UIDVALIDITY starts the
folder over; the dedup rows keep that from duplicating anything). Every socket operation has a
timeout and each run a deadline, so a failing or hanging server is recorded on its mailbox —
the reason in plain words — and never holds up the others.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from gongdan import clock, outbound, tickets
from gongdan.db import db, is_postgres, write_transaction
from gongdan.locks import try_lock
from gongdan.models import Tenant
from gongdan.plugins import get_host

from . import ingest
from .models import Mailbox
from .settings import PLUGIN, settings_of

TIMEOUT = 30.0
DEADLINE = 300.0
WORKERS = 4
BATCH_BYTES = 20 * 1024 * 1024
BATCH_COUNT = 50
COMMIT_EVERY = 10
"""Messages per transaction: their tickets, dedup rows and the watermark commit together (a
crash before the commit refetches them all, after it none), and the other plugins' hooks run
after that commit. One commit per message cost about a quarter of the ingest's CPU."""
RELAXED_COMMITS = True
"""On PostgreSQL, run a fetch's writes with `synchronous_commit = off` (see `relaxed_commits`)."""
FETCH_ITEM = re.compile(rb"UID (\d+)")
SIZE_ITEM = re.compile(rb"RFC822\.SIZE (\d+)")

Progress = Callable[[int, int], None]  # (more messages found, messages done)


class FetchError(Exception):
    """A mailbox-level failure, in words for its admin."""


@dataclass
class MailboxRun:
    """What one fetch of one mailbox did."""

    mailbox_id: int
    tenant: str
    address: str
    counts: Counter = field(default_factory=Counter)
    error: str | None = None
    backlog: int = 0
    skipped: bool = False

    def summary(self) -> str:
        """One line for the command line."""
        head = f"{self.tenant} #{self.mailbox_id} {self.address}:"
        if self.skipped:
            return f"{head} skipped (another fetch is running)"
        done = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items())) or "nothing new"
        tail = f"; error: {self.error}" if self.error else ""
        return f"{head} {done}; backlog {self.backlog}{tail}"


def open_imap(mailbox: Mailbox, timeout: float = TIMEOUT) -> imaplib.IMAP4:
    """A client signed in to the mailbox's IMAP server (through the outbound guard)."""
    client = outbound.imap(mailbox.imap_host, mailbox.imap_port, security=mailbox.imap_security, timeout=timeout)
    try:
        client.login(mailbox.username, mailbox.password or "")
    except BaseException:
        client.shutdown()
        raise
    return client


def describe(exc: BaseException) -> str:
    """A mailbox failure in words an admin can act on (never the remote side's long text)."""
    if isinstance(exc, FetchError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "the server did not answer in time (timeout)"
    if isinstance(exc, imaplib.IMAP4.error):
        text = str(exc)
        if "AUTHENTICATIONFAILED" in text.upper() or "LOGIN" in text.upper() or "auth" in text.lower():
            return "login refused: wrong user name or password (for QQ/163 use the authorisation code)"
        return f"the IMAP server refused: {text[:200]}"
    return outbound.describe(exc)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(answer: tuple[str, list], what: str) -> list:
    status, data = answer
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")[:200]
        raise FetchError(f"{what} failed: {detail}")
    return data


def _uids_after(client: imaplib.IMAP4, last_uid: int) -> list[int]:
    data = _check(client.uid("SEARCH", None, f"UID {last_uid + 1}:*"), "SEARCH")
    found = [int(n) for chunk in data if chunk for n in chunk.split()]
    return sorted(u for u in set(found) if u > last_uid)


def _sizes(client: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    data = _check(client.uid("FETCH", ",".join(map(str, uids)), "(RFC822.SIZE)"), "FETCH RFC822.SIZE")
    sizes = {}
    for item in data:
        line = item[0] if isinstance(item, tuple) else item
        uid, size = FETCH_ITEM.search(line or b""), SIZE_ITEM.search(line or b"")
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _bodies(client: imaplib.IMAP4, uids: list[int], part: str = "BODY.PEEK[]") -> dict[int, bytes]:
    if not uids:
        return {}
    data = _check(client.uid("FETCH", ",".join(map(str, uids)), f"({part})"), "FETCH")
    bodies = {}
    for item in data:
        if isinstance(item, tuple):
            uid = FETCH_ITEM.search(item[0])
            if uid:
                bodies[int(uid.group(1))] = item[1]
    return bodies


def _batches(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (total + size > BATCH_BYTES or len(batch) >= BATCH_COUNT):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


class _Fetcher:
    """One run over one mailbox."""

    def __init__(self, mailbox: Mailbox, run: MailboxRun, timeout: float, progress: Progress | None) -> None:
        self.mailbox, self.run, self.timeout, self.progress = mailbox, run, timeout, progress
        self.tenant: Tenant = mailbox.tenant
        settings = settings_of(self.tenant)
        self.limit = settings["max_message_mb"] * 1024 * 1024
        self.reopen_days = settings["reopen_days"]
        self.deadline = time.monotonic() + DEADLINE

    def open_folder(self, client: imaplib.IMAP4) -> None:
        box = self.mailbox
        _check(client.select(_quote(box.imap_folder), readonly=True), f"opening folder {box.imap_folder!r}")
        validity = client.response("UIDVALIDITY")[1]
        uidvalidity = int(validity[0]) if validity and validity[0] else 0
        if box.uidvalidity != uidvalidity:
            # a new folder generation: start over; the dedup rows keep the old messages from repeating
            Mailbox.update(uidvalidity=uidvalidity, last_uid=0).where(Mailbox.id == box.id).execute()
            box.uidvalidity, box.last_uid = uidvalidity, 0

    def fetch(self, client: imaplib.IMAP4) -> None:
        uids = _uids_after(client, self.mailbox.last_uid)
        self.run.backlog = len(uids)
        self._record(backlog=len(uids))
        if self.progress and uids:
            self.progress(len(uids), 0)
        for start in range(0, len(uids), BATCH_COUNT):
            chunk = uids[start : start + BATCH_COUNT]
            sizes = _sizes(client, chunk)
            large = [u for u in chunk if sizes.get(u, 0) > self.limit]
            small = [u for u in chunk if u not in large]
            for batch in _batches(small, sizes):
                self._handle(batch, _bodies(client, batch))
            if large:
                self._too_large(large, sizes, _bodies(client, large, "BODY.PEEK[HEADER]"))

    def _handle(self, uids: list[int], bodies: dict[int, bytes]) -> None:
        for start in range(0, len(uids), COMMIT_EVERY):
            if time.monotonic() > self.deadline:
                raise FetchError(f"stopped after {int(DEADLINE)} s; the rest is fetched on the next run")
            done: list[str] = []
            with write_transaction():  # each message in a savepoint of its own (see `ingest.ingest`)
                for uid in uids[start : start + COMMIT_EVERY]:
                    raw = bodies.get(uid)
                    if raw is None:  # expunged meanwhile
                        ingest.advance(self.mailbox, uid)
                        continue
                    done.append(
                        ingest.ingest(self.tenant, self.mailbox, raw, uid=uid, reopen_days=self.reopen_days).outcome
                    )
            for outcome in done:  # counted once committed
                self._count(outcome)

    def _too_large(self, uids: list[int], sizes: dict[int, int], headers: dict[int, bytes]) -> None:
        limit_mb = self.limit // (1024 * 1024)
        for uid in uids:
            size_mb = sizes[uid] / (1024 * 1024)
            reason = f"message of {size_mb:.1f} MB is over the {limit_mb} MB limit; it was not downloaded"
            raw = headers.get(uid) or b""
            key = f"uid:{self.mailbox.uidvalidity}:{uid}"
            with write_transaction():
                ingest.quarantine(self.tenant, self.mailbox, key, raw, reason, uid=uid)
                ingest.advance(self.mailbox, uid)
            self.run.error = f"UID {uid}: {reason}"
            self._count("quarantined")

    def _count(self, outcome: str) -> None:
        self.run.counts[outcome] += 1
        self.run.backlog -= 1
        if self.progress:
            self.progress(0, 1)

    def _record(self, **values: object) -> None:
        Mailbox.update(**values).where(Mailbox.id == self.mailbox.id).execute()


@contextlib.contextmanager
def relaxed_commits() -> Iterator[None]:
    """On PostgreSQL, commits of this connection that do not wait for the WAL flush, until the block ends.

    Safe for a fetch, and only for it: a fetch acknowledges nothing to anyone (the message stays on
    the IMAP server) and the mailbox's UID watermark commits with the tickets, so a server crash
    that loses the last commits loses their watermark too and the messages are fetched again
    (idempotent on the Message-ID). A session setting, not `SET LOCAL`, because the other
    plugins' hooks run after each commit outside any transaction (`gongdan.db.after_commit`) on
    this connection: their own commits are covered too. The setting is reset when the block
    ends, so the fetch's last write (`last_fetch_at`) and whatever the connection runs next
    commit synchronously again — and that first synchronous commit flushes the fetch's commits
    with it. Does nothing on SQLite (already `synchronous = normal` in WAL mode).
    """
    if not (RELAXED_COMMITS and is_postgres()):
        yield
        return
    db.execute_sql("SET synchronous_commit = off")
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a broken connection is closed anyway
            db.execute_sql("RESET synchronous_commit")


def fetch_mailbox(mailbox_id: int, *, timeout: float = TIMEOUT, progress: Progress | None = None) -> MailboxRun:
    """Fetch one mailbox now; the outcome (and any error) is recorded on the mailbox."""
    mailbox = Mailbox.select(Mailbox, Tenant).join(Tenant).where(Mailbox.id == mailbox_id).get()
    run = MailboxRun(mailbox.id, mailbox.tenant.slug, mailbox.address)
    with try_lock(f"email.mailbox.{mailbox.id}") as got:
        if not got:
            run.skipped = True
            return run
        fetcher = _Fetcher(mailbox, run, timeout, progress)
        started = clock.now()
        try:
            client = open_imap(mailbox, timeout)
            try:
                fetcher.open_folder(client)
                with relaxed_commits(), tickets.ingesting():  # hooks by the worker's batches
                    fetcher.fetch(client)
            finally:
                _close(client)
        except Exception as exc:  # noqa: BLE001 - any failure belongs to this mailbox alone
            run.error = describe(exc)
        values: dict[str, object] = {"last_fetch_at": started, "backlog": max(run.backlog, 0)}
        values["last_error"] = run.error or ""
        if run.error:
            values["last_error_at"] = clock.now()
        else:
            values["last_success_at"] = clock.now()
        fetcher._record(**values)
    return run


def check(mailbox: Mailbox, timeout: float = 10.0) -> tuple[bool, str]:
    """Sign in and open the folder: `(ok, what happened)` for "test connection"."""
    try:
        client = open_imap(mailbox, timeout)
        try:
            _check(client.select(_quote(mailbox.imap_folder), readonly=True), f"opening folder {mailbox.imap_folder!r}")
            count = int(client.response("EXISTS")[1][0] or 0) if client.response("EXISTS")[1] else 0
        finally:
            _close(client)
    except Exception as exc:  # noqa: BLE001 - reported to the admin
        return False, describe(exc)
    return True, f"{mailbox.imap_folder}: {count} messages"


def _close(client: imaplib.IMAP4) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the server went away: the socket is closed either way
        client.shutdown()


def mailboxes_to_fetch(tenant: Tenant | None = None, mailbox_id: int | None = None) -> list[Mailbox]:
    """Active mailboxes of tenants where the plugin is enabled (or the one asked for)."""
    if mailbox_id is not None:
        query = Mailbox.select().where(Mailbox.id == mailbox_id)
        return list(query.where(Mailbox.tenant == tenant) if tenant is not None else query)
    tenants = [tenant] if tenant is not None else get_host().tenants_with(PLUGIN)
    if not tenants:
        return []
    return list(
        Mailbox.select()
        .where(Mailbox.tenant.in_([t.id for t in tenants]) & (Mailbox.active == True))  # noqa: E712
        .order_by(Mailbox.id)
    )


def _in_thread(mailbox_id: int, timeout: float, progress: Progress | None) -> MailboxRun:
    try:
        return fetch_mailbox(mailbox_id, timeout=timeout, progress=progress)
    finally:
        if not db.is_closed():
            db.close()


def fetch_all(
    tenant: Tenant | None = None,
    mailbox_id: int | None = None,
    *,
    workers: int = WORKERS,
    timeout: float = TIMEOUT,
    progress: Progress | None = None,
) -> list[MailboxRun]:
    """Fetch every mailbox concerned, at most `workers` at a time; one run per mailbox."""
    ids = [m.id for m in mailboxes_to_fetch(tenant, mailbox_id)]
    if not ids:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(ids))), thread_name_prefix="email-fetch") as pool:
        futures = [pool.submit(_in_thread, i, timeout, progress) for i in ids]
        return [f.result() for f in futures]


def scheduled_fetch() -> None:
    """The scheduler's job: fetch every active mailbox of every tenant with the plugin on."""
    fetch_all()
