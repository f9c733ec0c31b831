"""GET /api/v1/plugins says whether each plugin runs in the caller's tenant (its toggle on and
loaded) and, for admins, the latest failure recorded for it there (hook, error, time)."""

from __future__ import annotations

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.hookspecs import hookimpl
from gongdan.models import PluginFailure, TenantPlugin
from gongdan.plugins import PluginRecord, get_host


class Fragile:
    """Raises whenever a ticket is created where it is enabled."""

    @hookimpl
    def gongdan_ticket_created(self, tenant, ticket):
        raise RuntimeError(f"cannot reach the ERP for ticket {ticket.number}")


def _listed(api):
    answer = api.get("/api/v1/plugins")
    assert answer.status_code == 200
    return {p["name"]: p for p in answer.get_json()}


def test_a_plugin_that_raises_runs_and_shows_its_last_error_to_admins(
    tenant, other_tenant, register_plugin, enable_plugin, make_user
):
    register_plugin(Fragile(), "fragile", everywhere=False)
    _, admin = make_user("admin")
    _, agent = make_user("agent")
    _, foreign = make_user("admin", in_tenant=other_tenant)
    before = _listed(admin)["fragile"]
    assert (before["enabled"], before["running"], before["last_error"]) == (False, False, None)
    enable_plugin("fragile")
    ticket, _ = tickets.create(tenant, {"subject": "发票"}, Actor.system())
    row = _listed(admin)["fragile"]
    assert (row["enabled"], row["running"], row["status"]) == (True, True, "loaded")
    assert row["last_error"]["hook"] == "gongdan_ticket_created"
    assert row["last_error"]["error"] == f"RuntimeError: cannot reach the ERP for ticket {ticket.number}"
    assert row["last_error"]["at"].endswith("Z") or "+" in row["last_error"]["at"]
    assert "last_error" not in _listed(agent)["fragile"]  # errors are for admins
    assert _listed(foreign)["fragile"]["last_error"] is None  # another tenant's failure is not shown
    assert PluginFailure.select().count() == 1


def test_a_plugin_switched_on_that_did_not_load_is_enabled_not_running(tenant, make_user):
    host = get_host()
    host.records["brokenjd"] = PluginRecord(name="brokenjd", status="failed", reason="import failed: boom")
    try:
        TenantPlugin.create(tenant=tenant, plugin="brokenjd", enabled=True)
        PluginFailure.create(
            plugin="brokenjd", tenant=None, hook="brokenjd.sync", error="ImportError: boom", traceback=""
        )
        row = _listed(make_user("admin")[1])["brokenjd"]
        assert (row["enabled"], row["running"], row["status"], row["reason"]) == (
            True,
            False,
            "failed",
            "import failed: boom",
        )
        assert row["last_error"]["hook"] == "brokenjd.sync"
    finally:
        host.records.pop("brokenjd")
