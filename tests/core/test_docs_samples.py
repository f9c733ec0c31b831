"""Every Python sample in docs/ is either run here or marked as a fragment.

Each ```python block of docs/ (sub-folders such as docs/hooks/ too, but not docs/examples/) must
follow a marker line: `<!-- runs -->` — executed here, on its own, with `tenant`, `ticket`,
`actor` (an admin of the tenant), `admin` and `data` (a small JPEG) defined — or
`<!-- fragment: why -->` — a part of a larger whole (a method without its class, a test that
needs its plugin's fixtures, a sample that starts processes), which must still be valid Python.
A new sample without a marker fails, and so does a `runs` sample that raises.
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest

from gongdan import tickets
from gongdan.actors import Actor

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)
MARKER = re.compile(r"^<!-- (runs|fragment: [^>]+) -->$")


def pages() -> list[Path]:
    """Every page of the docs site: docs/**/*.md but the example plugins (docs/examples/)."""
    return sorted(p for p in DOCS.rglob("*.md") if p.relative_to(DOCS).parts[0] != "examples")


def samples() -> list[tuple[str, str, str]]:
    """`(where, marker, code)` of every Python block of the docs' pages (`where` is
    `page.md:line`, `hooks/page.md:line` below docs/)."""
    found = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        for block in FENCE.finditer(text):
            before = text[: block.start()].rstrip("\n").rsplit("\n", 1)[-1]
            line = text[: block.start()].count("\n") + 1
            found.append((f"{page.relative_to(DOCS).as_posix()}:{line}", before, block.group(1)))
    return found


SAMPLES = samples()
RUNS = [(where, code) for where, marker, code in SAMPLES if marker == "<!-- runs -->"]


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 60)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(("where", "marker", "code"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_every_sample_is_marked_and_is_python(where: str, marker: str, code: str) -> None:
    assert MARKER.match(marker), (
        f"{where}: put '<!-- runs -->' or '<!-- fragment: why -->' on the line before ```python"
    )
    ast.parse(code, filename=where)


def test_every_runnable_sample_runs(tenant, make_user) -> None:
    """Each `runs` sample in a fresh namespace, all on one database (one set-up, not one each)."""
    admin, _ = make_user("admin")
    ticket, _ = tickets.create(tenant, {"subject": "收到的商品破损", "channel": "api"}, Actor.system("channel:api"))
    jpeg = _jpeg()
    failed = {}
    for where, code in RUNS:
        scope = {"__name__": "docs_sample", "tenant": tenant, "ticket": ticket, "admin": admin, "data": jpeg}
        scope["actor"] = Actor.of(admin)
        try:
            exec(compile(code, where, "exec"), scope)
        except Exception as exc:  # reported with the sample's place below
            failed[where] = f"{type(exc).__name__}: {exc}"
    assert failed == {}


def test_there_are_samples_of_both_kinds() -> None:
    assert len(RUNS) >= 10
    assert len(SAMPLES) > len(RUNS)


def test_the_hook_pages_samples_are_collected() -> None:
    """The pages in sub-folders (a page per hook) are read too."""
    assert any(where.startswith("hooks/gongdan_ticket_created.md:") for where, _ in RUNS)
    assert not any(where.startswith("examples/") for where, _, _ in SAMPLES)
