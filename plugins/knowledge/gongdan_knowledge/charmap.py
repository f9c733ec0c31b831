"""Known terms by character, for partial matching, kept in memory per tenant.

Partial matching looks up, for each content character of a question, the known terms holding
it. `term LIKE '%字%'` reads every term of the tenant (80,000 at 100,000 articles: tens of
milliseconds a character), so the terms are read once into a map from each Han character to the
terms holding it, most frequent first, and kept while the tenant's article count stays the same
(`REFRESH_SECONDS` at most; a small vocabulary is read again as soon as an article is added or
removed, a large one at most every `MIN_SECONDS`). Both databases give the same map for the same
articles, so answers stay identical.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from gongdan.db import db
from gongdan.models import Tenant
from gongdan_knowledge.models import TermStat
from gongdan_knowledge.text import is_han

REFRESH_SECONDS = 60.0
MIN_SECONDS = 5.0
SMALL = 20_000  # terms: a vocabulary this small is read again whenever the article count changes
KEEP = 16  # tenants kept per process
PER_CHAR = 200  # terms kept per character, the most frequent: partial matching takes 4 below a cap


@dataclass(frozen=True)
class CharMap:
    """`by_char[字]`: the tenant's Han terms holding 字 as `(term, df)`, most frequent first."""

    doc_count: int
    built: float
    size: int
    by_char: dict[str, list[tuple[str, int]]]


_cache: dict[tuple[int, int], CharMap] = {}
_lock = threading.Lock()


def _fresh(found: CharMap | None, doc_count: int, now: float) -> bool:
    if found is None or now - found.built >= REFRESH_SECONDS:
        return False
    return found.doc_count == doc_count or (found.size > SMALL and now - found.built < MIN_SECONDS)


def char_map(tenant: Tenant, doc_count: int) -> CharMap:
    """The tenant's map, read again when stale (`doc_count`: the tenant's indexed articles now)."""
    key = (id(db.obj), tenant.id)
    now = time.monotonic()
    found = _cache.get(key)
    if _fresh(found, doc_count, now):
        return found  # type: ignore[return-value]
    p = db.obj.param
    rows = db.execute_sql(
        f'SELECT term, df FROM "{TermStat._meta.table_name}" WHERE tenant_id = {p} AND df > 0', [tenant.id]
    ).fetchall()
    by_char: dict[str, list[tuple[str, int]]] = {}
    for term, df in rows:
        if term and len(term) <= 2 and is_han(term):
            for char in set(term):
                by_char.setdefault(char, []).append((term, df))
    for char, held in by_char.items():
        held.sort(key=lambda r: (-r[1], r[0]))  # here, not in SQL: the two databases order text differently
        by_char[char] = held[:PER_CHAR]
    built = CharMap(doc_count, now, len(rows), by_char)
    with _lock:
        if len(_cache) >= KEEP and key not in _cache:
            _cache.pop(min(_cache, key=lambda k: _cache[k].built))
        _cache[key] = built
    return built


def holding(tenant: Tenant, char: str, doc_count: int, most: int) -> list[tuple[str, int]]:
    """The known terms holding `char` in at most `most` articles, most frequent first."""
    return [(term, df) for term, df in char_map(tenant, doc_count).by_char.get(char, ()) if df <= most]
