"""Fixtures for the analytics plugin's tests: the plugin on, tickets made at chosen local times."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gongdan import categories, clock, tickets
from gongdan.actors import Actor
from gongdan.models import Ticket

SH = ZoneInfo("Asia/Shanghai")
CUSTOMER = Actor.system("channel:api")


def sh(*parts: int) -> datetime:
    """An aware datetime in Asia/Shanghai."""
    return datetime(*parts, tzinfo=SH)


@pytest.fixture
def analytics(enable_plugin: Any, tenant: Any, frozen_clock: Any) -> Any:
    """The plugin enabled in `tenant`, the clock frozen at Monday 2026-11-02 10:00 Shanghai."""
    frozen_clock.set(sh(2026, 11, 2, 10))
    return enable_plugin("analytics")


@pytest.fixture
def counted(analytics: Any) -> Any:
    """`counted()`: run the catch-up job once, as the worker does every minute. Tickets are counted
    by that job, not by the request that creates or changes them (figures up to a minute behind)."""
    from gongdan_analytics.plugin import catch_up_job

    return catch_up_job


@pytest.fixture
def at(frozen_clock: Any) -> Any:
    """`at(*local_parts)`: move the frozen clock to that Shanghai wall-clock time."""

    def move(*parts: int) -> datetime:
        frozen_clock.set(sh(*parts))
        return clock.now()

    return move


@pytest.fixture
def new_ticket(tenant: Any) -> Any:
    """`new_ticket(subject="...", **fields)` → the ticket (created now, by the API channel)."""

    def make(subject: str = "收到的商品破损", **data: Any) -> Ticket:
        if data.get("category"):
            categories.ensure(tenant, data["category"])
        ticket, _ = tickets.create(tenant, {"subject": subject, **data}, CUSTOMER)
        return Ticket.get_by_id(ticket.id)

    return make
