"""Leases: one process at a time holds a named job (e.g. the Pinduoduo push listener).

A lease is a row (`Lease`: name, holder, expires). The holder renews it well before it
expires; when the holder dies (kill -9, a lost machine), the row simply expires and the next
process that asks takes it over. Taking and renewing is one `INSERT ... ON CONFLICT DO UPDATE
... WHERE` statement, so two processes asking at the same moment never both win, on SQLite,
PostgreSQL and Citus (where `lease` is a reference table).

    lease = Lease("pdd_connector.push", ttl=20)
    if lease.acquire():
        lease.keep(on_lost=stop_listening)   # renews every ttl/4 seconds in a thread

Clocks: `expires` is wall-clock epoch seconds of the process that wrote it; keep the machines'
clocks in step (NTP), as any lease needs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from gongdan.db import db
from gongdan.models import Lease as LeaseRow

log = logging.getLogger(__name__)

_TAKE = (
    'INSERT INTO "lease" (name, holder, expires, acquired_at) VALUES ({p}, {p}, {p}, {p}) '
    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires, "
    'acquired_at = CASE WHEN "lease".holder = excluded.holder THEN "lease".acquired_at ELSE excluded.acquired_at END '
    'WHERE "lease".holder = excluded.holder OR "lease".expires < {p} '
    "RETURNING holder"
)


def this_process() -> str:
    """A holder name unique to this process: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


def holder_of(name: str) -> str | None:
    """Who holds lease `name` now, or None when nobody (or it expired)."""
    row = LeaseRow.get_or_none(LeaseRow.name == name)
    return row.holder if row is not None and row.expires >= time.time() else None


class Lease:
    """A named lease held by this process (`holder`) for `ttl` seconds at a time."""

    def __init__(self, name: str, ttl: float = 20.0, holder: str | None = None) -> None:
        self.name, self.ttl = name, ttl
        self.holder = holder or this_process()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lease, or renew it if we hold it; False when another live process holds it."""
        now = time.time()
        p = db.param
        with db.atomic():
            row = db.execute_sql(_TAKE.format(p=p), (self.name, self.holder, now + self.ttl, now, now)).fetchone()
        return row is not None and row[0] == self.holder

    renew = acquire

    def release(self) -> None:
        """Give the lease up now (another process may take it at once); stops `keep`."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.ttl)  # a renewal under way would write the row again
        LeaseRow.delete().where((LeaseRow.name == self.name) & (LeaseRow.holder == self.holder)).execute()

    @property
    def held(self) -> bool:
        """Whether this process holds the lease now (asks the database)."""
        return holder_of(self.name) == self.holder

    def keep(self, on_lost: Callable[[], None], every: float | None = None) -> None:
        """Renew the lease every `every` (default ttl/4) seconds in a daemon thread; when a
        renewal fails (another process took it, or the database is unreachable for longer than
        the lease lasts), call `on_lost` once and stop. Does nothing if already keeping."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        interval = every or self.ttl / 4

        def run() -> None:
            good_until = time.time() + self.ttl
            try:
                while not self._stop.wait(interval):
                    try:
                        ok = self.renew()
                    except Exception:  # a database hiccup: retry until the lease would lapse
                        log.warning("lease %s: renewal failed", self.name, exc_info=True)
                        ok = time.time() < good_until - interval
                        if ok:
                            continue
                    if not ok:
                        log.warning("lease %s: lost by %s", self.name, self.holder)
                        on_lost()
                        return
                    good_until = time.time() + self.ttl
            finally:
                if not db.is_closed():
                    db.close()

        self._thread = threading.Thread(target=run, name=f"lease-{self.name}", daemon=True)
        self._thread.start()

    def stop_keeping(self) -> None:
        """Stop renewing (the lease then lapses after its ttl unless released)."""
        self._stop.set()
