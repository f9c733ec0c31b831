"""No 500 for bad input on any route (L1–L3): a crawl of the app's URL map, so new routes are covered.

Every rule of the app with every plugin enabled is requested with impossible ids in each URL
argument (past 32 and 64 bits, negative, not a number), as an admin with a token (API) and as a
superadmin with a console session; then with NUL bytes and garbage in query strings, JSON bodies
and forms. Any 5xx or exception fails, naming the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from gongdan.plugins import get_host

IMPOSSIBLE_IDS = (str(2**31), str(2**63), str(2**64), "-1", "1x")
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
GARBAGE = {"\x00": "\x00", "x": "x" * 5000, "id": str(2**64), "neg": "-1", "junk": "\x00' \"<>&;--"}
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


def _requests(app: Any, values: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(method, path) for every rule and method, with each of `values` in each URL argument."""
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint.endswith("static"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for value in values:
                yield method, ARGUMENT.sub(value, rule.rule)


def _failures(send: Any, requests: Iterator[tuple[str, str]]) -> list[str]:
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


def _split(app: Any, requests: Iterator[tuple[str, str]], api: bool) -> Iterator[tuple[str, str]]:
    return ((m, p) for m, p in requests if p.startswith("/api/") == api)


@pytest.mark.usefixtures("everything_on")
def test_impossible_ids_in_any_url_are_not_found_never_a_server_error(app, make_user, console, tenant):
    _, admin = make_user("admin")
    boss, _ = make_user("superadmin")
    signed = console(boss)
    failures = _failures(_api_sender(admin, {}), _split(app, _requests(app, IMPOSSIBLE_IDS), api=True))
    failures += _failures(_console_sender(signed, {}), _split(app, _requests(app, IMPOSSIBLE_IDS), api=False))
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
    plain = (str(ticket.id), "acme")
    query = "?" + _garbage_query()
    api_requests = [(m, p + query) for m, p in _split(app, _requests(app, plain[:1]), api=True)]
    api_requests += [(m, r.rule + query) for r in app.url_map.iter_rules() if r.rule.startswith("/api/") and not r.arguments for m in sorted((r.methods or set()) - {"HEAD", "OPTIONS"})]
    failures = _failures(_api_sender(admin, fields), iter(api_requests))
    console_rules = [r for r in app.url_map.iter_rules() if not r.rule.startswith("/api/") and not r.endpoint.endswith("static")]
    console_requests = [
        (m, ARGUMENT.sub(str(ticket.id), r.rule)) for r in console_rules for m in sorted((r.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    failures += _failures(_console_sender(signed, fields), iter(console_requests))
    failures += _failures(_console_sender(signed, {}), iter((m, p + query) for m, p in console_requests if m == "GET"))
    assert not failures, "\n".join(failures)
