"""The worker's dispatch of pending ticket events, in batches (the job `core.dispatch`).

Ingestion leaves its events undelivered (`gongdan.tickets.ingesting`); a crash between a
request's commit and its hooks does too. `dispatch_batches` fires them: per tenant, `BATCH`
events a transaction, oldest first, each plugin's hook in a savepoint of its own as in the
request (`PluginHost.notify`: a plugin that raises is rolled back to it and recorded, the
others' work stays), and the events' `dispatched_at` stamps committed with the hooks' work.

Exactly once: the stamp and the hooks' work commit together or not at all (a worker killed
mid-batch leaves the whole batch undelivered, nothing of it written). Two workers never take the
same tenant's batch at once: on SQLite the batch holds the write lock (BEGIN IMMEDIATE); on
PostgreSQL it takes a transaction-level advisory lock of the tenant (a second worker skips the
tenant) and reads the events FOR UPDATE, so a request firing its own event meanwhile
(`tickets._dispatch_now` claims it the same way) is waited for and its event skipped. Events
fire in the order they were written, so one ticket's events stay in order.

Bounded: the job runs every `INTERVAL_SECONDS` and loops until nothing waits, so an event waits
for about that interval plus the batches before it.

A command line that ingests (`gongdan email fetch`, `gongdan pdd sync`, a connector's `sync`)
runs where no scheduler may be running: it calls `prepare` first and `finish` (or
`finish_and_report`) at its end,
which fires the same batches, with the same claims, in the command's own process, and sends the
messages they queued (acknowledgements, triggers' replies), so nothing waits for a worker to
start. A worker running at the same time takes some batches instead; each event fires once.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gongdan import clock, tickets
from gongdan.db import db, is_postgres, write_transaction
from gongdan.models import Tenant, Ticket, TicketEvent
from gongdan.statements import PreparedStatement, hydrate

BATCH = 300
INTERVAL_SECONDS = 2
_memo: ContextVar[dict[Any, Any] | None] = ContextVar("gongdan_batch_memo", default=None)
_LOCK_CLASS = zlib.crc32(b"gongdan.dispatch") & 0x7FFFFFFF  # advisory lock space (class, tenant)

_tenants_waiting = PreparedStatement(
    "SELECT DISTINCT tenant_id FROM {event} WHERE dispatched_at IS NULL", event=TicketEvent
)


def dispatch_batches(
    tenant_id: int | None = None,
    batch: int = BATCH,
    *,
    older_than: datetime | None = None,
    nested: str = "worker",
    on_batch: Callable[[list[TicketEvent]], None] | None = None,
) -> int:
    """Fire the hooks of the undelivered events (of `tenant_id`, or of every tenant), `batch`
    events a transaction, until none waits; returns how many events were fired.

    `older_than` takes only events written before it (the reconciliation job's grace).
    `nested`: how the events the hooks themselves write (an assignment's `assigned`) are
    dispatched — `worker` leaves them to the next batch, `inline` fires them after the batch
    commits as a request would. `on_batch(events)` is called after each batch commits with the
    events it fired (a progress bar). Safe beside other workers and requests (see the module).
    """
    if tenant_id is None:  # tenant by tenant: every statement stays on one shard (Citus)
        tenants = sorted(row[0] for row in _tenants_waiting.execute(()).fetchall())
        return sum(dispatch_batches(t, batch, older_than=older_than, nested=nested, on_batch=on_batch) for t in tenants)
    tenant = Tenant.get_or_none(Tenant.id == tenant_id)
    if tenant is None:
        return 0
    done = 0
    while True:
        events = _one_batch(tenant, batch, older_than, nested)
        done += len(events)
        if not events:
            return done
        if on_batch is not None:
            on_batch(events)


def _one_batch(tenant: Tenant, batch: int, older_than: datetime | None, nested: str) -> list[TicketEvent]:
    """One transaction: claim up to `batch` events, fire them in order, stamp them; returns them
    (none when none waits or another worker holds the tenant)."""
    with write_transaction():
        if is_postgres() and not _tenant_lock(tenant.id):
            return []
        events = _claim(tenant.id, batch, older_than)
        if not events:
            return []
        now = clock.now()
        TicketEvent.update(dispatched_at=now).where(
            (TicketEvent.tenant == tenant.id) & TicketEvent.id.in_([e.id for e in events])
        ).execute()
        known = _tickets(tenant.id, sorted({e.ticket_id for e in events}))
        fired: set[int] = set()
        token = tickets._mode.set(nested)
        memo = _memo.set({})
        try:
            for event in events:
                if event.ticket_id in fired:  # an earlier hook of this batch may have changed it
                    known[event.ticket_id] = Ticket.get_or_none(Ticket.id == event.ticket_id)
                ticket = known.get(event.ticket_id)
                if ticket is None:
                    continue
                ticket.tenant = tenant
                fired.add(event.ticket_id)
                tickets.fire(tenant, ticket, event)
        finally:
            _memo.reset(memo)
            tickets._mode.reset(token)
    return events


def batch_memo() -> dict[Any, Any] | None:
    """A dict that lives as long as the current batch's transaction, for a hook to keep what it
    read once per batch instead of once per ticket (e.g. whether anyone in the tenant is online);
    None outside a batch (a request's inline dispatch). Key it by your plugin's name and the
    tenant. Only what no hook of the same batch can change belongs there: the batch holds
    SQLite's write lock, but on PostgreSQL other transactions commit meanwhile, so treat an
    entry as read at the start of the batch (at most `INTERVAL_SECONDS` plus a batch old)."""
    return _memo.get()


def _tenant_lock(tenant_id: int) -> bool:
    """The tenant's dispatch lock for this transaction (PostgreSQL), without waiting."""
    got = db.execute_sql("SELECT pg_try_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, tenant_id)).fetchone()[0]
    return bool(got)


_EVENT_FIELDS = [TicketEvent._meta.fields[name] for name in ("id", "ticket", "kind", "actor", "actor_label", "data")]
_TICKET_FIELDS = list(Ticket._meta.sorted_fields)


def _rows(model: type, fields: list, query: Any) -> list[Any]:
    """The rows of `query` (`.tuples()` of `fields`, converted by peewee) as instances, without
    peewee's per-row model construction (a third of a batch's reading time)."""
    names = [f.name for f in fields]
    return [hydrate(model, dict(zip(names, row, strict=True))) for row in query]


def _claim(tenant_id: int, batch: int, older_than: datetime | None) -> list[TicketEvent]:
    where = (TicketEvent.tenant == tenant_id) & TicketEvent.dispatched_at.is_null()
    where &= TicketEvent.kind.in_(tickets.DISPATCHED_KINDS)
    if older_than is not None:
        where &= TicketEvent.at < older_than
    query = TicketEvent.select(*_EVENT_FIELDS).where(where).order_by(TicketEvent.id).limit(batch)
    if is_postgres():  # a request firing one of them now is waited for; its stamp then excludes it
        query = query.for_update()
    events = _rows(TicketEvent, _EVENT_FIELDS, query.tuples())
    for event in events:
        event.__data__["tenant"] = tenant_id
    return events


def _tickets(tenant_id: int, ids: list[int]) -> dict[int, Ticket]:
    query = Ticket.select(*_TICKET_FIELDS).where((Ticket.tenant == tenant_id) & Ticket.id.in_(ids)).tuples()
    return {ticket.id: ticket for ticket in _rows(Ticket, _TICKET_FIELDS, query)}


def pending_count(tenant_id: int | None = None) -> int:
    """How many events wait for their hooks (of `tenant_id`, or everywhere)."""
    query = TicketEvent.select().where(TicketEvent.dispatched_at.is_null())
    if tenant_id is not None:
        query = query.where(TicketEvent.tenant == tenant_id)
    return query.count()


WAIT_SECONDS = 60.0


@dataclass
class Finished:
    """What `finish` did: `events` fired here for `tickets` tickets, `sent` messages the channels
    accepted, and `left` events still waiting when it gave up waiting for another worker."""

    events: int = 0
    tickets: int = 0
    sent: int = 0
    left: int = 0

    def summary(self) -> str:
        """One line for a command line."""
        line = f"fired the plugins' work for {self.tickets} tickets ({self.events} events)"
        if self.sent:
            line += f"; sent {self.sent} messages"
        if self.left:
            line += f"; {self.left} events left to the running worker"
        return line


def finish(
    tenant_ids: Iterable[int] | None = None,
    *,
    send: bool = True,
    wait: float = WAIT_SECONDS,
    on_batch: Callable[[list[TicketEvent]], None] | None = None,
) -> Finished:
    """Fire now, in this process, the plugins' work that ingestion left to the worker (of the
    tenants `tenant_ids`, or of every tenant), then send the messages it queued.

    For the end of a command that ingested under `tickets.ingesting()` (`gongdan email fetch`,
    `gongdan pdd sync`, a connector's `sync`), where no scheduler may run: the new tickets are
    assigned, their SLA clocks set, the triggers run, and — with `send` — the outbox of those
    tenants is flushed (`gongdan.delivery.flush`: acknowledgements, triggers' replies) before the
    command exits. The batches and claims are the worker's (`dispatch_batches`): a worker running
    at the same time fires some batches instead, and each event fires once. When another worker
    holds a tenant's batch (PostgreSQL skips a held tenant) this waits for it, at most `wait`
    seconds, so that on return nothing of these tenants waits (`left` counts what still did).
    Then the scheduled jobs flagged `after_ingestion` run once (the automation plugin's triggers
    on plugin events: a Pinduoduo request agreed at once), and the hooks of what they changed.
    `on_batch(events)` after each batch fired here (a progress bar).
    """
    from gongdan import delivery

    wanted = None if tenant_ids is None else sorted(set(tenant_ids))
    done = Finished()
    seen: set[int] = set()

    def noted(events: list[TicketEvent]) -> None:
        done.events += len(events)
        seen.update(e.ticket_id for e in events)
        if on_batch is not None:
            on_batch(events)

    def fire_waiting() -> None:
        deadline = time.monotonic() + wait
        while True:
            for tenant_id in wanted if wanted is not None else [None]:
                dispatch_batches(tenant_id, on_batch=noted)
            done.left = waiting(wanted)
            if not done.left or time.monotonic() >= deadline:
                return
            time.sleep(0.05)  # another worker holds a tenant's batch: it is firing them

    fire_waiting()
    if _after_ingestion():  # jobs acting on what was recorded (triggers on plugin events) ...
        fire_waiting()  # ... and the hooks of what they changed
    done.tickets = len(seen)
    if send:
        tenants = Tenant.select() if wanted is None else Tenant.select().where(Tenant.id.in_(wanted))
        done.sent = sum(delivery.flush(tenant) for tenant in tenants)
    return done


def prepare() -> int:
    """Call at the start of an ingesting command, before it ingests: runs the jobs flagged
    `after_ingestion` once (what they find waiting is theirs to do anyway). A job that starts
    reading at the end of its log on its first run — the automation plugin's triggers on plugin
    events — thus starts before what the command records, and `finish` acts on it even on an
    installation where no worker ever ran. Returns how many jobs ran."""
    return _after_ingestion()


def _after_ingestion() -> int:
    """Run every scheduled job flagged `after_ingestion` once, now (a failure recorded as the
    worker records it, not raised); returns how many ran."""
    from gongdan import scheduler
    from gongdan.plugins import CORE, get_host

    host = get_host()
    ran = 0
    for job in scheduler.jobs(host):
        if not job.after_ingestion:
            continue
        try:
            job.func()
        except Exception as exc:  # noqa: BLE001 - as in the worker: recorded, the command goes on
            host.record_failure(job.plugin or CORE, None, f"job {job.id}", exc)
        ran += 1
    return ran


def waiting(tenant_ids: Iterable[int] | None = None) -> int:
    """How many events of the tenants `tenant_ids` (None: every tenant) wait for their hooks."""
    if tenant_ids is None:
        return pending_count()
    return sum(pending_count(tenant_id) for tenant_id in tenant_ids)


def finish_and_report(tenant_ids: Iterable[int] | None = None, *, progress: bool = True) -> Finished:
    """`finish` for a click command: a progress bar of the events fired (tqdm, on standard error,
    when `progress` and more than one batch waits), then its summary on standard output."""
    import click
    from tqdm import tqdm

    wanted = None if tenant_ids is None else sorted(set(tenant_ids))
    total = waiting(wanted)
    shown = progress and total > BATCH  # a bar only for a run of several batches
    with tqdm(total=total, unit="event", desc="plugins' work", leave=False, disable=not shown) as bar:

        def advance(events: list[TicketEvent]) -> None:
            if bar.n + len(events) > bar.total:  # the hooks' own events (an assignment's) join the run
                bar.total = bar.n + len(events)
            bar.update(len(events))

        done = finish(wanted, on_batch=advance)
    click.echo(done.summary())
    return done


__all__ = [
    "BATCH",
    "INTERVAL_SECONDS",
    "WAIT_SECONDS",
    "Finished",
    "batch_memo",
    "dispatch_batches",
    "finish",
    "finish_and_report",
    "pending_count",
    "prepare",
    "waiting",
]
