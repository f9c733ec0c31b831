"""docs/ticket-service.md is true: its example runs against the ticket service on both databases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "ticket-service.md"


def test_the_documented_example_runs(tenant: Any) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(DOC), "exec"), {"tenant": tenant})
