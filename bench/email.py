"""E-mail channel figures, against a real Dovecot on loopback and a SQLite database (or PostgreSQL).

    .venv/bin/python -m bench.email [--messages 1000] [--database-url URL] [--commit-rounds N]

1. Messages per second ingested from Dovecot through the ticket service (`--messages`, 10%
   replies threaded by In-Reply-To, 5% with a PDF attachment): with no other plugin enabled,
   with the five plugins of the earlier figure (`FIVE`), and with every first-party plugin
   enabled (`FIRST_PARTY`: those five, automation and analytics); against a baseline measured
   in the same run —
   the raw IMAP fetch of the same messages (sizes, then bodies, as the fetcher asks).
   Beside the wall-clock rate, the rate with the fetch thread's wait for a core taken out
   (`WaitMeter`, from /proc schedstat) and the CPU time of this process per message: on a
   shared machine the wall clock mostly measures the queue for a core (the load average is
   printed), the CPU time much less so (on PostgreSQL it leaves out the server's share). The
   analytics plugin counts tickets in the worker's catch-up job, not in the fetch: that job's
   CPU per ticket is printed after the runs.
2. Threading accuracy on the corpus (tuning part and held-out part).
3. Seconds from delivery to ticket at the default interval (60 s): the fetch of one message
   is measured; the wait for the next run is interval/2 on average and the interval at worst.
   With `--live SECONDS`, measured instead: the worker's scheduler runs (every job, every
   first-party plugin on) while messages land at random moments over SECONDS.
4. Lost and duplicated after a `kill -9` of a fetch in the middle of `--messages` messages
   (every first-party plugin on), then a second fetch and the reconciliation, which delivers
   the hooks the kill cut off between a commit and its hooks; how many events it left undelivered.

5. With `--commit-rounds N`: the fetch with every first-party plugin, its commits waiting for
   the WAL flush (`fetch.RELAXED_COMMITS` off, the old behaviour) and not waiting (on, the
   default; PostgreSQL only, see `fetch.relaxed_commits`), alternately N times in the same run.

Needs `dovecot` (apt-get install dovecot-imapd). Figures are printed; nothing asserts on time.
"""

from __future__ import annotations

import argparse
import imaplib
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gongdan_email import corpus, fetch, ingest, mailboxes
from gongdan_email.models import EmailMessage
from gongdan_email.plugin import FETCH_SECONDS
from gongdan_email.testing import Dovecot

from bench.common import table, thread_run_queue_wait
from gongdan import accounts, clock, crypto, reconcile, scheduler
from gongdan.db import db, is_postgres, open_database
from gongdan.models import Ticket, TicketEvent
from gongdan.plugins import get_host
from gongdan.schema import all_models, upgrade
from gongdan.testing import _empty

PASSWORD = "bench-pass"
FIVE = ("assignment", "sla", "knowledge", "pdd_connector", "portal")
"""The plugins "every first-party plugin" meant before automation and analytics existed."""
FIRST_PARTY = (*FIVE, "automation", "analytics")
PDF = b"%PDF-1.4\n" + b"0" * 20_000 + b"\n%%EOF\n"


def message(n: int, replies_to: int | None = None, attachment: bool = False) -> bytes:
    """Message `n`: a new question, a reply to message `replies_to`, or one with a PDF."""
    head = (
        f"From: Customer {n % 97} <c{n % 97}@example.com>\r\nTo: support@acme.example\r\n"
        f"Subject: 订单问题 {n}\r\nMessage-ID: <bench-{n}@example.com>\r\nMIME-Version: 1.0\r\n"
    )
    if replies_to is not None:
        head += f"In-Reply-To: <bench-{replies_to}@example.com>\r\n"
    body = f"您好，第 {n} 个问题：包裹还没到。\r\n"
    if not attachment:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    import base64

    pdf = base64.encodebytes(PDF).decode().replace("\n", "\r\n")
    return (
        head
        + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
        f"{body}--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=invoice.pdf\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{pdf}--b--\r\n"
    ).encode()


def workload(count: int) -> list[bytes]:
    """`count` messages: every 10th a reply to an earlier one, every 20th with an attachment."""
    return [message(n, replies_to=n - 5 if n % 10 == 9 else None, attachment=n % 20 == 3) for n in range(count)]


def fresh(url: str) -> None:
    """Open `url` with every table created and empty (a new SQLite file each time; PostgreSQL emptied)."""
    if db.obj is not None:
        db.close()
    open_database(url)
    crypto.forget()  # data keys live in each database
    get_host().forget_tenants()
    upgrade(get_host())
    if is_postgres():
        _empty(all_models(get_host()))
        crypto.forget()


def tenant_with(slug: str, plugins: tuple[str, ...], dovecot: Dovecot, user: str) -> tuple:
    """A tenant with `plugins` enabled and one mailbox on `user`'s INBOX."""
    tenant = accounts.create_tenant(slug, slug)
    for name in plugins:
        if name in get_host().loaded:
            get_host().set_enabled(tenant, name, enabled=True)
    box = mailboxes.create(
        tenant,
        {
            "address": f"{user}",
            "imap_host": "127.0.0.1",
            "imap_port": dovecot.port,
            "imap_security": "none",
            "password": PASSWORD,
        },
    )
    return tenant, box


def raw_fetch(dovecot: Dovecot, user: str) -> float:
    """Seconds for the baseline: sizes then bodies of every message, in batches of 50."""
    start = time.perf_counter()
    client = imaplib.IMAP4("127.0.0.1", dovecot.port, timeout=30)
    client.login(user, PASSWORD)
    client.select("INBOX", readonly=True)
    uids = client.uid("SEARCH", None, "UID 1:*")[1][0].split()
    for i in range(0, len(uids), 50):
        chunk = b",".join(uids[i : i + 50]).decode()
        client.uid("FETCH", chunk, "(RFC822.SIZE)")
        client.uid("FETCH", chunk, "(BODY.PEEK[])")
    client.logout()
    return time.perf_counter() - start


class WaitMeter:
    """A fetch progress callback that follows how long each fetching thread waited for a core
    (it runs in the fetch's threads, which are gone when the fetch returns)."""

    def __init__(self) -> None:
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def __call__(self, found: int, done: int) -> None:
        """Note the calling thread's wait so far."""
        thread, wait = threading.get_native_id(), thread_run_queue_wait()
        self.first.setdefault(thread, wait)
        self.last[thread] = wait

    @property
    def waited(self) -> float:
        """Seconds the fetching threads waited for a core between their first and last message."""
        return sum(self.last[t] - self.first[t] for t in self.last)


def ingest_rate(
    url: str, dovecot: Dovecot, user: str, plugins: tuple[str, ...], count: int
) -> tuple[float, float, int, float]:
    """(messages per second, CPU milliseconds of this process per message, tickets made, messages
    per second without the time spent waiting for a core) for one fetch of `user`'s mailbox."""
    fresh(url)
    tenant, _ = tenant_with("bench", plugins, dovecot, user)
    meter = WaitMeter()
    start, cpu = time.perf_counter(), time.process_time()
    [run] = fetch.fetch_all(tenant, progress=meter)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if run.error or run.skipped:
        print("fetch error:", run.summary())
    done = sum(run.counts.values())
    return done / elapsed, 1000 * cpu / done, Ticket.of(tenant).count(), done / max(elapsed - meter.waited, 1e-9)


def analytics_share(tickets: int) -> float | None:
    """CPU milliseconds per ticket the analytics catch-up job (the worker) spends counting the
    tickets the last ingest made — the work that left the fetch; None without the plugin."""
    if "analytics" not in get_host().loaded or not tickets:
        return None
    from gongdan_analytics.plugin import catch_up_job

    started = time.process_time()
    catch_up_job()
    return 1000 * (time.process_time() - started) / tickets


def threading_accuracy(url: str) -> list[tuple[str, int, int]]:
    """(part, right, total) for each part of the corpus."""
    rows = []
    for part in corpus.PARTS:
        fresh(url)
        tenant = accounts.create_tenant(f"corpus-{part}", "corpus")
        get_host().set_enabled(tenant, "email", enabled=True)
        box = mailboxes.create(tenant, {"address": "support@acme.example", "imap_host": "127.0.0.1"})
        made = corpus.prepare(tenant, box)
        cases = corpus.cases(part)
        right = sum(
            1
            for case in cases
            if not corpus.threading_problems(case, ingest.ingest(tenant, box, case.raw), made)
            and not corpus.parse_problems(case)
        )
        rows.append((part, right, len(cases)))
    return rows


def one_message_latency(url: str, dovecot: Dovecot, user: str) -> float:
    """Seconds from a message landing in the folder to its ticket, when a fetch runs at once."""
    fresh(url)
    tenant, _ = tenant_with("latency", ("email",), dovecot, user)
    fetch.fetch_all(tenant)  # settle the watermark
    dovecot.deliver(message(999_999), user)
    start = time.perf_counter()
    fetch.fetch_all(tenant)
    return time.perf_counter() - start


KILL = """
import os
from gongdan.db import open_database
from gongdan_email import fetch
open_database(os.environ["GONGDAN_DATABASE_URL"])
fetch.fetch_all()
"""


def live_latency(url: str, dovecot: Dovecot, user: str, seconds: float, count: int = 8) -> list[float]:
    """Seconds from delivery to ticket of `count` messages landing at random moments over
    `seconds`, the worker's scheduler running every job at its interval."""
    fresh(url)
    tenant, _ = tenant_with("live", ("email", *FIRST_PARTY), dovecot, user)
    fetch.fetch_all(tenant)  # settle the watermark
    worker = scheduler.build(get_host(), blocking=False)
    worker.start()
    rng = random.Random(20261130)
    moments = sorted(rng.uniform(0, seconds) for _ in range(count))
    delivered = {}
    start = time.monotonic()
    try:
        for n, moment in enumerate(moments, start=700_000):
            time.sleep(max(0.0, start + moment - time.monotonic()))
            dovecot.deliver(message(n), user)
            delivered[f"bench-{n}@example.com"] = clock.now()
        deadline = time.monotonic() + 2 * FETCH_SECONDS + 30
        while time.monotonic() < deadline and _arrived(tenant, delivered) < len(delivered):
            time.sleep(0.5)
    finally:
        worker.shutdown(wait=True)
    rows = (
        EmailMessage.select(EmailMessage.key, Ticket.created_at)
        .join(Ticket, on=EmailMessage.ticket == Ticket.id)
        .where((EmailMessage.tenant == tenant) & EmailMessage.key.in_(list(delivered)))
        .tuples()
    )
    return sorted((made - delivered[key]).total_seconds() for key, made in rows)


def _arrived(tenant: object, delivered: dict) -> int:
    return EmailMessage.select().where((EmailMessage.tenant == tenant) & EmailMessage.key.in_(list(delivered))).count()


def kill_nine(url: str, dovecot: Dovecot, user: str, count: int) -> tuple[int, int, int, int]:
    """(handled before the kill, lost, duplicated, events left undispatched) after kill -9
    mid-fetch, a second fetch and the reconciliation, every first-party plugin on."""
    fresh(url)
    tenant, _ = tenant_with("kill", ("email", *FIRST_PARTY), dovecot, user)
    env = {**os.environ, "GONGDAN_DATABASE_URL": url}
    child = subprocess.Popen([sys.executable, "-c", KILL], env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and EmailMessage.select().count() < count // 3:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    before = EmailMessage.select().count()
    fetch.fetch_all(tenant)
    keys = [row.key for row in EmailMessage.select(EmailMessage.key).where(EmailMessage.direction == "in")]
    expected = {f"bench-{n}@example.com" for n in range(count)}
    lost = len(expected - set(keys))
    duplicated = len(keys) - len(set(keys))
    clock.freeze(clock.now() + reconcile.GRACE * 2)  # what the kill left is old enough to repair
    try:
        while reconcile.reconcile_all():
            pass
    finally:
        clock.unfreeze()
    undelivered = TicketEvent.select().where(TicketEvent.dispatched_at.is_null()).count()
    return before, lost, duplicated, undelivered


def commit_rounds(
    url: Callable[[], str], dovecot: Dovecot, user: str, count: int, rounds: int
) -> list[tuple[str, ...]]:
    """Rows of the alternating comparison: each round the fetch with every first-party plugin with
    synchronous commits (the old way), then with `synchronous_commit = off` (the default); `url()`
    gives each run its database."""
    rows = []
    try:
        for n in range(1, rounds + 1):
            for relaxed in (False, True):
                fetch.RELAXED_COMMITS = relaxed
                rate, cpu, tickets, free = ingest_rate(url(), dovecot, user, ("email", *FIRST_PARTY), count)
                label = f"round {n}: " + ("synchronous_commit off (new)" if relaxed else "every commit waits (old)")
                rows.append((*_row(label, count, rate, free, cpu, tickets), f"{os.getloadavg()[0]:.1f}"))
    finally:
        fetch.RELAXED_COMMITS = True
    return rows


def _row(label: str, n: int, rate: float, free: float, cpu: float, tickets: int) -> tuple[str, ...]:
    return (label, f"{rate:.0f}", f"{free:.0f}", f"{cpu:.2f}", str(tickets), f"{n / rate:.2f}")


def main() -> None:
    """Run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument(
        "--live", type=float, default=0, metavar="SECONDS", help="measure delivery to ticket with the scheduler running"
    )
    parser.add_argument(
        "--commit-rounds",
        type=int,
        default=0,
        metavar="N",
        help="compare the fetch's commits waiting for the WAL flush or not, alternately N times",
    )
    parser.add_argument(
        "--database-url", default=None, help="default: a new SQLite file each time; PostgreSQL is emptied"
    )
    args = parser.parse_args()
    os.environ.setdefault("GONGDAN_OUTBOUND_ALLOW", "127.0.0.0/8,::1")
    work = Path(tempfile.mkdtemp(prefix="gongdan-bench-email-"))
    os.environ.setdefault("GONGDAN_ATTACHMENTS_DIR", str(work / "attachments"))
    os.environ.setdefault("GONGDAN_KEY_FILE", str(work / "gongdan.key"))
    boxes = ("alone", "five", "all", "kill", "one")
    users = {f"{name}@acme.example": PASSWORD for name in boxes}
    counter = iter(range(1000))

    def url() -> str:
        return args.database_url or f"sqlite:///{work / f'bench-{next(counter)}.db'}"

    load_before = os.getloadavg()[0]
    with Dovecot(work / "dovecot", users) as dovecot:
        messages = workload(args.messages)
        for user in ("alone@acme.example", "five@acme.example", "all@acme.example", "kill@acme.example"):
            dovecot.deliver_many(messages, user)
        baseline = raw_fetch(dovecot, "alone@acme.example")
        alone, alone_cpu, alone_tickets, alone_free = ingest_rate(
            url(), dovecot, "alone@acme.example", ("email",), args.messages
        )
        five, five_cpu, five_tickets, five_free = ingest_rate(
            url(), dovecot, "five@acme.example", ("email", *FIVE), args.messages
        )
        every, every_cpu, every_tickets, every_free = ingest_rate(
            url(), dovecot, "all@acme.example", ("email", *FIRST_PARTY), args.messages
        )
        worker = analytics_share(every_tickets)
        load_after = os.getloadavg()[0]
        accuracy = threading_accuracy(url())
        latency = one_message_latency(url(), dovecot, "one@acme.example")
        before, lost, duplicated, undelivered = kill_nine(url(), dovecot, "kill@acme.example", args.messages)
        live = live_latency(url(), dovecot, "one@acme.example", args.live) if args.live else []
        compared = commit_rounds(url, dovecot, "all@acme.example", args.messages, args.commit_rounds)
    n = args.messages
    kind = "PostgreSQL" if args.database_url and args.database_url.startswith("postgres") else "SQLite"
    print(f"\nIngest of {n} messages from Dovecot (10% replies, 5% with a 20 KB PDF), {kind}")
    print(f"load average {load_before:.1f} before, {load_after:.1f} after ({os.cpu_count()} cores)")
    print(
        table(
            ["run", "messages/s", "with a core", "CPU ms/message", "tickets", "seconds"],
            [
                (
                    "baseline: raw IMAP fetch, no parsing or storing",
                    f"{n / baseline:.0f}",
                    "—",
                    "—",
                    "—",
                    f"{baseline:.2f}",
                ),
                _row("email plugin alone", n, alone, alone_free, alone_cpu, alone_tickets),
                _row("+ " + ", ".join(FIVE), n, five, five_free, five_cpu, five_tickets),
                _row(
                    "every first-party plugin (+ automation, analytics)", n, every, every_free, every_cpu, every_tickets
                ),
            ],
        )
    )
    print(
        "(with a core: the fetch's wall time less the time its thread was runnable but waiting for a core,"
        " from /proc schedstat)"
    )
    for label, rate, cpu, free in (
        ("the five", five, five_cpu, five_free),
        ("every plugin", every, every_cpu, every_free),
    ):
        print(
            f"{label} / email alone, same run: {rate / alone:.2f}× the rate ({free / alone_free:.2f}× with a core),"
            f" {cpu / alone_cpu:.2f}× the CPU"
        )
    if worker is not None:
        print(
            f"moved to the worker: the analytics catch-up job then counted those {every_tickets} tickets"
            f" in {worker:.2f} ms CPU a ticket"
        )
    print("\nThreading (and parsing) accuracy on the corpus")
    print(table(["part", "right", "total", "accuracy"], [(p, r, t, f"{100 * r / t:.0f}%") for p, r, t in accuracy]))
    print(f"\nDelivery to ticket at the default {FETCH_SECONDS} s interval: fetch of one message {latency:.2f} s;")
    half = FETCH_SECONDS / 2
    print(
        f"  derived: average {half + latency:.1f} s (half the interval + the fetch),"
        f" at worst {FETCH_SECONDS + latency:.1f} s"
    )
    if live:
        mean = sum(live) / len(live)
        print(
            f"  measured with the scheduler running ({len(live)} messages over {args.live:.0f} s): "
            f"mean {mean:.1f} s, median {live[len(live) // 2]:.1f} s, max {live[-1]:.1f} s"
        )
    print(f"\nkill -9 during a {n}-message fetch: {before} handled before the kill; after a second fetch")
    print(f"  lost {lost}, duplicated {duplicated}; events left undelivered after the reconciliation {undelivered}")
    if compared:
        print(f"\nEvery first-party plugin, {kind}: commits waiting for the WAL flush or not, alternately")
        head = ["run", "messages/s", "with a core", "CPU ms/message", "tickets", "seconds", "load"]
        print(table(head, compared))
        old = [float(r[1]) for r in compared[0::2]]
        new = [float(r[1]) for r in compared[1::2]]
        print("new / old, same round: " + ", ".join(f"{b / a:.2f}×" for a, b in zip(old, new, strict=True)))


if __name__ == "__main__":
    main()
