"""Fixtures shared by the console's tests and browser tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash test passwords with a cheap PBKDF2 (scrypt takes ~0.3 s here); checks stay real."""
    from functools import partial

    from werkzeug.security import generate_password_hash

    from gongdan import accounts

    monkeypatch.setattr(
        accounts, "generate_password_hash", partial(generate_password_hash, method="pbkdf2:sha256:1000")
    )


_APPS: dict[frozenset, Any] = {}


@pytest.fixture
def app(gongdan_db: Any) -> Any:
    """The web app, built once per set of loaded plugins (building it takes ~0.5 s here).

    The app keeps no per-test state: the database is the test's own (`gongdan_db`).
    """
    from gongdan.plugins import get_host
    from gongdan.web import create_app

    host = get_host()
    key = frozenset((name, id(record.module)) for name, record in host.records.items() if record.status == "loaded")
    if key not in _APPS:
        application = create_app()
        application.testing = True
        _APPS[key] = application
    return _APPS[key]
