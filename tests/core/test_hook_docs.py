"""Every hook declared in `gongdan.hookspecs` has its own page, docs/hooks/<hook>.md, titled with
its exact arguments and with the sections a plugin author looks for (signature, when it is called,
arguments, return value, failures, example, implemented by); each page names first-party plugins
that implement the hook — files under plugins/ or docs/examples/ that really define it with
`@hookimpl` — and links to their doc pages; docs/hooks/index.md lists every hook. A new hook
without its page, a page without a hook, or a page naming a file that no longer implements the
hook, fails here."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from gongdan import hookspecs

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "docs" / "hooks"
SPECS = sorted(name for name, obj in vars(hookspecs).items() if name.startswith("gongdan_") and callable(obj))
SECTIONS = (
    "Signature",
    "When it is called",
    "Arguments",
    "Return value",
    "Failures and isolation",
    "Example",
    "Implemented by",
)
CITED = re.compile(r"^- \[([^\]]+)\]\(\.\./([\w.-]+\.md)(?:#[\w-]+)?\): `([^`]+)`$", re.M)


def _section(text: str, title: str) -> str:
    """The body of the page's `## title` section ('' when the page has none)."""
    start = re.search(rf"^## {re.escape(title)}$", text, re.M)
    if start is None:
        return ""
    rest = text[start.end() :]
    end = re.search(r"^## ", rest, re.M)
    return rest[: end.start()] if end else rest


def _implements(path: Path, name: str) -> bool:
    return re.search(rf"@hookimpl[^\n]*\n(?:@[^\n]*\n)*def {name}\(", path.read_text(encoding="utf-8")) is not None


def _signature(name: str) -> str:
    return f"{name}({', '.join(inspect.signature(getattr(hookspecs, name)).parameters)})"


@pytest.mark.parametrize("name", SPECS)
def test_every_hook_has_its_page_with_the_sections_of_a_reference(name: str) -> None:
    page = HOOKS / f"{name}.md"
    assert page.is_file(), f"{name} has no page: add docs/hooks/{name}.md (and a row in docs/hooks/index.md)"
    text = page.read_text(encoding="utf-8")
    assert text.startswith(f"# `{_signature(name)}`\n"), f"{page.name}: the title is not the hook's signature"
    missing = [title for title in SECTIONS if not _section(text, title).strip()]
    assert missing == [], f"{page.name}: no (or an empty) '## ' section for {missing}"
    example = _section(text, "Example")
    assert re.search(r"^<!-- (runs|fragment: [^>]+) -->\n```python\n", example, re.M), f"{page.name}: no sample"
    assert f"def {name}(" in example, f"{page.name}: the example does not implement {name}"


@pytest.mark.parametrize("name", SPECS)
def test_every_hook_names_a_first_party_plugin_that_implements_it(name: str) -> None:
    section = _section((HOOKS / f"{name}.md").read_text(encoding="utf-8"), "Implemented by")
    cited = CITED.findall(section)
    assert cited, f"{name}: under '## Implemented by' add '- [Plugin](../page.md): `path/to/file.py`'"
    for label, page, path in cited:
        assert (ROOT / "docs" / page).is_file(), f"{name}: {label} links to a page that does not exist: {page}"
        assert path.startswith(("plugins/", "docs/examples/")), f"{name}: {path} is not a first-party plugin's file"
        assert (ROOT / path).is_file(), f"{name}: {path} does not exist"
        assert _implements(ROOT / path, name), f"{name}: {path} has no @hookimpl def {name}(...)"


def test_every_page_is_a_hook_and_the_index_links_every_hook() -> None:
    pages = {page.stem for page in HOOKS.glob("*.md")} - {"index"}
    assert pages - set(SPECS) == set(), "a page for a hook gongdan.hookspecs does not declare"
    index = (HOOKS / "index.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((gongdan_\w+)\.md\)", index))
    assert set(SPECS) - linked == set(), "docs/hooks/index.md: add a row for each of these hooks"


def test_the_check_reads_the_sections_it_means() -> None:
    text = "# `gongdan_a()`\nA.\n\n## Example\n\nx\n\n## Implemented by\n\n- [SLA](../sla.md): `plugins/sla/x.py`\n"
    assert _section(text, "Example").strip() == "x"
    assert "Implemented by" not in _section(text, "Example")
    assert _section(text, "Arguments") == ""
    assert CITED.findall(_section(text, "Implemented by")) == [("SLA", "sla.md", "plugins/sla/x.py")]
    assert _signature("gongdan_reconcile") == "gongdan_reconcile(tenant)"
