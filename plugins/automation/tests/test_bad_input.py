"""Every automation API route refuses bad input with a 4xx naming the field and the reason — in
Chinese with `Accept-Language: zh-CN`, never a 500 and never a Python value."""

from __future__ import annotations

import re

import pytest

ZH = {"Accept-Language": "zh-CN"}
CJK = re.compile(r"[\u4e00-\u9fff]")

# (method, path, body, the field the answer must name, or None for a refusal without a field)
CASES = [
    ("post", "/api/v1/automation/rules", {"kind": "trigger"}, "name"),
    ("post", "/api/v1/automation/rules", {"kind": "nope", "name": "x"}, "kind"),
    ("post", "/api/v1/automation/rules", {"kind": "trigger", "name": "x", "event": "nope"}, "event"),
    ("post", "/api/v1/automation/rules", {"kind": "trigger", "name": "x", "conditions": "x"}, "conditions"),
    ("post", "/api/v1/automation/rules", {"kind": "trigger", "name": "x", "conditions": [1]}, "conditions.0"),
    (
        "post",
        "/api/v1/automation/rules",
        {"kind": "trigger", "name": "x", "conditions": [{"field": "nope", "op": "??", "value": 1}]},
        "conditions.0.field",
    ),
    (
        "post",
        "/api/v1/automation/rules",
        {"kind": "time", "name": "x", "conditions": [{"field": "hours_since_resolved", "op": "gte", "value": "abc"}]},
        "conditions.0.value",
    ),
    (
        "post",
        "/api/v1/automation/rules",
        {"kind": "trigger", "name": "x", "actions": [{"action": "set_priority", "inputs": {"priority": "x"}}]},
        "actions.0.inputs.priority",
    ),
    ("post", "/api/v1/automation/rules", {"kind": "trigger", "name": "x", "actions": ["x"]}, "actions.0"),
    (
        "post",
        "/api/v1/automation/rules",
        {"kind": "trigger", "name": "x", "actions": [{"action": "set_tags", "inputs": "x"}]},
        "actions.0.inputs",
    ),
    ("post", "/api/v1/automation/rules", {"kind": "approval", "name": "x", "action": "nope"}, "action"),
    ("post", "/api/v1/automation/rules", {"kind": "approval", "name": "x", "approver_role": "boss"}, "approver_role"),
    ("post", "/api/v1/automation/rules", {"kind": "approval", "name": "x", "approver_team": 999999}, "approver_team"),
    ("post", "/api/v1/automation/rules", {"kind": "trigger", "name": "x", "expires_hours": 0}, "expires_hours"),
    ("post", "/api/v1/automation/rules", {"kind": "trigger", "name": "x", "position": "top"}, "position"),
    ("post", "/api/v1/automation/rules", ["not", "an", "object"], None),
    ("patch", "/api/v1/automation/rules/{rule}", {"match": "some"}, "match"),
    ("patch", "/api/v1/automation/rules/{rule}", {"active": "perhaps"}, "active"),
    (
        "patch",
        "/api/v1/automation/rules/{rule}",
        {"conditions": [{"field": "status", "op": "between", "value": "a"}]},
        "conditions.0.value",
    ),
    ("put", "/api/v1/automation/rules/order", {"kind": "trigger", "ids": ["a"]}, "ids"),
    ("put", "/api/v1/automation/rules/order", {"kind": "trigger", "ids": [1, 1]}, "ids"),
    ("put", "/api/v1/automation/rules/order", {"kind": "x", "ids": [1]}, "kind"),
    ("put", "/api/v1/automation/macros/order", {"ids": "1,2"}, "ids"),
    ("post", "/api/v1/automation/rules/{rule}/dry-run", {}, "ticket_id"),
    ("post", "/api/v1/automation/rules/{rule}/dry-run", {"ticket_id": "seven"}, "ticket_id"),
    ("post", "/api/v1/automation/macros", {"name": ""}, "name"),
    ("post", "/api/v1/automation/macros", {"name": "x" * 201, "body_zh": "x"}, "name"),
    ("post", "/api/v1/automation/macros", {"name": "x"}, "body_zh"),
    ("post", "/api/v1/automation/macros", {"name": "x", "body_zh": 5}, "body_zh"),
    ("post", "/api/v1/automation/macros", {"name": "x", "actions": [{"action": "nope"}]}, "actions.0.action"),
    ("patch", "/api/v1/automation/macros/{macro}", {"shared": "maybe"}, "shared"),
    ("post", "/api/v1/automation/macros/{macro}/apply", {}, "ticket_id"),
    ("post", "/api/v1/automation/macros/{macro}/apply", {"ticket_id": "{ticket}", "language": "fr"}, "language"),
    ("get", "/api/v1/automation/approvals?status=maybe", None, "status"),
    ("get", "/api/v1/automation/approvals?ticket_id=abc", None, "ticket_id"),
    ("post", "/api/v1/automation/approvals", {"action": "set_priority"}, "ticket_id"),
    (
        "post",
        "/api/v1/automation/approvals",
        {"ticket_id": "{ticket}", "action": "set_priority", "inputs": {"priority": "asap"}},
        "priority",
    ),
    (
        "post",
        "/api/v1/automation/approvals",
        {"ticket_id": "{ticket}", "action": "set_priority", "inputs": {"priority": "high"}, "approver_role": "agent"},
        "approver_role",
    ),
    (
        "post",
        "/api/v1/automation/approvals",
        {"ticket_id": "{ticket}", "action": "set_priority", "inputs": {"priority": "high"}, "approver_team": 99999},
        "approver_team",
    ),
    ("post", "/api/v1/automation/approvals/{approval}/approve", {"reason": 5}, "reason"),
    ("post", "/api/v1/automation/approvals/{approval}/reject", {"reason": "x" * 1001}, "reason"),
    ("post", "/api/v1/automation/webhooks", {"url": ""}, "url"),
    ("post", "/api/v1/automation/webhooks", {"url": "ftp://example.com/x"}, "url"),
    ("post", "/api/v1/automation/webhooks", {"url": "http://127.0.0.1:9/x", "secret": "short"}, "secret"),
    ("post", "/api/v1/automation/webhooks", {"url": "http://127.0.0.1:9/x", "kinds": "created"}, "kinds"),
    ("patch", "/api/v1/automation/webhooks/{webhook}", {"active": "maybe"}, "active"),
    ("patch", "/api/v1/automation/webhooks/{webhook}", {"kinds": [""]}, "kinds"),
    ("get", "/api/v1/automation/webhooks/deliveries?state=lost", None, "state"),
    ("get", "/api/v1/automation/webhooks/deliveries?subscription_id=x", None, "subscription_id"),
    ("post", "/api/v1/automation/results", {"ticket_id": "{ticket}"}, "id"),
    ("post", "/api/v1/automation/results", {"id": "x", "ticket_id": "{ticket}", "status": ""}, "status"),
    ("post", "/api/v1/automation/results", {"id": "x" * 201, "ticket_id": "{ticket}", "status": "ok"}, "id"),
]
# the core's ticket actions, which automation runs (gongdan.actions)
CASES += [
    ("post", "/api/v1/tickets/{ticket}/actions/set_priority", {"priority": "asap"}, "priority"),
    ("post", "/api/v1/tickets/{ticket}/actions/set_priority", ["urgent"], None),
    ("post", "/api/v1/tickets/{ticket}/actions/set_assignee", {"assignee_id": "abc"}, "assignee_id"),
    ("post", "/api/v1/tickets/{ticket}/actions/set_tags", {"tags": "加急"}, "tags"),
    ("post", "/api/v1/tickets/{ticket}/actions/set_tags", {"tags": ["x" * 51]}, "tags"),
    ("post", "/api/v1/tickets/{ticket}/actions/link_followup", {}, "subject"),
    ("post", "/api/v1/tickets/{ticket}/actions/add_note", {"body": ""}, "body"),
]
NOT_FOUND = [
    ("get", "/api/v1/automation/rules/999999"),
    ("get", "/api/v1/automation/rules/abc"),
    ("patch", "/api/v1/automation/rules/999999"),
    ("delete", "/api/v1/automation/rules/999999"),
    ("post", "/api/v1/automation/rules/999999/dry-run", {"ticket_id": "{ticket}"}),
    ("get", "/api/v1/automation/rules/999999/runs"),
    ("patch", "/api/v1/automation/macros/999999"),
    ("post", "/api/v1/automation/macros/999999/apply", {"ticket_id": "{ticket}"}),
    ("post", "/api/v1/automation/macros/{macro}/apply", {"ticket_id": 999999}),
    ("post", "/api/v1/automation/rules/{rule}/dry-run", {"ticket_id": 999999}),
    ("post", "/api/v1/automation/results", {"id": "r-1", "ticket_id": 999999, "status": "退款已打款"}),
    ("post", "/api/v1/automation/approvals/999999/approve"),
    ("post", "/api/v1/automation/approvals/abc/reject"),
    ("patch", "/api/v1/automation/webhooks/999999"),
    ("post", "/api/v1/automation/webhooks/deliveries/999999/replay"),
    ("post", "/api/v1/tickets/{ticket}/actions/nope", {}),
    ("get", "/api/v1/tickets/999999/actions"),
    ("post", "/api/v1/tickets/abc/actions/set_status", {"status": "open"}),
]


@pytest.fixture
def ids(auto_tenant, rule_api, new_ticket, outbound_loopback):
    from gongdan_automation import approvals

    from gongdan.actors import Actor

    ticket = new_ticket()
    rule = rule_api.post("/api/v1/automation/rules", json={"kind": "trigger", "name": "r", "event": "created"})
    macro = rule_api.post("/api/v1/automation/macros", json={"name": "m", "body_zh": "您好", "shared": True})
    hook = rule_api.post("/api/v1/automation/webhooks", json={"url": "http://127.0.0.1:9/hook"})
    approval = approvals.request(auto_tenant, ticket, "set_priority", {"priority": "high"}, Actor.system())
    return {
        "ticket": ticket.id,
        "rule": rule.get_json()["id"],
        "macro": macro.get_json()["id"],
        "webhook": hook.get_json()["id"],
        "approval": approval.id,
    }


def _fill(value, ids):
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def test_every_route_names_the_bad_field_in_chinese(ids, rule_api):
    failures = []
    for method, path, body, field in CASES:
        url, payload = _fill(path, ids), _fill(body, ids)
        kwargs = {"headers": ZH} if payload is None else {"headers": ZH, "json": payload}
        response = getattr(rule_api, method)(url, **kwargs)
        error = (response.get_json() or {}).get("error", {})
        fields = error.get("fields") or {}
        reasons = [r for v in fields.values() for r in (v if isinstance(v, list) else [v])]
        why = f"{method.upper()} {url} {payload!r} -> {response.status_code} {error}"
        if not 400 <= response.status_code < 500:
            failures.append(why)
        elif field is not None and not any(name == field or name.startswith(f"{field}.") for name in fields):
            failures.append(f"no field {field}: {why}")
        elif not CJK.search(str(error.get("message", ""))) or not all(CJK.search(str(r)) for r in reasons):
            failures.append(f"not in Chinese: {why}")
    assert failures == []


def test_unknown_ids_are_404_in_chinese(ids, rule_api):
    failures = []
    for method, path, *body in NOT_FOUND:
        path = _fill(path, ids)
        response = getattr(rule_api, method)(path, headers=ZH, json=_fill(body[0], ids) if body else None)
        error = (response.get_json() or {}).get("error", {})
        if response.status_code != 404 or not CJK.search(str(error.get("message", ""))):
            failures.append(f"{method.upper()} {path} -> {response.status_code} {error}")
    assert failures == []


def test_every_automation_route_is_in_the_openapi_document(app, auto_tenant, rule_api):
    from gongdan_automation.api import bp

    document = rule_api.get("/api/v1/openapi.json").get_json()
    documented = {(path, method.upper()) for path, methods in document["paths"].items() for method in methods}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith(f"{bp.name}.")]
    assert len(rules) >= 20
    for rule in rules:
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
