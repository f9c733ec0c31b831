"""Every error the API answers, in the contract's envelope; never a 500 for bad input."""

from __future__ import annotations

import json
from dataclasses import replace

from gongdan import accounts
from gongdan.config import Settings
from gongdan.testing import ApiClient
from gongdan.web import create_app


def test_missing_invalid_and_revoked_tokens(client, tenant, expect_error):
    expect_error(client.get("/api/v1/tickets"), 401, "unauthorized")
    expect_error(client.get("/api/v1/tickets", headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    expect_error(client.get("/api/v1/tickets", headers={"Authorization": "Bearer gd_nope"}), 401, "unauthorized")
    user = accounts.create_user(tenant, "agent@acme.example.com", "agent")
    row, token = accounts.create_token(user)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    row = type(row).get_by_id(row.id)
    assert row.last_used_at is not None
    accounts.revoke_token(row)
    expect_error(client.get("/api/v1/users/me", headers=headers), 401, "unauthorized")


def test_health_and_openapi_need_no_token(client):
    assert client.get("/api/v1/health").get_json()["status"] == "ok"
    assert client.get("/api/v1/openapi.json").get_json()["openapi"].startswith("3.")


def test_deactivated_user_token_stops_working(client, make_user, expect_error):
    user, api = make_user("agent")
    user.is_active = False
    user.save()
    expect_error(api.get("/api/v1/tickets"), 401, "unauthorized")


def test_malformed_json_is_400_and_other_json_422(agent_api, expect_error):
    deep = b'{"subject": "s", "customer": ' + b"[" * 900 + b"]" * 900 + b"}"
    for payload in (b"{", b'{"subject": }', b"\xff\xfe", b"[" * 100_000, deep):
        response = agent_api.post("/api/v1/tickets", data=payload, content_type="application/json")
        expect_error(response, 400, "bad_request")
    for payload in ("[]", '"subject"', "42", "null"):
        response = agent_api.post("/api/v1/tickets", data=payload, content_type="application/json")
        expect_error(response, 422, "validation_error")


def test_unstorable_text_is_422(agent_api, expect_error):
    body = json.dumps({"subject": "a\u0000b"})
    error = expect_error(
        agent_api.post("/api/v1/tickets", data=body, content_type="application/json"), 422, "validation_error"
    )
    assert "subject" in error["fields"]
    lone = '{"subject": "a\\ud800b"}'
    expect_error(agent_api.post("/api/v1/tickets", data=lone, content_type="application/json"), 422, "validation_error")
    expect_error(agent_api.get("/api/v1/tickets?q=a%00b"), 422, "validation_error")


def test_unstorable_text_without_an_escape_is_422(agent_api, expect_error):
    """Bodies the quick check (`_plainly_storable`) must send the long way: a surrogate in raw
    UTF-8 bytes (json.loads decodes with surrogatepass), a NUL escape in UTF-16 text, and 65
    nested lists, which no escape shows."""
    for raw in (b'{"subject": "a\xed\xa0\x80b"}', '{"subject": "a\\u0000b"}'.encode("utf-16")):
        response = agent_api.post("/api/v1/tickets", data=raw, content_type="application/json")
        assert "subject" in expect_error(response, 422, "validation_error")["fields"]
    nested = b'{"subject": "s", "tags": ' + b"[" * 65 + b"]" * 65 + b"}"
    error = expect_error(
        agent_api.post("/api/v1/tickets", data=nested, content_type="application/json"), 400, "bad_request"
    )
    assert "64" in error["message"]


def test_unknown_routes_and_methods_are_json(agent_api, client, expect_error):
    expect_error(client.get("/api/v1/nowhere"), 404, "not_found")
    expect_error(agent_api.get("/api/v1/tickets/abc"), 404, "not_found")
    response = agent_api.delete("/api/v1/tickets")
    expect_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_oversized_body_is_413(gongdan_db, tenant, expect_error):
    app = create_app(replace(Settings.from_env(), max_body_bytes=1000))
    user = accounts.create_user(tenant, "big@acme.example.com", "agent")
    api = ApiClient(app.test_client(), accounts.create_token(user)[1], user)
    ok = api.post("/api/v1/tickets", json={"subject": "小", "description": "x" * 500})
    assert ok.status_code == 201
    expect_error(
        api.post("/api/v1/tickets", json={"subject": "大", "description": "x" * 2000}), 413, "payload_too_large"
    )


def test_rate_limit_per_token(gongdan_db, tenant, expect_error):
    app = create_app(replace(Settings.from_env(), rate_limit_per_minute=3))
    client = app.test_client()
    first = accounts.create_user(tenant, "one@acme.example.com", "agent")
    second = accounts.create_user(tenant, "two@acme.example.com", "agent")
    one = ApiClient(client, accounts.create_token(first)[1], first)
    two = ApiClient(client, accounts.create_token(second)[1], second)
    answers = [one.get("/api/v1/users/me") for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0"]
    limited = one.get("/api/v1/users/me")
    expect_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert two.get("/api/v1/users/me").status_code == 200  # another token has its own bucket
    assert client.get("/api/v1/health").status_code == 200  # no token, no limit


def test_zero_disables_the_limit(gongdan_db, tenant):
    app = create_app(replace(Settings.from_env(), rate_limit_per_minute=0))
    user = accounts.create_user(tenant, "free@acme.example.com", "agent")
    api = ApiClient(app.test_client(), accounts.create_token(user)[1], user)
    assert all(api.get("/api/v1/users/me").status_code == 200 for _ in range(5))
