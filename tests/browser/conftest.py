"""A real console server in a thread and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from gongdan.testing import PG_ENV, citus_mode, item_params

from ..admin.console_fixtures import app, quick_password_hashing  # noqa: F401 - shared fixtures

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _language(item: pytest.Item) -> str | None:
    params = item_params(item)
    value = params.get("language") or params.get("locale")
    return value[:2] if isinstance(value, str) else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A browser flow written for both languages runs Chinese on SQLite and English on PostgreSQL
    when both databases are configured: each language and each database still runs every flow
    once, in half the browser time. Without PostgreSQL both languages run on SQLite."""
    if not os.environ.get(PG_ENV) or citus_mode():
        return
    pairs = {("sqlite", "en"), ("postgresql", "zh")}  # the two left out
    keep, dropped = [], []
    for item in items:
        browser = item.get_closest_marker("browser") is not None
        left_out = browser and (item_params(item).get("gongdan_backend"), _language(item)) in pairs
        (dropped if left_out else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:  # noqa: F811 - the shared fixture
    """The app served over HTTP on 127.0.0.1 (a free port); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """Headless Chromium launched once per test module (a launch takes ~3 s here; skipped only
    when Debian's chromium is not installed). Module-scoped, not session-scoped: Playwright's sync
    API keeps its event loop marked as running in this thread while it is started, which other
    modules' tests must not see."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def chromium(chromium_browser: Any) -> Iterator[Any]:
    """The module's headless Chromium for one test: every context (cookies, storage, cache, tabs)
    the test opens is its own and is closed after it, so the next test starts from none."""
    yield chromium_browser
    for context in list(chromium_browser.contexts):
        context.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh English browser tab, 1366×900."""
    context = chromium.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def wait_until(page: Any, expression: str, arg: Any = None, timeout: float = 15.0) -> None:
    """Poll `expression` (a JS function source) in the page until it is truthy.

    Playwright's `wait_for_function` evaluates its predicate with `new Function` inside the
    page, which the console's Content-Security-Policy forbids; `page.evaluate` is not subject to it.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)
