"""The order tests start in: the longest first.

Under pytest-xdist (`make test` runs `--dist worksteal`) a worker that runs out of tests takes
half of the other's queue, but a long test that starts last leaves the other worker idle until it
ends. The tests below took 25-125 s each in a full run (the rest take a few seconds at most), so
they are moved to the front, in their own order; whole browser modules move together so that
each still launches Chromium once. Every test stays independent of the order.
"""

from __future__ import annotations

import pytest

LONG_FIRST = (
    "tests/core/test_hook_contract.py::test_every_hookspec_is_exercised",
    "tests/core/test_demo.py::",
    "tests/core/test_scaffold.py::test_the_plugin_installs_into_a_fresh_venv",
    "tests/api/test_schemathesis.py::",
    "tests/browser/test_portal_browser.py::",
    "tests/core/test_cli.py::",
    "tests/browser/test_visible_words_browser.py::",
    "tests/core/test_wheels.py::",
    "tests/core/test_backup.py::",
    "tests/browser/test_automation_browser.py::",
    "tests/browser/test_conversation_browser.py::",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Move the known long tests (`LONG_FIRST`, node id prefixes) to the front."""
    first = [item for item in items if item.nodeid.startswith(LONG_FIRST)]
    if first:
        items[:] = first + [item for item in items if not item.nodeid.startswith(LONG_FIRST)]
