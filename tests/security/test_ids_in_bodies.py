"""Another tenant's ids inside request bodies and filters: a route of our own object that takes a
second id (a ticket to apply a macro to, an article to insert, a team to route to, an order of
ids) must refuse theirs as unknown and change nothing of theirs."""

from __future__ import annotations

from typing import Any

from gongdan.models import Team

from .conftest import MARK
from .test_cross_tenant_routes import _changed, _snapshot

MAILBOX = {
    "address": "support@acme.example",
    "imap_host": "127.0.0.1",
    "imap_port": 1143,
    "imap_security": "none",
    "password": "imap-secret",
}


def _refused(answer: Any) -> bool:
    """A 404, 409 or 422: the id was treated as not there (never a 2xx, a 403 or a 5xx)."""
    return answer.status_code in (404, 409, 422) and MARK not in answer.get_data(as_text=True)


def test_their_ids_in_our_requests_are_unknown(
    tenant: Any, other_tenant: Any, their: dict[str, Any], make_user: Any
) -> None:
    me, api = make_user("admin")
    agent, _ = make_user("agent")
    their_team = Team.create(tenant=other_tenant, name=MARK)
    ticket = api.post("/api/v1/tickets", json={"subject": "我的工单"}).get_json()["id"]
    rule = api.post("/api/v1/automation/rules", json={"kind": "trigger", "name": "r", "event": "created"}).get_json()
    macro = api.post("/api/v1/automation/macros", json={"name": "m", "body_zh": "{{ticket.subject}}"}).get_json()
    before = _snapshot(other_tenant)
    theirs = their["ticket_id"]
    probes = [
        ("post", "/api/v1/automation/approvals", {"ticket_id": theirs, "action": "set_priority", "inputs": {}}),
        ("post", f"/api/v1/automation/rules/{rule['id']}/dry-run", {"ticket_id": theirs}),
        ("post", f"/api/v1/automation/macros/{macro['id']}/apply", {"ticket_id": theirs}),
        ("post", "/api/v1/automation/results", {"id": "pay-1", "ticket_id": theirs, "status": "paid"}),
        ("put", "/api/v1/automation/macros/order", {"ids": [their["macro_id"], macro["id"]]}),
        ("put", "/api/v1/automation/rules/order", {"kind": "trigger", "ids": [their["rule_id"], rule["id"]]}),
        (
            "post",
            "/api/v1/automation/rules",
            {"kind": "approval", "name": "a", "action": "set_priority", "approver_team": their_team.id},
        ),
        ("patch", f"/api/v1/automation/rules/{rule['id']}", {"approver_team": their_team.id}),
        ("post", f"/api/v1/tickets/{ticket}/kb-replies", {"article_id": their["article_id"]}),
        ("post", "/api/v1/kb/articles/from-comment", {"comment_id": their["comment_id"]}),
        ("post", f"/api/v1/tickets/{ticket}/merge", {"into_id": theirs}),
        ("patch", f"/api/v1/tickets/{ticket}", {"team": str(their_team.id)}),
        ("post", "/api/v1/tickets", {"subject": "团队", "team": str(their_team.id)}),
        (
            "put",
            f"/api/v1/agents/{agent.id}/availability",
            {"leave": {"from": "2026-12-01", "until": "2026-12-02", "replacement_id": their["agent_id"]}},
        ),
        ("post", "/api/v1/email/mailboxes", {**MAILBOX, "team": str(their_team.id)}),
    ]
    failures = []
    for method, path, body in probes:
        answer = getattr(api, method)(path, json=body)
        if not _refused(answer):
            failures.append(f"{method.upper()} {path} {body} -> {answer.status_code} {answer.get_data(as_text=True)}")
    listed = {
        f"/api/v1/automation/approvals?status=all&ticket_id={theirs}": "items",
        "/api/v1/automation/webhooks/deliveries?subscription_id={}".format(their["webhook_id"]): "items",
        "/api/v1/inbox": "items",
        "/api/v1/notifications": "items",
    }
    for path, key in listed.items():
        answer = api.get(path)
        if answer.status_code != 200 or answer.get_json()[key] or MARK in answer.get_data(as_text=True):
            failures.append(f"GET {path} -> {answer.status_code} {answer.get_data(as_text=True)[:300]}")
    api.post("/api/v1/inbox/read", json={"ids": [their["item_id"] or 1]})
    if changed := _changed(before, _snapshot(other_tenant)):
        failures.append(f"the other tenant's {changed} changed")
    assert me.tenant_id != other_tenant.id
    assert not failures, "\n".join(failures)
