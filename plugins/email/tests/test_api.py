"""`/api/v1/email/mailboxes`: validation with fields and reasons, write-only encrypted passwords,
the outbound guard, roles and tenant isolation. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from gongdan_email.models import Mailbox

from gongdan.db import db

BASE = "/api/v1/email/mailboxes"
GOOD = {
    "address": "support@acme.example",
    "imap_host": "127.0.0.1",
    "imap_port": 1143,
    "imap_security": "none",
    "password": "imap-secret-授权码",
    "smtp_host": "127.0.0.1",
    "smtp_port": 1025,
    "smtp_security": "none",
    "smtp_password": "smtp-secret",
}


@pytest.fixture
def api(email_on: Any, admin_api: Any) -> Any:
    """An admin's API client with the plugin on."""
    return admin_api


def test_create_read_update_delete(api: Any) -> None:
    created = api.post(BASE, json=GOOD)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert "password" not in body
    assert "smtp_password" not in body
    assert (body["password_set"], body["smtp_password_set"], body["username"]) == (True, True, "support@acme.example")
    assert body["status"]["backlog"] == 0
    listed = api.get(BASE).get_json()["items"]
    assert [m["address"] for m in listed] == ["support@acme.example"]
    changed = api.patch(f"{BASE}/{body['id']}", json={"imap_folder": "客服", "active": False})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["imap_folder"], changed.get_json()["active"]) == ("客服", False)
    row = Mailbox.get_by_id(body["id"])
    assert row.password == GOOD["password"]  # kept though the PATCH left it out
    assert api.delete(f"{BASE}/{body['id']}").status_code == 204
    assert api.get(f"{BASE}/{body['id']}").status_code == 404


def test_passwords_are_encrypted_at_rest(api: Any) -> None:
    api.post(BASE, json=GOOD)
    stored = db.execute_sql("SELECT password, smtp_password FROM mailbox").fetchone()
    assert GOOD["password"] not in stored[0]
    assert "smtp-secret" not in stored[1]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"address": "not an address"}, "address"),
        ({"imap_security": "tls"}, "imap_security"),
        ({"imap_port": 70000}, "imap_port"),
        ({"imap_host": "imap.example.com", "imap_security": "none"}, "imap_security"),
        ({"smtp_host": "smtp.example.com", "smtp_security": "none"}, "smtp_security"),
        ({"imap_host": ""}, "imap_host"),
        ({"surprise": 1}, "surprise"),
        ({"team": "nobody"}, "team"),
    ],
)
def test_bad_input_is_a_422_with_the_field(api: Any, change: dict, field: str) -> None:
    answer = api.post(BASE, json={**GOOD, **change})
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"]


def test_hosts_go_through_the_outbound_guard(email_on: Any, admin_api: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("GONGDAN_OUTBOUND_ALLOW")
    answer = admin_api.post(BASE, json={**GOOD, "imap_host": "10.1.2.3", "imap_security": "ssl", "smtp_host": ""})
    assert answer.status_code == 422
    assert "imap_host" in answer.get_json()["error"]["fields"]


def test_the_same_address_twice_is_refused(api: Any) -> None:
    api.post(BASE, json=GOOD)
    answer = api.post(BASE, json=GOOD)
    assert answer.status_code == 422
    assert "address" in answer.get_json()["error"]["fields"]


def test_only_admins_and_only_their_tenant(
    api: Any, agent_api: Any, make_user: Any, other_tenant: Any, enable_plugin: Any
) -> None:
    created = api.post(BASE, json=GOOD).get_json()
    assert agent_api.get(BASE).status_code == 403
    enable_plugin("email", other_tenant)
    _, stranger = make_user("admin", other_tenant)
    assert stranger.get(f"{BASE}/{created['id']}").status_code == 404
    assert stranger.patch(f"{BASE}/{created['id']}", json={"active": False}).status_code == 404
    assert stranger.get(BASE).get_json()["items"] == []


def test_the_routes_are_404_where_the_plugin_is_off(admin_api: Any) -> None:
    assert admin_api.get(BASE).status_code == 404
