"""Fixtures of the automation plugin's tests: the plugin on, an admin and a supervisor with tokens."""

from __future__ import annotations

from typing import Any

import pytest

from gongdan import tickets
from gongdan.actors import Actor


@pytest.fixture
def auto_tenant(tenant: Any, enable_plugin: Any) -> Any:
    """`tenant` with the automation plugin enabled."""
    enable_plugin("automation")
    return tenant


@pytest.fixture
def rule_api(make_user: Any) -> Any:
    """An admin's API client (rules need the admin role)."""
    return make_user("admin")[1]


@pytest.fixture
def new_ticket(auto_tenant: Any) -> Any:
    """`new_ticket(subject="...", **fields)` → a ticket created by the system."""

    def make(subject: str = "物流太慢了", **extra: Any) -> Any:
        return tickets.create(auto_tenant, {"subject": subject, **extra}, Actor.system("channel:api"))[0]

    return make
