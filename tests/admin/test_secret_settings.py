"""Plugin secrets (finding M4): encrypted at rest, never returned, kept when omitted, audited redacted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from marshmallow import Schema, fields

from gongdan.contributions import PluginSpec
from gongdan.db import db
from gongdan.hookspecs import hookimpl
from gongdan.models import TicketEvent
from gongdan.plugins import get_host
from gongdan.schemas import Secret

API_KEY, NEW_KEY = "sk-live-0123456789", "sk-live-abcdefghij"


class VaultSettings(Schema):
    endpoint = fields.String(load_default="https://vault.example.com")
    api_key = Secret()
    signing_key = Secret()


class VaultPlugin:
    PLUGIN = PluginSpec(label="Vault", requires_core=">=0.1,<1")

    @hookimpl
    def gongdan_settings_schema(self) -> Any:
        return VaultSettings


@pytest.fixture
def vault(register_plugin, tenant):
    register_plugin(VaultPlugin(), "vault")
    get_host().always_on.discard("vault")
    return "vault"


def _listed(api: Any) -> dict[str, Any]:
    return next(p for p in api.get("/api/v1/plugins").get_json() if p["name"] == "vault")


def _stored() -> dict[str, Any]:
    (row,) = db.execute_sql("SELECT settings FROM tenant_plugin WHERE plugin = 'vault'").fetchall()
    return json.loads(row[0])


def test_secrets_are_encrypted_at_rest_and_never_returned(vault, admin_api, tenant):
    put = admin_api.put("/api/v1/plugins/vault", json={"enabled": True, "settings": {"api_key": API_KEY}})
    assert put.status_code == 200, put.get_json()
    for answer in (put.get_json(), _listed(admin_api)):
        assert API_KEY not in json.dumps(answer)
        assert "api_key" not in answer["settings"]
        assert answer["secrets"] == {"api_key": True, "signing_key": False}
    assert _stored()["api_key"].startswith("gd1:")
    assert API_KEY not in json.dumps(_stored())
    assert get_host().settings(tenant, "vault")["api_key"] == API_KEY  # what the plugin reads


def test_a_put_without_the_secret_keeps_it_and_empty_or_null_clears_it(vault, admin_api, tenant):
    admin_api.put("/api/v1/plugins/vault", json={"enabled": True, "settings": {"api_key": API_KEY, "signing_key": "k"}})
    listed = _listed(admin_api)
    again = admin_api.put("/api/v1/plugins/vault", json={"settings": listed["settings"] | {"endpoint": "https://x.cn"}})
    assert again.status_code == 200
    settings = get_host().settings(tenant, "vault")
    assert (settings["api_key"], settings["signing_key"], settings["endpoint"]) == (API_KEY, "k", "https://x.cn")
    admin_api.put("/api/v1/plugins/vault", json={"settings": {"api_key": "", "signing_key": None}})
    assert _listed(admin_api)["secrets"] == {"api_key": False, "signing_key": False}
    assert get_host().settings(tenant, "vault")["api_key"] == ""


def test_plugin_changed_carries_a_diff_with_secrets_redacted(vault, admin_api, tenant):
    admin_api.put("/api/v1/plugins/vault", json={"enabled": True, "settings": {"api_key": API_KEY}})
    admin_api.put("/api/v1/plugins/vault", json={"settings": {"api_key": NEW_KEY, "endpoint": "https://y.cn"}})
    events = list(TicketEvent.of(tenant).where(TicketEvent.kind == "plugin.changed").order_by(TicketEvent.id))
    first, second = (e.data["changes"] for e in events)
    assert first == {"api_key": [None, "[secret]"], "endpoint": [None, "https://vault.example.com"]}
    assert second == {
        "api_key": ["[secret]", "[secret, changed]"],
        "endpoint": ["https://vault.example.com", "https://y.cn"],
    }
    assert events[1].actor_id == admin_api.user.id
    text = json.dumps([e.data for e in events])
    assert API_KEY not in text
    assert NEW_KEY not in text


def test_the_console_form_shows_set_or_not_set_and_keeps_a_blank_secret(vault, console, make_user, tenant):
    admin, api = make_user("admin")
    api.put("/api/v1/plugins/vault", json={"enabled": True, "settings": {"api_key": API_KEY}})
    console = console(admin)
    page = console.text("/console/plugins/vault/settings")
    assert API_KEY not in page
    assert 'id="state-api_key"' in page
    assert 'id="clear-api_key"' in page  # set: it can be cleared
    assert 'id="clear-signing_key"' not in page  # not set
    form = {"endpoint": "https://z.cn", "api_key": "", "signing_key": ""}
    assert console.post("/console/plugins/vault/settings", form).status_code == 302
    assert get_host().settings(tenant, "vault")["api_key"] == API_KEY
    assert console.post("/console/plugins/vault/settings", form | {"api_key__clear": "on"}).status_code == 302
    assert get_host().settings(tenant, "vault")["api_key"] == ""
