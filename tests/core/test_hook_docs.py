"""docs/hooks.md has a section per hook (an anchor each in the docs site), and each section names
first-party plugins that implement the hook — files under plugins/ or docs/examples/ that
really define it with `@hookimpl`. A new hook without its section, or a section naming a file
that no longer implements it, fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gongdan import hookspecs

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "hooks.md"
SPECS = sorted(name for name, obj in vars(hookspecs).items() if name.startswith("gongdan_") and callable(obj))
CITED = re.compile(r"\[([^\]]+)\]\(([\w.-]+\.md)(?:#[\w-]+)?\) \(`([^`]+)`\)")


def _section(text: str, name: str) -> str:
    start = re.search(rf"^### `{name}\(.*$", text, re.M)
    assert start, f"docs/hooks.md has no section '### `{name}(...)`'"
    rest = text[start.end() :]
    end = re.search(r"^#{2,3} ", rest, re.M)
    return rest[: end.start()] if end else rest


def _implements(path: Path, name: str) -> bool:
    return re.search(rf"@hookimpl[^\n]*\n(?:@[^\n]*\n)*def {name}\(", path.read_text(encoding="utf-8")) is not None


@pytest.mark.parametrize("name", SPECS)
def test_every_hook_names_a_first_party_plugin_that_implements_it(name: str) -> None:
    section = _section(DOC.read_text(encoding="utf-8"), name)
    lines = [line for line in section.splitlines() if line.startswith("Implemented by:")]
    assert len(lines) == 1, f"{name}: add one line 'Implemented by: [Plugin](page.md) (`path/to/file.py`)'"
    cited = CITED.findall(lines[0])
    assert cited, f"{name}: 'Implemented by' names no [plugin](page.md) (`file`)"
    for label, page, path in cited:
        assert (ROOT / "docs" / page).is_file(), f"{name}: {label} links to a page that does not exist: {page}"
        assert path.startswith(("plugins/", "docs/examples/")), f"{name}: {path} is not a first-party plugin's file"
        assert (ROOT / path).is_file(), f"{name}: {path} does not exist"
        assert _implements(ROOT / path, name), f"{name}: {path} has no @hookimpl def {name}(...)"


def test_the_check_reads_the_sections_it_means() -> None:
    text = "### `gongdan_a()`\nA.\n\nImplemented by: [SLA](sla.md) (`plugins/sla/x.py`).\n\n### `gongdan_b()`\nB.\n"
    assert "Implemented by" in _section(text, "gongdan_a")
    assert "Implemented by" not in _section(text, "gongdan_b")
    assert CITED.findall(text) == [("SLA", "sla.md", "plugins/sla/x.py")]
