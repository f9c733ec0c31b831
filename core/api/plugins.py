"""Plugin routes: what is installed, what the caller's tenant has enabled, and the toggles."""

from __future__ import annotations

from typing import Any

from gongdan.api.blueprint import api
from gongdan.api.common import api_route, current_tenant, current_user, has_role
from gongdan.api.schemas import PluginPutSchema, PluginSchema
from gongdan.plugins import PluginRecord, get_host
from gongdan.representation import iso

TAGS = ("plugins",)


def _plugin_dict(
    record: PluginRecord, with_settings: bool, running: dict[str, Any] | None = None, failures: Any = None
) -> dict[str, Any]:
    host, tenant = get_host(), current_tenant()
    data = record.as_dict()
    state = (running if running is not None else host.running(tenant)).get(record.name, {})
    data["enabled"] = state.get("enabled", False)
    data["running"] = state.get("running", False)
    data["has_settings"] = host.settings_schema(record.name) is not None
    if with_settings:
        failure = (failures if failures is not None else host.last_failures(tenant)).get(record.name)
        data["last_error"] = {**failure, "at": iso(failure["at"])} if failure else None
        if record.status == "loaded":
            data["settings"], data["secrets"] = host.shown_settings(tenant, record.name)
    return data


@api_route(api, "/plugins", ["GET"], response=PluginSchema(many=True), tags=TAGS)
def list_plugins() -> list[dict[str, Any]]:
    """Every discovered plugin (like `gongdan plugins list --json`) and whether it is enabled here.

    `enabled`: the plugin's toggle is on for the tenant (kept while it fails to load); `running`:
    it is on and loaded, so the core calls it. Admins also see `last_error` (the latest failure
    recorded for the plugin in the tenant or outside any tenant: hook, error, time; null when
    none) and each loaded plugin's settings; secrets are never shown, `secrets` tells which are set.
    """
    host, tenant = get_host(), current_tenant()
    admin = has_role(current_user(), "admin")
    running, failures = host.running(tenant), host.last_failures(tenant) if admin else {}
    return [_plugin_dict(record, admin, running, failures) for _, record in sorted(host.records.items())]


@api_route(api, "/plugins/<name>", ["PUT"], role="admin", body=PluginPutSchema, response=PluginSchema, tags=TAGS)
def put_plugin(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Enable or disable a plugin for the tenant and/or replace its settings (admins).

    Settings are validated by the plugin's own schema: 422 with the bad fields. A secret the
    body omits keeps its stored value; an empty string or null clears it.
    """
    host = get_host()
    host.set_enabled(
        current_tenant(), name, enabled=body.get("enabled"), settings=body.get("settings"), actor=current_user()
    )
    return _plugin_dict(host.record(name), with_settings=True)
