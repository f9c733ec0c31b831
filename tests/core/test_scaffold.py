"""`gongdan plugin new NAME [--connector]`: the plugin it writes is lint-clean, builds a wheel
with its templates and translations, installs into a fresh virtual environment (on top of the
gongdan installed here, no network) and passes its own tests there, against the installed wheel."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from playhouse.db_url import connect

from gongdan import scaffold
from gongdan.cli import main
from gongdan.errors import ValidationError
from gongdan.testing import postgres_url

BIN = Path(sys.executable).parent


def test_names_and_folders_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as bad:
        scaffold.create("JD-connector", tmp_path / "x")
    assert "name" in bad.value.fields
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("mine")
    with pytest.raises(ValidationError) as busy:
        scaffold.create("jd", tmp_path / "busy")
    assert "path" in busy.value.fields


def test_the_command_prints_the_folder_last(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["plugin", "new", "jd", "--connector", "--path", str(tmp_path / "jd")])
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(tmp_path / "jd")
    assert (tmp_path / "jd" / "gongdan_jd" / "simulator.py").is_file()


def _forget_plugin_tables(url: str) -> None:
    """Drop the generated plugin's tables from the shared PostgreSQL test database (before its
    tests: docs/examples/jd's tests may have left tables of the same names; and after them)."""
    database = connect(url)
    with database.connection_context():
        for table in ("jd_cursor", "jd_mirror", "jd_quarantine"):
            database.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
        database.execute_sql("DELETE FROM schema_version WHERE owner = 'jd'")


def _run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (args, done.stdout[-4000:], done.stderr[-4000:])
    return done.stdout


@pytest.mark.parametrize(("variant", "on_db", "plain"), [([], 5, 2), (["--connector"], 9, 4)])
def test_the_plugin_installs_into_a_fresh_venv_and_passes_its_tests(
    tmp_path: Path, variant: list[str], on_db: int, plain: int
) -> None:
    source = tmp_path / "jd"
    main(["plugin", "new", "jd", *variant, "--path", str(source)])
    _run(BIN / "ruff", "check", "--no-cache", ".", cwd=source)
    _run(BIN / "ruff", "format", "--no-cache", "--check", ".", cwd=source)

    wheels = tmp_path / "wheels"
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
        wheels,
        source,
    )
    (wheel,) = wheels.glob("gongdan_jd-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert {"gongdan_jd/templates/jd/index.html", "gongdan_jd/translations/zh_CN/LC_MESSAGES/messages.mo"} <= shipped

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # the core and its dependencies: the ones installed here, no download
    (site / "gongdan_here.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)
    where = _run(python, "-P", "-c", "import gongdan_jd; print(gongdan_jd.__file__)", cwd=source)
    assert where.startswith(str(site))

    env = {**os.environ, "GONGDAN_STRICT_PLUGINS": "1"}
    env.pop("PYTHONPATH", None)
    pg_url = postgres_url()
    if pg_url:
        _forget_plugin_tables(pg_url)
    try:
        report = _run(python, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=source, env=env)
    finally:
        if pg_url:
            _forget_plugin_tables(pg_url)
    backends = 2 if pg_url else 1
    assert re.search(rf"\b{on_db * backends + plain} passed", report), report[-2000:]
    assert "failed" not in report
