"""Consistent backups of the whole installation, and restores checked table by table.

* SQLite: the online backup API copies one snapshot (a read transaction is held while the pages
  are copied, so writers go on in the WAL and the copy is neither torn nor missing what the WAL
  held); restore copies the backup into the configured file the same way, refusing a file that
  another process has open unless forced.
* PostgreSQL: `pg_dump --format=custom` of an exported snapshot, so the row counts in the
  manifest are those of the dump; restore is `pg_restore --clean --if-exists` in one transaction.

Beside the backup `PATH` lies `PATH.manifest.json`: the database kind, the time, and the row
count of every table; a restore compares the restored tables with it. The key file (or
`GONGDAN_SECRET_KEY`) is never in a backup: it is backed up separately (docs/security.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from playhouse.db_url import parse as parse_url

from gongdan.errors import GongdanError

FORMAT = "gongdan-backup/1"
SQLITE_PAGES_PER_STEP = 1024
Progress = Callable[[int, int], None]  # (done, total) in the unit of the step: pages or tables
PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
PG_DUMP_TABLE = re.compile(r"dumping contents of table|processing data for table")


class BackupError(GongdanError):
    """A backup or restore that cannot be done (missing tool, wrong kind, database in use, ...)."""


@dataclass
class Manifest:
    """What `PATH.manifest.json` records about a backup."""

    database: str  # sqlite | postgresql
    tables: dict[str, int]
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    gongdan: str = field(default_factory=lambda: _version())
    format: str = FORMAT
    keys: str = "not included: back up the key file (GONGDAN_KEY_FILE) or GONGDAN_SECRET_KEY separately"

    def write(self, backup: Path) -> Path:
        """Write the manifest beside `backup`; returns its path."""
        path = manifest_path(backup)
        path.write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, backup: Path) -> Manifest:
        """The manifest beside `backup`; BackupError when it is missing or not ours."""
        path = manifest_path(backup)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackupError(f"no readable manifest {path}: {exc}") from None
        if data.get("format") != FORMAT:
            raise BackupError(f"{path} is not a gongdan backup manifest ({FORMAT})")
        return cls(**{k: data[k] for k in ("database", "tables", "created_at", "gongdan", "format", "keys")})


@dataclass(frozen=True)
class TableCheck:
    """One table after a restore: the count the manifest expects and the count found."""

    table: str
    expected: int | None
    restored: int | None

    @property
    def ok(self) -> bool:
        """Whether the counts agree (a table the backup does not hold is left as it was)."""
        return self.expected is None or self.expected == self.restored


def manifest_path(backup: Path) -> Path:
    """Where the manifest of `backup` lies."""
    return backup.with_name(backup.name + ".manifest.json")


def _version() -> str:
    try:
        return metadata.version("gongdan")
    except metadata.PackageNotFoundError:
        return "unknown"


def kind_of(url: str) -> str:
    """`sqlite` or `postgresql` for a database URL; BackupError for anything else."""
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith("sqlite"):
        return "sqlite"
    if scheme.startswith("postgres"):
        return "postgresql"
    raise BackupError(f"backups support SQLite and PostgreSQL URLs, not {scheme!r}")


def backup(url: str, target: Path, progress: Progress | None = None) -> Manifest:
    """Back up the database at `url` into `target` (and its manifest); returns the manifest."""
    if target.exists():
        raise BackupError(f"{target} exists: give a new file name (backups are never overwritten)")
    target.parent.mkdir(parents=True, exist_ok=True)
    kind = kind_of(url)
    tables = _backup_sqlite(url, target, progress) if kind == "sqlite" else _backup_postgres(url, target, progress)
    manifest = Manifest(database=kind, tables=tables)
    manifest.write(target)
    return manifest


def restore(url: str, source: Path, *, force: bool = False, progress: Progress | None = None) -> list[TableCheck]:
    """Restore `source` into the database at `url`; returns the check of every table.

    Refuses when the database is in use by another process (stop `gongdan serve` and
    `gongdan worker` first) unless `force`.
    """
    manifest = Manifest.read(source)
    kind = kind_of(url)
    if manifest.database != kind:
        raise BackupError(f"this is a {manifest.database} backup; the configured database is {kind}")
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    restorer = _restore_sqlite if kind == "sqlite" else _restore_postgres
    counts = restorer(url, source, force, progress)
    names = sorted(set(manifest.tables) | set(counts))
    return [TableCheck(name, manifest.tables.get(name), counts.get(name)) for name in names]


# --- SQLite -----------------------------------------------------------------------------------


def sqlite_file(url: str) -> Path:
    """The file of a `sqlite:///path` URL."""
    path = parse_url(url).get("database") or ":memory:"
    if path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(path)


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in connection.execute(SQLITE_TABLES)]
    return {name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress | None) -> None:
    def step(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    source.backup(target, pages=SQLITE_PAGES_PER_STEP, progress=step)


def _backup_sqlite(url: str, target: Path, progress: Progress | None) -> dict[str, int]:
    path = sqlite_file(url)
    if not path.is_file():
        raise BackupError(f"no SQLite database at {path}")
    source = sqlite3.connect(path, isolation_level=None, timeout=30)
    with _partial(target) as partial:
        copy = sqlite3.connect(partial)
        try:
            # one read transaction: every step copies the same snapshot, writers carry on in the WAL
            source.execute("BEGIN")
            source.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            _copy(source, copy, progress)
            source.execute("COMMIT")
            copy.execute("PRAGMA journal_mode=DELETE")
            return _sqlite_counts(copy)
        finally:
            copy.close()
            source.close()


@contextlib.contextmanager
def _partial(target: Path) -> Iterator[Path]:
    """A file beside `target` that becomes `target` when the block succeeds, and is removed if not."""
    partial = target.with_name(target.name + ".partial")
    try:
        yield partial
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)


def _in_use(path: Path) -> bool:
    """Whether another connection has the SQLite file open (leaving WAL mode needs it alone)."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        mode = probe.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        return mode.lower() != "delete"
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def _restore_sqlite(url: str, source: Path, force: bool, progress: Progress | None) -> dict[str, int]:
    path = sqlite_file(url)
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if backup_db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{source} is damaged (SQLite quick_check failed)")
        if path.exists() and not force and _in_use(path):
            raise BackupError(f"{path} is in use: stop `gongdan serve` and `gongdan worker` first (or give --force)")
        path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(path, timeout=30)
        try:
            _copy(backup_db, target, progress)
            target.execute("PRAGMA journal_mode=WAL")
            return _sqlite_counts(target)
        finally:
            target.close()
    finally:
        backup_db.close()


# --- PostgreSQL -------------------------------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password (for the command line) and the environment carrying it."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{parts.username}@" if parts.username else "") + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(("postgresql", netloc, parts.path, parts.query, "")), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools of the server's version "
            f"(Debian/Ubuntu: apt-get install postgresql-client)"
        )
    return found


@contextlib.contextmanager
def _pg(url: str) -> Iterator[Any]:
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        yield connection
    finally:
        connection.close()


def _pg_counts(cursor: Any) -> dict[str, int]:
    cursor.execute(PG_TABLES)
    names = [row[0] for row in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(f'SELECT COUNT(*) FROM "{name}"')
        counts[name] = cursor.fetchone()[0]
    return counts


def _run_with_tables(command: list[str], env: dict[str, str], total: int, progress: Progress | None) -> None:
    """Run pg_dump/pg_restore --verbose, counting the tables it reports as progress."""
    done = 0
    lines: list[str] = []
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True) as proc:
        for line in proc.stderr or ():
            lines.append(line.rstrip())
            if PG_DUMP_TABLE.search(line):
                done += 1
                if progress is not None:
                    progress(min(done, total), total)
    if proc.returncode != 0:
        errors = [line for line in lines if "error" in line.lower()] or lines[-5:]
        raise BackupError(f"{Path(command[0]).name} failed: " + " / ".join(errors[-5:]))


def _backup_postgres(url: str, target: Path, progress: Progress | None) -> dict[str, int]:
    pg_dump = _tool("pg_dump")
    address, env = _libpq(url)
    with _partial(target) as partial, _pg(url) as connection:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
            if cursor.fetchone() is not None:  # pg_dump of the coordinator holds no shard's rows
                raise BackupError(
                    "this database is a Citus cluster: pg_dump of the coordinator would hold none of the "
                    "distributed rows; back up every node instead (docs/operations.md, Backups on Citus)"
                )
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _pg_counts(cursor)  # in the snapshot pg_dump reads: the dump holds exactly these
            command = [pg_dump, "--format=custom", "--verbose", f"--snapshot={snapshot}", f"--file={partial}", address]
            _run_with_tables(command, env, len(counts), progress)
        connection.rollback()
        return counts


def _restore_postgres(url: str, source: Path, force: bool, progress: Progress | None) -> dict[str, int]:
    pg_restore = _tool("pg_restore")
    address, env = _libpq(url)
    with _pg(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        others = cursor.fetchone()[0]
        connection.rollback()
    if others and not force:
        raise BackupError(
            f"the database has {others} other connection(s): stop `gongdan serve` and `gongdan worker` first "
            "(or give --force)"
        )
    manifest = Manifest.read(source)
    command = [
        pg_restore,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        "--verbose",
        f"--dbname={address}",
        str(source),
    ]
    _run_with_tables(command, env, len(manifest.tables), progress)
    with _pg(url) as connection, connection.cursor() as cursor:
        return _pg_counts(cursor)
