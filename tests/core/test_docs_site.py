"""The documentation site (`make docs`): MkDocs builds every page of docs/ in strict mode — an
internal link or anchor that points nowhere fails — every page is built, and
the built site loads nothing from another host (no CDN, no web fonts)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REMOTE = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)


def test_the_docs_site_builds_strictly_and_needs_no_network(tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).with_name("mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [str(mkdocs), "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-4000:]
    docs = ROOT / "docs"
    pages = {p.relative_to(docs).with_suffix(".html") for p in docs.rglob("*.md")}
    pages = {p for p in pages if p.parts[0] != "examples"}  # example plugins, not pages (exclude_docs)
    assert Path("hooks", "gongdan_ticket_created.html") in pages  # a page per hook, in docs/hooks/
    site = tmp_path / "site"
    assert {p for p in pages if not (site / p).is_file()} == set()
    assert (site / "search" / "search_index.json").is_file()
    remote = {str(p.relative_to(site)) for p in site.rglob("*.html") if REMOTE.search(p.read_text(encoding="utf-8"))}
    assert remote == set()
