"""Issue 16 bug 12: a CLI command pointed at a database without gongdan's schema says so in
one line (and leaves no empty SQLite file), instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GONGDAN = str(Path(sys.executable).with_name("gongdan"))


def run(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GONGDAN_DATABASE_URL": url}
    return subprocess.run([GONGDAN, *args], capture_output=True, text=True, env=env, timeout=60)


def test_a_missing_sqlite_file_is_one_clear_line_and_stays_missing(tmp_path):
    missing = tmp_path / "gongdan.db"
    answer = run(f"sqlite:///{missing}", "token", "create", "admin@example.com")
    assert answer.returncode == 1
    assert answer.stderr.strip().splitlines() == [
        f"Error: no gongdan schema in sqlite:///{missing}: run `gongdan init` first, or set "
        "GONGDAN_DATABASE_URL to the database you mean (make demo uses sqlite:///demo.db)"
    ]
    assert "Traceback" not in answer.stderr
    assert not missing.exists()


def test_an_empty_database_is_refused_the_same_way_and_init_still_creates_it(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    answer = run(f"sqlite:///{empty}", "tenant", "create", "acme", "--name", "Acme")
    assert answer.returncode == 1
    assert "no gongdan schema in" in answer.stderr
    assert "Traceback" not in answer.stderr
    assert run(f"sqlite:///{empty}", "init").returncode == 0
    assert run(f"sqlite:///{empty}", "tenant", "create", "acme", "--name", "Acme").returncode == 0
