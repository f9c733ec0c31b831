"""Cross-process locks: a PostgreSQL advisory lock, or a file lock beside the SQLite database."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import zlib
from collections.abc import Iterator

from filelock import FileLock, Timeout

from gongdan.db import db, is_postgres, sqlite_path


def _lock_file(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    base = sqlite_path() or os.path.join(tempfile.gettempdir(), "gongdan")
    return f"{base}.{safe}.lock"


@contextlib.contextmanager
def try_lock(name: str) -> Iterator[bool]:
    """Try to take the installation-wide lock `name` without waiting; yields whether it was taken."""
    if is_postgres():
        key = zlib.crc32(name.encode())
        got = db.execute_sql("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
        try:
            yield bool(got)
        finally:
            if got:
                db.execute_sql("SELECT pg_advisory_unlock(%s)", (key,))
        return
    lock = FileLock(_lock_file(name), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
