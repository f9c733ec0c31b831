"""Fixtures of the automation plugin's tests: the plugin on, an admin and a supervisor with tokens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from gongdan import tickets
from gongdan.actors import Actor

DOC = Path(__file__).resolve().parents[3] / "docs" / "automation.md"


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


CLOSE_72H = {
    "kind": "time",
    "name": "解决 72 小时后关闭",
    "conditions": [
        {"field": "status", "op": "is", "value": "resolved"},
        {"field": "hours_since_resolved", "op": "gte", "value": 72},
    ],
    "actions": [{"action": "set_status", "inputs": {"status": "closed"}}],
}


@pytest.fixture
def close_after_72h(auto_tenant: Any, rule_api: Any, new_ticket: Any) -> Any:
    """The time rule "close 72 h after resolved", made through the API; returns `resolve(count)`,
    which makes `count` tickets (`已解决 0`, `已解决 1`, ...) and resolves them."""
    response = rule_api.post("/api/v1/automation/rules", json=CLOSE_72H)
    assert response.status_code == 201, response.get_json()

    def resolve(count: int, subject: str = "已解决") -> list[Any]:
        made = [new_ticket(f"{subject} {i}") for i in range(count)]
        for ticket in made:
            tickets.transition(auto_tenant, ticket, "resolved", Actor.system())
        return made

    return resolve


@pytest.fixture
def wallet(register_plugin):
    """The documented example plugin, registered."""
    (block,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    scope: dict = {}
    exec(compile(block, str(DOC), "exec"), scope)
    plugin = scope["Wallet"]()
    plugin.balances = {}
    register_plugin(plugin, "wallet")
    return plugin


@pytest.fixture
def refund_rules(auto_tenant, rule_api, wallet):
    """Over ¥5,000 needs a supervisor; every new ticket's balance is refunded and noted."""
    held = {
        "kind": "approval",
        "name": "退款超过 5000 需主管审批",
        "action": "wallet.refund",
        "conditions": [{"field": "wallet.balance", "op": "gt", "value": 5000}],
        "approver_role": "supervisor",
        "expires_hours": 24,
    }
    trigger = {
        "kind": "trigger",
        "name": "自动退款",
        "event": "created",
        "actions": [
            {"action": "wallet.refund", "inputs": {"note": "自动"}},
            {"action": "add_note", "inputs": {"body": "已按规则处理退款"}},
        ],
    }
    for body in (held, trigger):
        assert rule_api.post("/api/v1/automation/rules", json=body).status_code == 201
    return wallet
