"""No 500 for bad input on any route (L1–L3): a crawl of the app's URL map, so new routes are covered.

Every rule of the app with every plugin enabled is requested with impossible ids in each URL
argument (past 32 and 64 bits, negative, not a number), as an admin with a token (API) and as a
superadmin with a console session; then with NUL bytes and garbage in query strings, JSON bodies
and forms. Any 5xx or exception fails, naming the request.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from gongdan.plugins import get_host

IMPOSSIBLE_IDS = (str(2**31), str(2**63), str(2**64), "-1", "1x")
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
GARBAGE = {"id": str(2**64), "junk": "\x00' \"<>&;--"}
FIELD_NAMES = (
    "id",
    "ids",
    "tenant",
    "tenant_id",
    "assignee",
    "assignee_id",
    "shop",
    "page",
    "per_page",
    "q",
    "to",
    "value",
    "action",
    "body",
    "path",
    "name",
    "title",
    "status",
    "visibility",
    "email",
    "role",
    "team",
    "category",
    "user_id",
    "agent_id",
    "comment_id",
    "article_id",
    "number",
    "priority",
    "subject",
    "confirm",
    "address_id",
    "note",
)


@pytest.fixture
def everything_on(tenant: Any, enable_plugin: Any) -> None:
    """Every loaded plugin enabled in the tenant."""
    for name, record in get_host().records.items():
        if record.status == "loaded":
            enable_plugin(name)


def _requests(app: Any, values: tuple[str, ...], *, api: bool, plain: bool = False) -> list[tuple[str, str]]:
    """(method, path) of every API (or every other) rule and method, each of `values` in each URL argument;
    `plain=True` adds the rules without arguments."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static") or rule.rule.startswith("/api/") != api:
            continue
        if not rule.arguments and plain:
            found += [(method, rule.rule) for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
        elif rule.arguments:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found += [(method, ARGUMENT.sub(value, rule.rule)) for value in values]
    return found


def _failures(send: Any, requests: list[tuple[str, str]]) -> list[str]:
    failures = []
    for method, path in sorted(requests, key=lambda request: "logout" in request[1]):  # sign out last
        try:
            status = send(method, path).status_code
        except Exception as exc:  # an unhandled error is what this test looks for
            failures.append(f"{method} {path}: {type(exc).__name__}: {exc}"[:300])
            continue
        if status >= 500:
            failures.append(f"{method} {path}: {status}")
    return failures


def _api_sender(api: Any, body: Any) -> Any:
    def send(method: str, path: str) -> Any:
        kwargs = {} if method == "GET" else {"json": body}
        return api._call(method.lower(), path, **kwargs)

    return send


def _console_sender(console: Any, form: dict) -> Any:
    def send(method: str, path: str) -> Any:
        if method == "GET":
            return console.get(path)
        return console.post(path, dict(form)) if method == "POST" else console.client.open(path, method=method)

    return send


@pytest.mark.usefixtures("everything_on")
def test_impossible_ids_in_any_url_are_not_found_never_a_server_error(app, make_user, console, tenant):
    _, admin = make_user("admin")
    boss, _ = make_user("superadmin")
    signed = console(boss)
    failures = _failures(_api_sender(admin, {}), _requests(app, IMPOSSIBLE_IDS, api=True))
    failures += _failures(_console_sender(signed, {}), _requests(app, IMPOSSIBLE_IDS, api=False))
    assert not failures, "\n".join(failures)
    assert admin.get(f"/api/v1/tickets/{2**63}").status_code == 404
    assert admin.client.get(f"/api/v1/kb/public/articles/{2**64}?tenant=acme").status_code == 404
    assert signed.get(f"/console/tickets/{2**63}").status_code == 404


def _garbage_query() -> str:
    from urllib.parse import urlencode

    return urlencode({name: GARBAGE["junk"] if i % 2 else GARBAGE["id"] for i, name in enumerate(FIELD_NAMES)})


@pytest.mark.usefixtures("everything_on")
@pytest.mark.parametrize("value", ["\x00", str(2**64), "-1", "x" * 5000])
def test_garbage_in_queries_bodies_and_forms_of_every_route_is_refused_never_a_server_error(
    app, make_user, console, tenant, value
):
    from gongdan import tickets
    from gongdan.actors import Actor

    ticket, _ = tickets.create(tenant, {"subject": "探针", "channel": "web"}, Actor.system("test"))
    _, admin = make_user("admin")
    boss, _ = make_user("superadmin")
    signed = console(boss)
    fields = dict.fromkeys(FIELD_NAMES, value)
    fields["ids"] = [value, str(ticket.id)]
    query = "?" + _garbage_query()
    ours = (str(ticket.id),)
    api_requests = [(m, p + query) for m, p in _requests(app, ours, api=True, plain=True)]
    failures = _failures(_api_sender(admin, fields), api_requests)
    console_requests = _requests(app, ours, api=False, plain=True)
    failures += _failures(_console_sender(signed, fields), console_requests)
    failures += _failures(_console_sender(signed, {}), [(m, p + query) for m, p in console_requests if m == "GET"])
    assert not failures, "\n".join(failures)


HUGE = 2**64


@pytest.mark.usefixtures("everything_on")
def test_impossible_ids_in_json_bodies_and_queries_are_validation_errors(make_user, tenant):
    from gongdan import tickets
    from gongdan.actors import Actor

    ticket, _ = tickets.create(tenant, {"subject": "探针", "channel": "web"}, Actor.system("test"))
    _, admin = make_user("admin")
    probes = [
        ("post", f"/api/v1/tickets/{ticket.id}/assign", {"assignee_id": HUGE}, "assignee_id"),
        ("post", f"/api/v1/tickets/{ticket.id}/comments", {"body": "好", "mentions": [HUGE]}, "mentions.0"),
        ("post", "/api/v1/kb/articles/from-comment", {"comment_id": HUGE}, "comment_id"),
        ("post", "/api/v1/notifications/read", {"ids": [-1]}, "ids.0"),
    ]
    for method, path, body, field in probes:
        response = getattr(admin, method)(path, json=body)
        assert response.status_code == 422, (path, response.get_data(as_text=True))
        assert field in response.get_json()["error"]["fields"], (path, response.get_json())
    response = admin.get(f"/api/v1/pdd/quarantine?shop={HUGE}")
    assert response.status_code == 422
    assert "shop" in response.get_json()["error"]["fields"]


def test_nul_in_a_console_form_is_refused_with_a_message_on_both_databases(signed_in, tenant):
    from gongdan import tickets
    from gongdan.actors import Actor
    from gongdan.models import Comment

    ticket, _ = tickets.create(tenant, {"subject": "探针", "channel": "web"}, Actor.system("test"))
    _, agent = signed_in("agent")
    response = agent.post(f"/console/tickets/{ticket.id}/comment", {"body": "退款\x00已到账"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "“body”" in page
    assert "NUL" in page
    assert Comment.select().where(Comment.ticket == ticket.id).count() == 0


def test_a_new_article_with_a_bad_visibility_is_a_validation_message(signed_in, enable_plugin):
    from gongdan_knowledge.models import Article

    enable_plugin("knowledge")
    _, supervisor = signed_in("supervisor")
    form = {"title": "退货政策", "body": "七天无理由", "visibility": "everyone"}
    response = supervisor.post("/console/knowledge/new", form, follow_redirects=True)
    assert response.status_code == 200
    assert "visibility" in response.get_data(as_text=True)
    assert Article.select().count() == 0


def test_the_pinduoduo_actions_index_is_no_server_error(signed_in, enable_plugin):
    enable_plugin("pdd_connector")
    _, agent = signed_in("agent")
    response = agent.get("/console/pdd-actions/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/tickets/")
