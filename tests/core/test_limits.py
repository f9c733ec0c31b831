"""The shared limiter (`gongdan.limits`): a sliding window counted in the database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from gongdan import citus, clock, limits
from gongdan.db import db
from gongdan.models import RateCounter


def _at_slot_start(frozen_clock, per_seconds: int) -> None:
    now = frozen_clock.now().timestamp()
    frozen_clock.set(datetime.fromtimestamp((now // per_seconds + 1) * per_seconds, tz=clock.now().tzinfo))


def test_the_window_slides_and_says_when_to_retry(gongdan_db, frozen_clock):
    _at_slot_start(frozen_clock, 60)
    verdicts = [limits.hit("test", "k", 3, 60) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    assert verdicts[-1].retry_after == 60
    assert limits.allow("test", "other key", 3, 60)  # keys and buckets count apart
    assert limits.allow("other bucket", "k", 3, 60)
    frozen_clock.advance(seconds=60)  # a new slot, but the last minute's 4 hits still weigh fully
    assert not limits.allow("test", "k", 3, 60)
    frozen_clock.advance(seconds=45)  # 4 × 25 % of the old slot + 2 in this one
    assert limits.allow("test", "k", 3, 60)


def test_hits_from_many_connections_at_once_are_all_counted(gongdan_db, frozen_clock):
    def burst(_: int) -> list[bool]:
        try:
            return [limits.allow("burst", "k", 100, 3600) for _ in range(30)]
        finally:
            db.close()

    with ThreadPoolExecutor(6) as pool:
        answers = [a for batch in pool.map(burst, range(6)) for a in batch]
    assert answers.count(True) == 100
    assert RateCounter.get(RateCounter.bucket == "burst").hits == 180


def test_old_rows_are_pruned(gongdan_db, frozen_clock, monkeypatch):
    monkeypatch.setattr(limits, "PRUNE_ONE_IN", 1)
    limits.allow("old", "k", 5, 60)
    clock.advance(timedelta(minutes=3))
    limits.allow("new", "k", 5, 60)
    assert [row.bucket for row in RateCounter.select()] == ["new"]


def test_keys_are_stored_hashed(gongdan_db):
    limits.allow("login.account", "boss@acme.cn", 5, 60)
    assert "boss" not in RateCounter.get().key


@pytest.mark.parametrize("gongdan_backend", ["postgresql"], indirect=True)  # SQLite has no unlogged tables
def test_the_counters_need_no_wal_flush_on_postgresql(gongdan_db, gongdan_backend):
    persistence = db.execute_sql("SELECT relpersistence FROM pg_class WHERE relname = 'rate_counter'").fetchone()
    # on Citus it stays logged: shard moves (rebalance, tenant isolation) cannot carry an unlogged table
    assert persistence == (("p",) if citus.on_citus() else ("u",))
