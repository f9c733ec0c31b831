"""No template of the console, the portal or any first-party plugin carries an inline event handler
(`onsubmit=`, `onclick=`...): the Content-Security-Policy blocks them, so the behaviour would silently
not happen (a confirmation never asked). Use the console's `data-confirm` and static scripts."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)


def test_no_template_has_an_inline_event_handler():
    templates = [*ROOT.glob("admin/templates/**/*.html"), *ROOT.glob("plugins/*/gongdan_*/templates/**/*.html")]
    assert len(templates) > 50  # the globs still find the templates
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)[:80]}"
        for path in templates
        for match in HANDLER.finditer(path.read_text())
    ]
    assert found == [], "\n".join(found)
