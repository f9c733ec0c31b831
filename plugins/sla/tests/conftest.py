"""Fixtures for the SLA plugin's tests: the plugin on, a calendar and policies, tickets, a sweep."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gongdan_sla.models import SlaTicket
from gongdan_sla.policies import save_calendars, save_policies

from gongdan import categories, tickets
from gongdan.actors import Actor
from gongdan.models import Ticket, TicketEvent

SH = ZoneInfo("Asia/Shanghai")
CUSTOMER = Actor.system("channel:api")
LUNCH_WEEK = {str(d): [["09:00", "12:00"], ["13:30", "18:00"]] for d in range(5)}


def sh(*parts: int) -> datetime:
    """An aware datetime in Asia/Shanghai."""
    return datetime(*parts, tzinfo=SH)


@pytest.fixture
def sla(enable_plugin: Any, tenant: Any, frozen_clock: Any) -> Any:
    """The plugin enabled in `tenant` (clock frozen at Monday 2026-11-02 10:00 Shanghai)."""
    return enable_plugin("sla")


@pytest.fixture
def configure(sla: Any, tenant: Any) -> Any:
    """`configure(policies, calendars=None)`: save them as the API's PUT does (lunch-break week by default)."""

    def put(policies: list[dict], calendars: list[dict] | None = None) -> Any:
        if calendars is None:
            calendars = [{"name": "default", "weekly": LUNCH_WEEK, "region": "CN"}]
        save_calendars(tenant, {"items": calendars})
        return save_policies(tenant, {"items": policies})

    return put


@pytest.fixture
def new_ticket(tenant: Any) -> Any:
    """`new_ticket(subject="...", **fields)` → the ticket after the hooks ran."""

    def make(subject: str = "收到的商品破损", **data: Any) -> Ticket:
        if data.get("category"):
            categories.ensure(tenant, data["category"])
        ticket, _ = tickets.create(tenant, {"subject": subject, **data}, CUSTOMER)
        return Ticket.get_by_id(ticket.id)

    return make


class Look:
    """Reading SLA state afresh in assertions."""

    sh = staticmethod(sh)

    @staticmethod
    def utc(*parts: int) -> str:
        """The API's text for a Shanghai wall-clock time (UTC ISO 8601)."""
        return sh(*parts).astimezone(UTC).isoformat()

    @staticmethod
    def row(ticket: Ticket) -> SlaTicket:
        """The ticket's SLA row."""
        return SlaTicket.get(SlaTicket.ticket == ticket.id)

    @staticmethod
    def events(ticket: Ticket, kind: str) -> list[dict]:
        """The data of the ticket's events of `kind`, oldest first."""
        rows = TicketEvent.select().where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == kind))
        return [r.data for r in rows.order_by(TicketEvent.id)]


@pytest.fixture
def look() -> Look:
    """`look.row(ticket)`, `look.events(ticket, kind)`, `look.sh(2026, 11, 2, 10)`."""
    return Look()
