"""Helpers for the REST API tests: creating tickets through the API and checking errors."""

from __future__ import annotations

from typing import Any

import pytest


def check_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert `response` is the contract's error envelope with `status` and `code`; return the error."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


@pytest.fixture
def new_ticket() -> Any:
    """`new_ticket(api, subject="...", **fields)` → the created ticket's representation."""

    def create(api: Any, subject: str = "收到的商品破损", **fields: Any) -> dict[str, Any]:
        response = api.post("/api/v1/tickets", json={"subject": subject, **fields})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    return create


@pytest.fixture
def expect_error() -> Any:
    """`expect_error(response, status, code)`: assert the error envelope; returns the error."""
    return check_error
