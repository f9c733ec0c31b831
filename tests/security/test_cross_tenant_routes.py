"""Crossing tenants on every route that names an object (issue 3's trial, run over today's URL map).

Every rule of the app with every plugin enabled that takes an id is requested by an admin of
`tenant` with the id of an object of the *other* tenant (`their` in conftest.py). The API must
answer the contract's 404 exactly as for a missing object; the console must not show the object
(no page holding its words); and none of the other tenant's rows may change. A new route whose
argument this file does not know fails `test_every_route_argument_is_known`, so it gets probed.
"""

from __future__ import annotations

import re
from typing import Any

import peewee

from gongdan.schema import all_models

from .conftest import MARK

ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

# (rule prefix, argument) -> key of `their` (the longest matching prefix wins)
OBJECTS = {
    ("/api/v1/tickets/", "ticket_id"): "ticket_id",
    ("/api/v1/pdd/tickets/", "ticket_id"): "ticket_id",
    ("/api/v1/attachments/", "attachment_id"): "attachment_id",
    ("/api/v1/customers/", "customer_id"): "customer_id",
    ("/api/v1/merges/", "merge_id"): "merge_id",
    ("/api/v1/views/", "view_id"): "view_id",
    ("/api/v1/agents/", "agent_id"): "agent_id",
    ("/api/v1/automation/rules/", "rule_id"): "rule_id",
    ("/api/v1/automation/macros/", "macro_id"): "macro_id",
    ("/api/v1/automation/approvals/", "approval_id"): "approval_id",
    ("/api/v1/automation/webhooks/", "subscription_id"): "webhook_id",
    ("/api/v1/automation/webhooks/deliveries/", "delivery_id"): "delivery_id",
    ("/api/v1/email/mailboxes/", "mailbox_id"): "mailbox_id",
    ("/api/v1/kb/", "article_id"): "article_id",
    ("/api/v1/notifications/", "notification_id"): "notification_id",
    ("/api/v1/pdd/shops/", "shop_id"): "shop_id",
    ("/api/v1/pdd/quarantine/", "entry_id"): "pdd_entry_id",
    ("/api/v1/reports/subscriptions/", "subscription_id"): "report_subscription_id",
    ("/console/tickets/", "ticket_id"): "ticket_id",
    ("/console/tickets/", "attachment_id"): "attachment_id",
    ("/console/tickets/", "delivery_id"): None,  # a core delivery: crossing shows at the ticket already
    ("/console/tickets/merges/", "merge_id"): "merge_id",
    ("/console/tickets/views/", "view_id"): "view_id",
    ("/console/pdd-actions/", "ticket_id"): "ticket_id",
    ("/console/customers/reveal/", "customer_id"): "customer_id",
    ("/console/analytics/schedules/", "subscription_id"): "report_subscription_id",
    ("/console/assignment_availability/", "agent_id"): "agent_id",
    ("/console/automation/approvals/", "approval_id"): "approval_id",
    ("/console/automation/macros/", "macro_id"): "macro_id",
    ("/console/automation/rules/", "rule_id"): "rule_id",
    ("/console/automation/webhooks/", "subscription_id"): "webhook_id",
    ("/console/automation/webhooks/deliveries/", "delivery_id"): "delivery_id",
    ("/console/categories/", "category_id"): "category_id",
    ("/console/email-mailboxes/", "mailbox_id"): "mailbox_id",
    ("/console/email-messages/", "message_id"): "message_id",
    ("/console/email-quarantine/", "entry_id"): "mail_entry_id",
    ("/console/inbox/", "item_id"): "item_id",
    ("/console/knowledge/", "article_id"): "article_id",
    ("/console/pdd-quarantine/", "entry_id"): "pdd_entry_id",
    ("/console/pdd-shops/", "shop_id"): "shop_id",
    ("/console/tokens/", "token_id"): "token_id",
}
# arguments that name no object of a tenant (a version number, a file, an action's name, ...)
NOT_AN_OBJECT = {
    "number",
    "index",
    "name",
    "action_name",
    "kind",
    "plugin_name",
    "export_type",
    "filename",
    "slug",
    "token",
}
# a valid body per route, so a crossing is not hidden behind a 422 for the body
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/api/v1/agents/<int:agent_id>/availability"): {"status": "offline"},
    ("PUT", "/api/v1/agents/<int:agent_id>/skills"): {"skills": {}},
    ("POST", "/api/v1/pdd/tickets/<ticket_id>/agree-return"): {"address_id": 1},
    ("POST", "/api/v1/tickets/<int:ticket_id>/comments"): {"body": "偷看"},
    ("POST", "/api/v1/tickets/<int:ticket_id>/merge"): {"into_id": "{mine}"},
    ("POST", "/api/v1/tickets/<int:ticket_id>/transitions"): {"to": "resolved"},
    ("PUT", "/api/v1/customers/<int:customer_id>/notes"): {"notes": "偷改"},
    ("PATCH", "/api/v1/automation/rules/<rule_id>"): {"active": False},
    ("POST", "/api/v1/automation/rules/<rule_id>/dry-run"): {"ticket_id": "{ticket_id}"},
    ("PATCH", "/api/v1/automation/macros/<macro_id>"): {"name": "改了"},
    ("POST", "/api/v1/automation/macros/<macro_id>/apply"): {"ticket_id": "{ticket_id}"},
    ("PATCH", "/api/v1/automation/webhooks/<subscription_id>"): {"active": False},
    ("PATCH", "/api/v1/email/mailboxes/<mailbox_id>"): {"active": False},
    ("PATCH", "/api/v1/kb/articles/<article_id>"): {"title": "改了"},
    ("POST", "/api/v1/kb/articles/<article_id>/votes"): {"helpful": False},
    ("POST", "/api/v1/kb/public/articles/<article_id>/votes"): {"helpful": False},
    ("POST", "/api/v1/pdd/shops/<shop_id>/sync"): {"since": "1d"},
    ("POST", "/api/v1/pdd/tickets/<ticket_id>/order-note"): {"note": "改了"},
    ("PUT", "/api/v1/reports/subscriptions/<subscription_id>"): {"name": "改了", "recipients": ["a@acme.example"]},
    ("POST", "/api/v1/tickets/<ticket_id>/kb-replies"): {"article_id": "{article_id}"},
}


# a query string per route (the public knowledge routes name the tenant by its slug: ours)
QUERIES = {
    "/api/v1/kb/public/articles/<article_id>": "?tenant=acme",
    "/api/v1/kb/public/articles/<article_id>/votes": "?tenant=acme",
}


def _app_rules(app: Any) -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if ARGUMENT.search(rule.rule) and rule.rule.startswith(("/api/", "/console/"))
    )


def _writes_first(app: Any) -> list[tuple[str, str]]:
    """The rules with an argument, every write before the reads (rows are compared after each
    write, and once after all the reads)."""
    return sorted(_app_rules(app), key=lambda pair: pair[0] == "GET")


def _object_key(rule: str, argument: str) -> str | None:
    """The key of `their` naming `argument` in `rule`; KeyError when this file does not know it."""
    matches = [(len(p), key) for (p, arg), key in OBJECTS.items() if arg == argument and rule.startswith(p)]
    if not matches:
        raise KeyError(argument)
    return max(matches)[1]


def _path(rule: str, their: dict[str, Any]) -> str | None:
    """The rule with the other tenant's objects in it; None when it names none of them."""
    crossing = False

    def fill(found: re.Match) -> str:
        nonlocal crossing
        argument = found.group(1)
        if argument in NOT_AN_OBJECT:
            return {
                "number": "1",
                "index": "0",
                "name": "set_priority",
                "action_name": "set_priority",
                "kind": "trigger",
            }.get(argument, "x")
        key = _object_key(rule, argument)
        if key is None or their.get(key) is None:
            return "0"
        crossing = True
        return str(their[key])

    path = ARGUMENT.sub(fill, rule)
    return path if crossing else None


def _snapshot(tenant: Any) -> dict[str, list[tuple]]:
    """Every row the tenant owns, table by table (what a crossing request must leave as it was)."""
    from gongdan.plugins import get_host

    rows = {}
    for model in all_models(get_host()):
        field = model._meta.fields.get("tenant")
        if field is None or model._meta.table_name == "audit_log":
            continue
        order = model._meta.primary_key if not isinstance(model._meta.primary_key, peewee.CompositeKey) else None
        query = model.select().where(field == tenant.id).tuples()
        rows[model._meta.table_name] = sorted(repr(_plain(row)) for row in (query.order_by(order) if order else query))
    return rows


def _plain(row: tuple) -> tuple:
    """The row with PostgreSQL's memoryviews as bytes (their repr is an address)."""
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)


def _changed(before: dict[str, list], after: dict[str, list]) -> list[str]:
    return [table for table in before if before[table] != after.get(table)]


def test_every_route_argument_is_known(app: Any, every_plugin: list[str]) -> None:
    unknown = []
    for method, rule in _app_rules(app):
        for argument in ARGUMENT.findall(rule):
            if argument in NOT_AN_OBJECT:
                continue
            try:
                _object_key(rule, argument)
            except KeyError:
                unknown.append(f"{method} {rule}: <{argument}>")
    assert not unknown, "routes whose object this file cannot aim at another tenant's:\n" + "\n".join(unknown)


def _body(method: str, rule: str, their: dict[str, Any]) -> dict[str, Any] | None:
    if method == "GET":
        return None
    body = BODIES.get((method, rule), {})
    return {k: (int(their[v[1:-1]]) if isinstance(v, str) and v.startswith("{") else v) for k, v in body.items()}


def test_api_routes_answer_404_for_another_tenants_objects(
    app: Any, tenant: Any, other_tenant: Any, their: dict[str, Any], make_user: Any
) -> None:
    _, mine = make_user("admin")
    their = {**their, "mine": mine.post("/api/v1/tickets", json={"subject": "我的工单"}).get_json()["id"]}
    before = _snapshot(other_tenant)
    failures = []
    probed = 0
    for method, rule in _writes_first(app):
        path = _path(rule, their) if rule.startswith("/api/") else None
        if path is None:
            continue
        probed += 1
        path += QUERIES.get(rule, "")
        answer = getattr(mine, method.lower())(path, json=_body(method, rule, their))
        text = answer.get_data(as_text=True)
        if answer.status_code != 404 or MARK in text:
            failures.append(f"{method} {path} -> {answer.status_code} {text[:200]}")
        if method == "GET":
            continue  # reads are checked together, at the end
        after = _snapshot(other_tenant)
        if changed := _changed(before, after):
            failures.append(f"{method} {path} changed the other tenant's {changed}")
            before = after
    if changed := _changed(before, _snapshot(other_tenant)):
        failures.append(f"a GET route changed the other tenant's {changed}")
    assert probed > 60
    assert not failures, "\n".join(failures)


def test_console_routes_show_and_change_nothing_of_another_tenant(
    app: Any, tenant: Any, other_tenant: Any, their: dict[str, Any], console_client: Any
) -> None:
    mine = console_client("admin")
    before = _snapshot(other_tenant)
    failures = []
    probed = 0
    for method, rule in _writes_first(app):
        path = _path(rule, their) if rule.startswith("/console/") else None
        if path is None:
            continue
        probed += 1
        form = {k: str(v) for k, v in (_body(method, rule, their) or {}).items()}
        answer = mine.get(path) if method == "GET" else mine.post(path, form)
        text = answer.get_data(as_text=True)
        if answer.status_code >= 500 or (answer.status_code == 200 and MARK in text):
            failures.append(f"{method} {path} -> {answer.status_code} shows {MARK!r}")
        followed = mine.get(answer.headers["Location"]) if answer.status_code in (302, 303) else None
        if followed is not None and MARK in followed.get_data(as_text=True):
            failures.append(f"{method} {path} -> {answer.headers['Location']} shows {MARK!r}")
        if method == "GET":
            continue  # reads are checked together, at the end
        after = _snapshot(other_tenant)
        if changed := _changed(before, after):
            failures.append(f"{method} {path} changed the other tenant's {changed}")
            before = after
    if changed := _changed(before, _snapshot(other_tenant)):
        failures.append(f"a GET route changed the other tenant's {changed}")
    assert probed > 40
    assert not failures, "\n".join(failures)


# the objects that belong to one ticket: an agent who may not see the ticket may not reach them
TICKET_BOUND = {"ticket_id", "attachment_id", "comment_id", "merge_id", "approval_id", "message_id"}


def _team_scoped(tenant: Any, their: dict[str, Any], make_user: Any) -> Any:
    """An agent of `tenant` (the other tenant) with team visibility on, in a team that is not the
    team of `their` ticket, which is assigned to nobody: the agent may not see it."""
    from gongdan.models import Team, Tenant, Ticket, User

    Tenant.update(team_visibility=True).where(Tenant.id == tenant.id).execute()
    theirs, ours = Team.create(tenant=tenant, name="售后"), Team.create(tenant=tenant, name="售前")
    Ticket.update(team=theirs, assignee=None).where(Ticket.tenant == tenant).execute()
    agent, api = make_user("agent", in_tenant=tenant)
    User.update(team=ours).where(User.id == agent.id).execute()
    return agent, api


def _ticket_bound_path(rule: str, their: dict[str, Any]) -> str | None:
    arguments = set(ARGUMENT.findall(rule)) - NOT_AN_OBJECT
    if not arguments or not arguments <= TICKET_BOUND:
        return None
    return _path(rule, their)


def test_an_agent_reaches_no_ticket_of_another_team_by_api(
    app: Any, other_tenant: Any, their: dict[str, Any], make_user: Any
) -> None:
    agent, api = _team_scoped(other_tenant, their, make_user)
    from gongdan.models import Ticket

    mine = api.post("/api/v1/tickets", json={"subject": "我的工单"}).get_json()["id"]
    Ticket.update(assignee=agent.id, team=None).where(Ticket.id == mine).execute()
    their = {**their, "mine": mine}
    before = _snapshot(other_tenant)
    failures, probed = [], 0
    for method, rule in _writes_first(app):
        path = _ticket_bound_path(rule, their) if rule.startswith("/api/") else None
        if path is None:
            continue
        probed += 1
        answer = getattr(api, method.lower())(path, json=_body(method, rule, their))
        if answer.status_code not in (403, 404) or MARK in answer.get_data(as_text=True):
            failures.append(f"{method} {path} -> {answer.status_code} {answer.get_data(as_text=True)[:200]}")
        if method == "GET":
            continue  # reads are checked together, at the end
        after = _snapshot(other_tenant)
        if changed := _changed(before, after):
            failures.append(f"{method} {path} changed {changed}")
            before = after
    if changed := _changed(before, _snapshot(other_tenant)):
        failures.append(f"a GET route changed the other tenant's {changed}")
    assert probed > 25
    assert not failures, "\n".join(failures)


def test_an_agent_reaches_no_ticket_of_another_team_in_the_console(
    app: Any, other_tenant: Any, their: dict[str, Any], make_user: Any
) -> None:
    from gongdan.testing import ConsoleClient

    agent, _ = _team_scoped(other_tenant, their, make_user)
    console = ConsoleClient(app, agent)
    before = _snapshot(other_tenant)
    failures, probed = [], 0
    for method, rule in _writes_first(app):
        path = _ticket_bound_path(rule, their) if rule.startswith("/console/") else None
        if path is None:
            continue
        probed += 1
        form = {k: str(v) for k, v in (_body(method, rule, their) or {}).items()}
        answer = console.get(path) if method == "GET" else console.post(path, form)
        if answer.status_code >= 500 or (answer.status_code == 200 and MARK in answer.get_data(as_text=True)):
            failures.append(f"{method} {path} -> {answer.status_code} shows {MARK!r}")
        if method == "GET":
            continue  # reads are checked together, at the end
        after = _snapshot(other_tenant)
        if changed := _changed(before, after):
            failures.append(f"{method} {path} changed {changed}")
            before = after
    if changed := _changed(before, _snapshot(other_tenant)):
        failures.append(f"a GET route changed the other tenant's {changed}")
    assert probed > 10
    assert not failures, "\n".join(failures)


def test_no_console_or_portal_form_is_taken_without_its_csrf_token(
    app: Any, tenant: Any, other_tenant: Any, their: dict[str, Any], make_user: Any
) -> None:
    from gongdan.testing import ConsoleClient

    admin, _ = make_user("admin", in_tenant=other_tenant)
    console = ConsoleClient(app, admin)
    before = _snapshot(other_tenant)
    accepted = []
    prefixes = ("/console", "/portal")
    forms = sorted(r.rule for r in app.url_map.iter_rules() if "POST" in r.methods and r.rule.startswith(prefixes))
    for rule in forms:
        path = ARGUMENT.sub(
            lambda m, rule=rule: str(their.get(_object_key_or_none(rule, m.group(1))) or "globex"), rule
        )
        answer = console.client.post(path, data={"csrf_token": "forged", "active": "1", "name": "x"})
        if answer.status_code < 400 and "/login" not in answer.headers.get("Location", ""):
            accepted.append(f"POST {path} -> {answer.status_code}")
    assert len(forms) > 60
    assert not accepted, "\n".join(accepted)
    assert console.post("/console/inbox/read").status_code == 302  # the same form with its token is taken
    assert not _changed(before, _snapshot(other_tenant))


def _object_key_or_none(rule: str, argument: str) -> str | None:
    if argument == "slug":
        return None
    try:
        return _object_key(rule, argument)
    except KeyError:
        return None


PUBLIC_API = ("/api/v1/health", "/api/v1/openapi.json", "/api/v1/kb/public/")


def test_a_revoked_token_and_a_deactivated_users_token_open_no_api_route(
    app: Any, tenant: Any, every_plugin: list[str], make_user: Any
) -> None:
    from gongdan import accounts
    from gongdan.models import ApiToken, User

    revoked_user, revoked = make_user("admin")
    accounts.revoke_token(ApiToken.get(ApiToken.user == revoked_user.id))
    gone_user, gone = make_user("admin")
    User.update(is_active=False).where(User.id == gone_user.id).execute()
    opened = []
    rules = [(m, r) for m, r in _app_rules(app) if r.startswith("/api/")]
    rules += sorted(
        (m, r.rule)
        for r in app.url_map.iter_rules()
        for m in r.methods - {"HEAD", "OPTIONS"}
        if r.rule.startswith("/api/") and not ARGUMENT.search(r.rule)
    )
    for method, rule in rules:
        if rule.startswith(PUBLIC_API):
            continue
        path = ARGUMENT.sub("1", rule)
        for who, api in (("revoked", revoked), ("deactivated", gone)):
            answer = getattr(api, method.lower())(path, json={})
            if answer.status_code != 401:
                opened.append(f"{who}: {method} {path} -> {answer.status_code}")
    assert len(rules) > 140
    assert not opened, "\n".join(opened)
