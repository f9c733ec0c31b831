"""Shared fixtures of the knowledge plugin's tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def kb(enable_plugin: Any, make_user: Any) -> Any:
    """The knowledge plugin enabled in `tenant`; returns a supervisor's API client."""
    enable_plugin("knowledge")
    return make_user("supervisor")[1]


@pytest.fixture
def publish(kb: Any) -> Any:
    """`publish(title, body, **fields)` → the id of a new published article."""

    def make(title: str, body: str, **fields: Any) -> int:
        payload = {"title": title, "body": body, "status": "published", **fields}
        response = kb.post("/api/v1/kb/articles", json=payload)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    return make
