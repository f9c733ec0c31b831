"""Fixtures for the assignment plugin's tests: the plugin on, a supervisor, agents, tickets."""

from __future__ import annotations

from typing import Any

import pytest

from gongdan import accounts
from gongdan.models import Team, Ticket, TicketEvent
from gongdan.testing import ApiClient


@pytest.fixture
def assignment(enable_plugin: Any, tenant: Any) -> Any:
    """The plugin enabled in `tenant` with default settings."""
    return enable_plugin("assignment")


@pytest.fixture
def quick_user(client: Any, tenant: Any) -> Any:
    """`quick_user(role, in_tenant=None)` → `(user, ApiClient)`, without a password (fast to make)."""
    counter = {"n": 0}

    def make(role: str = "agent", in_tenant: Any = None) -> tuple[Any, ApiClient]:
        counter["n"] += 1
        owner = in_tenant or tenant
        user = accounts.create_user(
            owner, f"q{role}{counter['n']}@{owner.slug}.example.com", role, f"{role} {counter['n']}"
        )
        return user, ApiClient(client, accounts.create_token(user)[1], user)

    return make


@pytest.fixture
def sup_api(quick_user: Any, assignment: Any) -> ApiClient:
    """A supervisor of `tenant`, with a token."""
    return quick_user("supervisor")[1]


@pytest.fixture
def admin_api(quick_user: Any) -> ApiClient:
    """An admin of `tenant`, with a token (overrides the harness's, without a password)."""
    return quick_user("admin")[1]


@pytest.fixture
def agent(quick_user: Any, sup_api: Any, tenant: Any) -> Any:
    """`agent(capacity=8, status="online", team=None, skills=None, **availability)` → the user.

    Everything is set through the API, as a supervisor would.
    """

    def make(
        capacity: int = 8, status: str = "online", team: str | None = None, skills: dict | None = None, **more: Any
    ):
        user, _ = quick_user("agent")
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
def new_ticket(admin_api: Any) -> Any:
    """`new_ticket(subject="...", **fields)` → the ticket (read afresh) after `POST /api/v1/tickets`.

    A `category` is created first (`POST /api/v1/categories`); `tier="vip"` adds a customer.
    """

    def make(subject: str = "收到的商品破损", tier: str | None = None, **data: Any) -> Ticket:
        if data.get("category"):
            assert admin_api.post("/api/v1/categories", json={"path": data["category"]}).status_code in (200, 201)
        if tier is not None:
            data["customer"] = {"name": f"买家 {tier}", "tier": tier}
        answer = admin_api.post("/api/v1/tickets", json={"subject": subject, **data})
        assert answer.status_code == 201, answer.get_json()
        return Ticket.get_by_id(answer.get_json()["id"])

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


@pytest.fixture
def set_rules(sup_api: Any) -> Any:
    """`set_rules(rules, default=None)` through `PUT /api/v1/assignment/rules`; returns the answer."""

    def put(rules: list, default: dict | None = None) -> dict:
        body = {"rules": rules, **({"default": default} if default else {})}
        answer = sup_api.put("/api/v1/assignment/rules", json=body)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    return put
