"""`gongdan backup` while another process writes tickets, then `gongdan restore` into a fresh database.

The restored database must be one consistent moment of the source: every table's row count as
the manifest says, every row as the source holds it (columns the writer updates afterwards
aside), the tickets a gap-free prefix of the source's with their events, the ticket counter
agreeing with them — what a plain file copy of a SQLite database in WAL mode gets wrong.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.backup import manifest_path

# pg_dump of a Citus coordinator holds none of the distributed rows: gongdan backup refuses it
# (test_backup_refuses_a_citus_database); a cluster is backed up node by node
GONGDAN = [sys.executable, "-c", "from gongdan.cli import main; main()"]
# columns the writer changes after a row was written (the counter of ticket numbers, delivery marks)
VOLATILE = {"tenant": {"ticket_seq"}, "ticket_event": {"dispatched_at"}}
WRITER = textwrap.dedent(
    """
    import pathlib, sys
    from gongdan import accounts, tickets
    from gongdan.actors import Actor
    from gongdan.db import open_database

    open_database(sys.argv[1])
    tenant, stop, n = accounts.tenant("acme"), pathlib.Path(sys.argv[2]), 0
    print("writing", flush=True)
    while not stop.exists():
        tickets.create(tenant, {"subject": f"并发写入 {n}", "channel": "api"}, Actor.system("writer"))
        n += 1
    print(n, flush=True)
    """
)


def _gongdan(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GONGDAN_DATABASE_URL": url}
    return subprocess.run([*GONGDAN, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def _connect(url: str) -> Any:
    if url.startswith("sqlite"):
        return sqlite3.connect(urlsplit(url).path[1:])
    import psycopg2

    return psycopg2.connect(url)


def _rows(url: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table of the database: its columns and rows."""
    connection = _connect(url)
    try:
        cursor = connection.cursor()
        if url.startswith("sqlite"):
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        else:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = {}
        for (name,) in cursor.fetchall():
            cursor.execute(f'SELECT * FROM "{name}"')
            tables[name] = ([d[0] for d in cursor.description], cursor.fetchall())
        return tables
    finally:
        connection.close()


def _stable(table: str, columns: list[str], rows: list[tuple]) -> Counter:
    keep = [i for i, c in enumerate(columns) if c not in VOLATILE.get(table, set())]
    return Counter(tuple(row[i] for i in keep) for row in rows)


@pytest.fixture
def fresh_url(gongdan_backend: str, gongdan_database_url: str, tmp_path: Path) -> Any:
    """The URL of an empty database to restore into (a new file; a new PostgreSQL database)."""
    if gongdan_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    import psycopg2

    parts = urlsplit(gongdan_database_url)
    name = parts.path.lstrip("/") + "_restore"
    admin = psycopg2.connect(gongdan_database_url)
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.mark.single_node  # gongdan backup refuses a Citus cluster
def test_a_backup_taken_during_writes_restores_one_consistent_moment(
    gongdan_db: Any, gongdan_database_url: str, tenant: Any, fresh_url: str, tmp_path: Path
) -> None:
    for n in range(300):
        tickets.create(tenant, {"subject": f"已有工单 {n}", "channel": "web"}, Actor.system("seed"))
    gongdan_db.close()
    stop, target = tmp_path / "stop", tmp_path / "backups" / "gongdan.backup"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, gongdan_database_url, str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "writing"
        time.sleep(0.5)
        before = _rows(gongdan_database_url)["ticket"][1]
        done = _gongdan(gongdan_database_url, "backup", str(target))
        after = _rows(gongdan_database_url)["ticket"][1]
    finally:
        stop.touch()
        written = int(writer.communicate(timeout=60)[0].strip())
    assert done.returncode == 0, done.stderr
    assert len(after) > len(before), "the writer kept writing while the backup ran"
    manifest = json.loads(manifest_path(target).read_text(encoding="utf-8"))
    assert len(before) <= manifest["tables"]["ticket"] <= len(after)
    assert "key file" in manifest["keys"]
    assert written > 0

    restored = _gongdan(fresh_url, "restore", str(target))
    assert restored.returncode == 0, restored.stderr
    assert "row counts match" in restored.stdout

    source, copy = _rows(gongdan_database_url), _rows(fresh_url)
    assert set(copy) == set(source) == set(manifest["tables"])
    for table, (columns, rows) in copy.items():
        assert len(rows) == manifest["tables"][table], table
        missing = _stable(table, columns, rows) - _stable(table, *source[table])
        assert not missing, (table, list(missing)[:3])
    ticket_ids = sorted(row[0] for row in copy["ticket"][1])
    assert ticket_ids == sorted(row[0] for row in source["ticket"][1])[: len(ticket_ids)]  # a prefix, no gap
    events = Counter(row[copy["ticket_event"][0].index("ticket_id")] for row in copy["ticket_event"][1])
    assert set(events) == set(ticket_ids)
    seq = copy["tenant"][0].index("ticket_seq")
    assert [row[seq] for row in copy["tenant"][1]] == [len(ticket_ids)]


@pytest.mark.single_node  # gongdan backup refuses a Citus cluster
def test_restore_refuses_a_database_in_use_and_a_backup_of_another_kind(
    gongdan_backend: str, gongdan_db: Any, gongdan_database_url: str, tenant: Any, tmp_path: Path
) -> None:
    target = tmp_path / "b.backup"
    assert _gongdan(gongdan_database_url, "backup", str(target)).returncode == 0
    gongdan_db.connect(reuse_if_open=True)  # this process holds the database open
    gongdan_db.execute_sql("SELECT 1")
    refused = _gongdan(gongdan_database_url, "restore", str(target))
    assert refused.returncode == 1
    assert "in use" in refused.stderr or "other connection" in refused.stderr
    assert "--force" in refused.stderr
    again = _gongdan(gongdan_database_url, "backup", str(target))
    assert again.returncode == 1
    assert "exists" in again.stderr
    other = "postgresql://nobody@127.0.0.1:1/none" if gongdan_backend == "sqlite" else f"sqlite:///{tmp_path / 'x.db'}"
    wrong = _gongdan(other, "restore", str(target))
    assert wrong.returncode == 1
    assert "backup; the configured database is" in wrong.stderr


@pytest.mark.citus
def test_backup_refuses_a_citus_database(
    gongdan_db: Any, gongdan_database_url: str, tenant: Any, tmp_path: Path
) -> None:
    tickets.create(tenant, {"subject": "分布式的工单", "channel": "web"}, Actor.system("seed"))
    target = tmp_path / "b.backup"
    refused = _gongdan(gongdan_database_url, "backup", str(target))
    assert refused.returncode == 1
    assert "Citus cluster" in refused.stderr
    assert "back up every node" in refused.stderr
    assert not target.exists()


def test_backup_on_postgresql_names_the_missing_pg_dump(tmp_path: Path) -> None:
    env = {**os.environ, "GONGDAN_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "PATH": str(tmp_path)}
    done = subprocess.run(
        [*GONGDAN, "backup", str(tmp_path / "b.backup")], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 1
    assert "pg_dump is not installed" in done.stderr
