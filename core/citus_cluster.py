"""A Citus cluster on this machine — coordinator and workers as PostgreSQL 15 clusters on loopback.

Used by the test harness (`GONGDAN_TEST_CITUS=1`) and `bench/citus.py`; production clusters
are set up as docs/operations.md describes. Needs Citus installed into PostgreSQL 15
(`../shared/vendor/citus/build.sh`). Started once and reused: a node whose data directory
exists and answers is left as it is.

    url = ensure("gongdan_test")   # postgresql://postgres@127.0.0.1:5441/gongdan_test
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import psycopg2

BIN = Path(os.environ.get("GONGDAN_PG_BIN", "/usr/lib/postgresql/15/bin"))
ROOT = Path(os.environ.get("GONGDAN_CITUS_DIR", "/tmp/gongdan-citus"))  # noqa: S108 - loopback test clusters
HOST = "127.0.0.1"
COORDINATOR = 5441
WORKERS = (5442, 5443)
SPARE_WORKER = 5444  # the third worker `bench/citus.py` adds during the rebalance

SETTINGS = {
    "shared_preload_libraries": "'citus'",
    "listen_addresses": f"'{HOST}'",
    "max_connections": "300",
    "wal_level": "logical",  # shard moves (rebalance, tenant isolation) use logical replication
    "max_replication_slots": "20",
    "max_wal_senders": "20",
    "fsync": "off",  # throw-away test clusters: speed over crash safety
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "64MB",
    # gongdan's append-only audit trail uses row triggers on a distributed table (see docs/operations.md)
    "citus.enable_unsafe_triggers": "on",
    # gongdan's tables point at reference tables (tenant): Citus then needs one connection per
    # node for a transaction that both modifies many shards and anything else
    "citus.multi_shard_modify_mode": "'sequential'",
    "citus.shard_count": "8",
    "citus.max_adaptive_executor_pool_size": "4",
}


class ClusterError(RuntimeError):
    """The cluster could not be started (Citus not installed, a port taken, ...)."""


def installed() -> bool:
    """True when Citus is installed into the local PostgreSQL 15."""
    return (BIN.parent / "lib" / "citus.so").exists()


def _as_postgres(args: Sequence[str]) -> subprocess.CompletedProcess:
    """Run a PostgreSQL program, as the `postgres` user when we are root (PostgreSQL refuses root)."""
    command = [str(a) for a in args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _ready(port: int) -> bool:
    return _as_postgres([BIN / "pg_isready", "-q", "-h", HOST, "-p", str(port)]).returncode == 0


def start_node(port: int) -> None:
    """Create (first time) and start one node on `port`; nothing when it already answers."""
    if _ready(port):
        return
    if not installed():
        raise ClusterError("Citus is not installed: run ../shared/vendor/citus/build.sh (as root)")
    data = ROOT / str(port)
    if not (data / "PG_VERSION").exists():
        ROOT.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(ROOT, pw.pw_uid, pw.pw_gid)
        if data.exists():
            shutil.rmtree(data)
        done = _as_postgres([BIN / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        if done.returncode:
            raise ClusterError(f"initdb for port {port} failed: {done.stderr.strip()}")
        with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"\n# gongdan Citus node\nport = {port}\nunix_socket_directories = '{ROOT}'\n")
            conf.writelines(f"{key} = {value}\n" for key, value in SETTINGS.items())
    done = _as_postgres([BIN / "pg_ctl", "-D", data, "-l", data / "log", "-w", "-t", "60", "start"])
    if done.returncode or not _ready(port):
        raise ClusterError(f"node on port {port} did not start: {done.stderr.strip()} (see {data / 'log'})")


def stop_node(port: int, mode: str = "fast") -> None:
    """Stop the node on `port` (if it runs)."""
    data = ROOT / str(port)
    if data.exists():
        _as_postgres([BIN / "pg_ctl", "-D", data, "-m", mode, "-w", "stop"])


def _connect(port: int, database: str = "postgres") -> psycopg2.extensions.connection:
    connection = psycopg2.connect(host=HOST, port=port, user="postgres", dbname=database)
    connection.autocommit = True
    return connection


def _create_database(port: int, database: str) -> None:
    with closing(_connect(port)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{database}"')
    with closing(_connect(port, database)) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS citus")


def url(database: str, port: int = COORDINATOR) -> str:
    """The URL of `database` on the coordinator."""
    return f"postgresql://postgres@{HOST}:{port}/{database}"


def add_worker(database: str, port: int) -> None:
    """Start the worker on `port` if needed and add it to `database`'s cluster (idempotent)."""
    start_node(port)
    _create_database(port, database)
    with closing(_connect(COORDINATOR, database)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_dist_node WHERE nodename = %s AND nodeport = %s", (HOST, port))
        if cursor.fetchone() is None:
            cursor.execute("SELECT citus_add_node(%s, %s)", (HOST, port))


def remove_worker(database: str, port: int) -> bool:
    """Move every shard of `database` off the worker on `port` and take it out of the cluster;
    False when it was not in it (a kept benchmark database is rebalanced from two workers again)."""
    with closing(_connect(COORDINATOR, database)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_dist_node WHERE nodename = %s AND nodeport = %s", (HOST, port))
        if cursor.fetchone() is None:
            return False
        cursor.execute("SELECT citus_drain_node(%s, %s, shard_transfer_mode => 'force_logical')", (HOST, port))
        cursor.execute("SELECT citus_remove_node(%s, %s)", (HOST, port))
    return True


def ensure(database: str, workers: Sequence[int] = WORKERS) -> str:
    """Start (or reuse) the coordinator and `workers`, and make `database` a Citus database on
    them; returns its URL on the coordinator.

    Every node is started before the first Citus call: a database kept from an earlier run already
    lists its workers, and Citus reaches them on `citus_set_coordinator_host`."""
    for port in (COORDINATOR, *workers):
        start_node(port)
    _create_database(COORDINATOR, database)
    with closing(_connect(COORDINATOR, database)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT citus_set_coordinator_host(%s, %s)", (HOST, COORDINATOR))
    for port in workers:
        add_worker(database, port)
    return url(database)


def drop_database(database: str, ports: Sequence[int] = (COORDINATOR, *WORKERS, SPARE_WORKER)) -> None:
    """Drop `database` on every running node (a fresh start for a benchmark)."""
    for port in ports:
        if not _ready(port):
            continue
        with closing(_connect(port)) as connection, connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
