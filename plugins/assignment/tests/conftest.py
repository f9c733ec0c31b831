"""Fixtures for the assignment plugin's tests: the plugin on, a supervisor, agents, tickets."""

from __future__ import annotations

from typing import Any

import pytest

from gongdan import categories, tickets
from gongdan.actors import Actor
from gongdan.models import Team, Ticket, TicketEvent

CUSTOMER = Actor.system("channel:api")


@pytest.fixture
def assignment(enable_plugin: Any, tenant: Any) -> Any:
    """The plugin enabled in `tenant` with default settings."""
    return enable_plugin("assignment")


@pytest.fixture
def sup_api(make_user: Any, assignment: Any) -> Any:
    """A supervisor of `tenant`, with a token."""
    return make_user("supervisor")[1]


@pytest.fixture
def agent(make_user: Any, sup_api: Any, tenant: Any) -> Any:
    """`agent(capacity=8, status="online", team=None, skills=None, **availability)` → the user.

    Everything is set through the API, as a supervisor would.
    """

    def make(capacity: int = 8, status: str = "online", team: str | None = None, skills: dict | None = None, **more: Any):
        user, _ = make_user("agent")
        if team is not None:
            user.team = Team.get_or_create(tenant=tenant, name=team)[0]
            user.save()
        if skills:
            answer = sup_api.put(f"/api/v1/agents/{user.id}/skills", json={"skills": skills})
            assert answer.status_code == 200, answer.get_json()
        answer = sup_api.put(
            f"/api/v1/agents/{user.id}/availability", json={"status": status, "capacity": capacity, **more}
        )
        assert answer.status_code == 200, answer.get_json()
        return user

    return make


@pytest.fixture
def new_ticket(tenant: Any) -> Any:
    """`new_ticket(subject="...", **fields)` → the ticket as it is after the hooks ran."""

    def make(subject: str = "收到的商品破损", **data: Any) -> Ticket:
        if data.get("category"):
            categories.ensure(tenant, data["category"])
        ticket, _ = tickets.create(tenant, {"subject": subject, **data}, CUSTOMER)
        return Ticket.get_by_id(ticket.id)

    return make


class Look:
    """Reading tickets afresh in assertions."""

    @staticmethod
    def events(ticket: Ticket, kind: str) -> list[dict]:
        """The data of the ticket's events of `kind`, oldest first."""
        rows = TicketEvent.select().where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == kind))
        return [row.data for row in rows.order_by(TicketEvent.id)]

    @staticmethod
    def holder(ticket: Ticket) -> int | None:
        """The ticket's assignee id, read afresh."""
        return Ticket.get_by_id(ticket.id).assignee_id


@pytest.fixture
def look() -> Look:
    """Helpers that read tickets afresh: `look.holder(t)`, `look.events(t, kind)`."""
    return Look()
