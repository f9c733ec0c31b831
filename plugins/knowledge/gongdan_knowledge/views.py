"""View counts, batched: a view is counted in memory and written with others, not one UPDATE each.

Every process keeps the views it served since its last flush and writes them in one
transaction (`UPDATE ... SET views = views + n` per article) when `FLUSH_AT` views are pending,
`FLUSH_SECONDS` after the first pending view (a timer), and when the process exits. A process
killed with `kill -9` loses at most those few seconds of views: they are statistics, not records.
The API shows an article's stored count plus what this process has not written yet.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter

from gongdan.db import db, write_transaction
from gongdan_knowledge.models import Article

FLUSH_AT = 200
FLUSH_SECONDS = 5.0

log = logging.getLogger("gongdan_knowledge.views")
_lock = threading.Lock()
_pending: Counter[int] = Counter()
_timer: threading.Timer | None = None
_database: object | None = None  # the database the pending views belong to


def count(article_id: int) -> None:
    """Count one view of article `article_id`."""
    global _timer, _database
    with _lock:
        if _database is not db.obj:  # views counted on another database (tests reopen it) are void
            _pending.clear()
            _database = db.obj
        _pending[article_id] += 1
        full = sum(_pending.values()) >= FLUSH_AT
        if not full and _timer is None:
            _timer = threading.Timer(FLUSH_SECONDS, _flush_in_thread)
            _timer.daemon = True
            _timer.start()
    if full:
        flush()


def pending(article_id: int) -> int:
    """Views of `article_id` this process counted but has not written yet."""
    with _lock:
        return _pending.get(article_id, 0)


def flush() -> int:
    """Write the pending views (one statement per article, one transaction); how many views."""
    global _timer
    with _lock:
        batch = dict(_pending)
        _pending.clear()
        if _timer is not None:
            _timer.cancel()
            _timer = None
    if not batch or db.obj is None or db.obj is not _database:
        return 0
    try:
        with write_transaction():
            for article_id, views in sorted(batch.items()):
                Article.update(views=Article.views + views).where(Article.id == article_id).execute()
    except Exception:
        with _lock:  # keep them for the next flush rather than lose them
            _pending.update(batch)
        raise
    return sum(batch.values())


def _flush_in_thread() -> None:
    if db.obj is None:  # a process that never opened the database (a CLI usage error) has nothing
        return
    try:
        flush()
    except Exception:
        log.exception("writing batched article views failed; they are kept for the next flush")
    finally:
        if not db.is_closed():
            db.close()


atexit.register(_flush_in_thread)
