"""L8: `gongdan kb import PATH` reads PATH and nothing else: no symbolic links, nothing outside."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gongdan_knowledge.models import Article

GONGDAN = [sys.executable, "-c", "from gongdan.cli import main; main()"]
SECRET = "---\ntitle: 服务器密钥\nstatus: published\n---\n\nGONGDAN_SECRET_KEY=do-not-import\n"


def _import(url: str, folder: Path, slug: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GONGDAN_DATABASE_URL": url}
    command = [*GONGDAN, "kb", "import", str(folder), "--tenant", slug]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """`(inside, outside)`: the folder to import with one good article, and a folder beside it."""
    inside, outside = tmp_path / "articles", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (inside / "ok.md").write_text("---\ntitle: 尺码表\n---\n\n见详情页。\n", encoding="utf-8")
    (outside / "secret.md").write_text(SECRET, encoding="utf-8")
    return inside, outside


@pytest.mark.parametrize("link", ["file", "folder", "dangling"])
def test_import_refuses_a_folder_with_symbolic_links_and_imports_nothing(
    kb: Any, tenant: Any, gongdan_database_url: str, gongdan_db: Any, folders: tuple[Path, Path], link: str
) -> None:
    inside, outside = folders
    target = {"file": outside / "secret.md", "folder": outside, "dangling": outside / "gone.md"}[link]
    (inside / "linked.md" if link != "folder" else inside / "linked").symlink_to(target)
    gongdan_db.close()  # let the child process write (SQLite)
    done = _import(gongdan_database_url, inside, tenant.slug)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "symbolic links" in done.stderr
    assert "linked" in done.stderr
    assert Article.of(tenant).count() == 0


def test_import_reads_a_plain_folder_and_its_subfolders(
    kb: Any, tenant: Any, gongdan_database_url: str, gongdan_db: Any, folders: tuple[Path, Path]
) -> None:
    inside, _ = folders
    (inside / "sub").mkdir()
    (inside / "sub" / "more.md").write_text("---\ntitle: 发货时间\n---\n\n48 小时内。\n", encoding="utf-8")
    gongdan_db.close()
    done = _import(gongdan_database_url, inside, tenant.slug)
    assert done.returncode == 0, done.stderr
    assert sorted(a.title for a in Article.of(tenant)) == ["发货时间", "尺码表"]
