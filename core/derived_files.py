"""Data derived from shipped files, kept on disk between processes (`GONGDAN_CACHE_DIR`).

Some tables cost a second or more to build from the files a package ships (the knowledge
plugin's English glossary reads the whole CC-CEDICT dictionary) and are the same in every
process. The first process builds one and writes it as JSON under the cache directory; the
others read it in a twentieth of the time. The file's name carries a fingerprint of what it
was built from, so a new dictionary or new building code never reads an old table. The cache
is an optimisation only: a directory that cannot be written, or a file that cannot be read,
means building in memory as before. JSON, not pickle: a file in a shared directory must never
be able to run code in the reader.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

CACHE_DIR_ENV = "GONGDAN_CACHE_DIR"

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    """`GONGDAN_CACHE_DIR`, else `$XDG_CACHE_HOME/gongdan`, else `~/.cache/gongdan`."""
    configured = os.environ.get(CACHE_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "gongdan"


def fingerprint(parts: Iterable[bytes]) -> str:
    """A short digest of what a table is built from (its source files and the code that builds it)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def cached_json(name: str, sources: Iterable[bytes], build: Callable[[], Any]) -> Any:
    """The JSON value `build()` returns, read from `<cache dir>/<name>-<fingerprint>.json`
    when an earlier process wrote it, else built and written there (whole: a temporary file
    renamed into place, so a reader never sees half of one)."""
    path = cache_dir() / f"{name}-{fingerprint(sources)}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.warning("cannot read the cached %s (%s): building it again", path, exc)
    value = build()
    _write(path, value)
    return value


def _write(path: Path, value: Any) -> None:
    """Write `value` to `path` atomically; a cache that cannot be written is only logged."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    except OSError as exc:
        log.info("not caching %s: %s", path, exc.strerror)
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(value, out, ensure_ascii=False, separators=(",", ":"))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        log.info("not caching %s: %s", path, exc.strerror)
        Path(temporary).unlink(missing_ok=True)
