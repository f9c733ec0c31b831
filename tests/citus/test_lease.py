"""Leases (`gongdan.lease`): one holder at a time, taken over when the holder is killed (-9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from gongdan import lease
from gongdan.lease import Lease

HOLD = """
import sys, time
from gongdan.db import open_database
from gongdan.lease import Lease
open_database(sys.argv[1])
held = Lease("test.listener", ttl=float(sys.argv[3]), holder=sys.argv[2])
while True:
    held.acquire()
    time.sleep(0.2)
"""


def _until(predicate, timeout: float) -> float | None:
    """Seconds until `predicate()` is true, polling every 50 ms; None after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def test_one_of_many_takes_the_lease_at_the_same_moment(gongdan_db) -> None:
    contenders = [Lease("test.race", ttl=30) for _ in range(8)]
    barrier = threading.Barrier(len(contenders))
    won: list[bool] = []

    def take(one: Lease) -> None:
        barrier.wait()
        try:
            won.append(one.acquire())
        finally:
            gongdan_db.close()

    threads = [threading.Thread(target=take, args=(c,)) for c in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False] * 7 + [True]
    holder = lease.holder_of("test.race")
    winner = next(c for c in contenders if c.holder == holder)
    assert winner.acquire()
    assert winner.held
    winner.release()
    assert lease.holder_of("test.race") is None
    assert contenders[0].acquire()


def test_a_killed_holder_is_replaced_within_its_ttl(gongdan_db, gongdan_database_url) -> None:
    ttl = 3.0
    env = {**os.environ, "GONGDAN_DATABASE_URL": gongdan_database_url}
    first = subprocess.Popen([sys.executable, "-c", HOLD, gongdan_database_url, "first", str(ttl)], env=env)
    second = None
    try:
        assert _until(lambda: lease.holder_of("test.listener") == "first", 60) is not None
        second = subprocess.Popen([sys.executable, "-c", HOLD, gongdan_database_url, "second", str(ttl)], env=env)
        time.sleep(1.5)  # the second asks several times meanwhile and never wins while the first lives
        assert lease.holder_of("test.listener") == "first"
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        took = _until(lambda: lease.holder_of("test.listener") == "second", 60)
        assert took is not None
        assert took <= ttl + 2.0
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def test_a_holder_that_loses_the_lease_is_told(gongdan_db) -> None:
    mine = Lease("test.keep", ttl=0.6)
    assert mine.acquire()
    lost = threading.Event()
    mine.keep(on_lost=lost.set, every=0.1)
    time.sleep(0.3)
    assert not lost.is_set()  # renewals keep it
    mine.stop_keeping()
    time.sleep(0.7)  # lapsed
    assert Lease("test.keep", ttl=30, holder="thief").acquire()
    mine.keep(on_lost=lost.set, every=0.1)
    assert lost.wait(5)
