"""One rate limiter shared by every web process: counters in the database.

`allow(bucket, key, limit, per_seconds)` records one hit of `key` in `bucket` (e.g.
`login.ip`, `api`) and answers whether it is within `limit` hits per `per_seconds`. The
counters live in the `rate_counter` table, so every gunicorn worker on every machine sees the
same counts; each hit is one statement (an upsert that returns the count of the current slot
and of the slot before it).

The window slides: the count is the current slot's hits plus the previous slot's weighted by
how much of it still lies inside the window (the estimate nginx and Cloudflare use). A hit
that is refused still counts, so a client that keeps hammering stays refused. Keys are stored
hashed (they are IP addresses and e-mail addresses). Rows two slots old are pruned now and
then by the hits themselves.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

from gongdan import citus, clock
from gongdan.db import db, is_postgres
from gongdan.models import RateCounter
from gongdan.statements import PreparedStatement

PRUNE_ONE_IN = 256

_HIT = PreparedStatement(
    'INSERT INTO {t} ("bucket", "key", "slot", "hits", "expires") VALUES (?, ?, ?, 1, ?) '
    'ON CONFLICT ("bucket", "key", "slot") DO UPDATE SET "hits" = {t}."hits" + 1 '
    'RETURNING "hits", (SELECT p."hits" FROM {t} AS p WHERE p."bucket" = ? AND p."key" = ? AND p."slot" = ?)',
    t=RateCounter,
)
# Citus runs no subquery in an INSERT's RETURNING: there the previous slot is a second
# statement (both go to the one shard of the key, the distribution column)
_HIT_ALONE = PreparedStatement(
    'INSERT INTO {t} ("bucket", "key", "slot", "hits", "expires") VALUES (?, ?, ?, 1, ?) '
    'ON CONFLICT ("bucket", "key", "slot") DO UPDATE SET "hits" = {t}."hits" + 1 RETURNING "hits"',
    t=RateCounter,
)
_PREVIOUS = PreparedStatement('SELECT "hits" FROM {t} WHERE "bucket" = ? AND "key" = ? AND "slot" = ?', t=RateCounter)
_PRUNE = PreparedStatement('DELETE FROM {t} WHERE "expires" < ?', t=RateCounter)


def prepare() -> None:
    """Make the counters' table UNLOGGED on PostgreSQL (`gongdan init` calls it; idempotent).

    Counters need no crash safety and no replica, and a transaction that writes only unlogged
    tables does not wait for the WAL to reach the disk: the hit on every API request
    commits asynchronously: a hit measured 2.7 ms with the table logged, 0.7–1.3 ms unlogged, on
    a loaded 2-core machine where `SELECT 1` took 0.4 ms.
    """
    if is_postgres() and not citus.has_citus():  # Citus moves shards by logical replication,
        # which cannot carry an unlogged table (a rebalance would stop at the counters)
        db.execute_sql(f'ALTER TABLE "{RateCounter._meta.table_name}" SET UNLOGGED')


@dataclass(frozen=True)
class Verdict:
    """The answer to one hit: allowed or not, hits left, and seconds until the next is allowed."""

    allowed: bool
    remaining: int
    retry_after: int


def hit(bucket: str, key: str, limit: int, per_seconds: int) -> Verdict:
    """Record one hit of `key` in `bucket` and judge it against `limit` hits per `per_seconds`."""
    if limit < 1 or per_seconds < 1:
        raise ValueError("limit and per_seconds must be positive")
    now = clock.now().timestamp()
    slot = int(now // per_seconds)
    hashed = hashlib.sha256(key.encode()).hexdigest()[:32]
    if citus.on_citus():
        current = int(_HIT_ALONE.execute((bucket, hashed, slot, (slot + 2) * per_seconds)).fetchone()[0])
        before = _PREVIOUS.execute((bucket, hashed, slot - 1)).fetchone()
        previous = int(before[0]) if before else 0
    else:
        row = _HIT.execute((bucket, hashed, slot, (slot + 2) * per_seconds, bucket, hashed, slot - 1)).fetchone()
        current, previous = int(row[0]), int(row[1] or 0)
    if random.randrange(PRUNE_ONE_IN) == 0:  # sampling, not security
        _PRUNE.execute((int(now),))
    elapsed = (now - slot * per_seconds) / per_seconds
    count = previous * (1.0 - elapsed) + current
    allowed = count <= limit
    return Verdict(
        allowed,
        max(0, math.floor(limit - count)),
        0 if allowed else _wait(limit, per_seconds, current, previous, elapsed),
    )


def allow(bucket: str, key: str, limit: int, per_seconds: int) -> bool:
    """Record one hit of `key` in `bucket`; whether it is within `limit` hits per `per_seconds`."""
    return hit(bucket, key, limit, per_seconds).allowed


def _wait(limit: int, per_seconds: int, current: int, previous: int, elapsed: float) -> int:
    """Seconds until one more hit would be allowed (assuming no other hits meanwhile)."""
    if current + 1 > limit or previous == 0:
        fraction = 1.0 - elapsed  # the current slot must end
    else:
        fraction = (1.0 - (limit - current - 1) / previous) - elapsed  # the previous slot must fade
    return max(1, math.ceil(fraction * per_seconds))
