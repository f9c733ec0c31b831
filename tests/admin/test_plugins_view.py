"""The plugin manager: list, per-tenant toggle, generated settings form, history; plugin views."""

from __future__ import annotations

from typing import Any

import pytest

from gongdan.contributions import ConsoleView
from gongdan.hookspecs import hookimpl
from gongdan.models import TenantPlugin
from gongdan.plugins import PluginRecord, get_host

from .fake_plugin import NAME, WidgetPlugin, WidgetView


@pytest.fixture
def widget(register_plugin):
    """The widget plugin, installed (its toggle decides where it is enabled)."""
    register_plugin(WidgetPlugin(), NAME)
    get_host().always_on.discard(NAME)
    return NAME


@pytest.fixture
def broken():
    """A discovered plugin that failed to import."""
    host = get_host()
    host.records["broken"] = PluginRecord(
        name="broken",
        version="0.3",
        distribution="gongdan-broken",
        status="failed",
        reason="import failed: ModuleNotFoundError: no module 'x'",
    )
    yield "broken"
    host.records.pop("broken", None)


def test_every_discovered_plugin_is_listed_with_version_status_and_reason(widget, signed_in, broken, tenant):
    _, admin = signed_in("admin")
    page = admin.text("/console/plugins/")
    for name, record in get_host().records.items():
        assert f'id="plugin-{name}"' in page, name
        if record.version:
            assert record.version in page
    assert "gongdan-broken" in page
    assert "no module &#39;x&#39;" in page or "no module 'x'" in page
    assert "Widget" in page
    _, admin = signed_in("admin")
    admin.post("/console/plugins/broken/toggle", {"enabled": "1"})
    assert "plugin is failed" in admin.text("/console/plugins/")
    assert not get_host().is_enabled(tenant, "broken")


def test_the_toggle_enables_a_plugin_for_this_tenant_only(widget, signed_in, tenant, other_tenant, admin_api):
    admin_user, admin = signed_in("admin")
    assert admin.post(f"/console/plugins/{widget}/toggle", {"enabled": "1"}).status_code == 302
    host = get_host()
    assert host.is_enabled(tenant, widget)
    assert not host.is_enabled(other_tenant, widget)
    listed = {p["name"]: p for p in admin_api.get("/api/v1/plugins").get_json()}
    assert listed[widget]["enabled"] is True
    row = TenantPlugin.get(tenant=tenant, plugin=widget)
    assert row.updated_by_id == admin_user.id
    assert admin.post(f"/console/plugins/{widget}/toggle", {"enabled": "0"}).status_code == 302
    assert not host.is_enabled(tenant, widget)
    history = admin.text(f"/console/plugins/{widget}/settings")
    assert history.count(admin_user.display_name) >= 2
    assert "disabled" in history
    assert "enabled" in history


def test_the_settings_form_follows_the_schema_and_shows_messages_beside_fields(widget, signed_in, tenant):
    _, admin = signed_in("admin")
    response = admin.post(
        f"/console/plugins/{widget}/settings", {"greeting": "", "max_items": "lots", "mode": "simple", "words": "a"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="error-max_items"' in page
    assert "Not a valid integer." in page
    assert TenantPlugin.get_or_none(tenant=tenant, plugin=widget) is None
    assert get_host().settings(tenant, widget)["max_items"] == 5
    _, admin = signed_in("admin")
    page = admin.text(f"/console/plugins/{widget}/settings")
    assert 'name="greeting"' in page
    assert 'value="你好"' in page
    assert '<select name="mode"' in page
    assert '<option value="fancy"' in page
    assert 'type="checkbox" class="form-check-input" name="loud"' in page
    assert 'name="words"' in page


def test_good_settings_are_saved_through_the_schema(widget, signed_in, tenant):
    admin_user, admin = signed_in("admin")
    response = admin.post(
        f"/console/plugins/{widget}/settings",
        {"greeting": "您好", "max_items": "12", "mode": "fancy", "loud": "y", "words": "退货, 换货"},
    )
    assert response.status_code == 302
    settings = get_host().settings(tenant, widget)
    assert settings == {"greeting": "您好", "max_items": 12, "mode": "fancy", "loud": True, "words": ["退货", "换货"]}
    assert TenantPlugin.get(tenant=tenant, plugin=widget).updated_by_id == admin_user.id
    assert "changed the settings" in admin.text(f"/console/plugins/{widget}/settings")


def test_a_plugin_view_answers_only_where_the_plugin_is_enabled(widget, signed_in, tenant, enable_plugin):
    _, supervisor = signed_in("supervisor")
    _, agent = signed_in("agent")
    assert supervisor.get("/console/widget/").status_code == 404
    assert 'href="/console/widget/"' not in supervisor.text("/console/")
    enable_plugin(widget)
    assert "widget page of acme" in supervisor.text("/console/widget/")
    assert 'href="/console/widget/"' in supervisor.text("/console/")
    assert agent.get("/console/widget/").status_code == 403


def test_plugin_panels_appear_on_the_ticket_page(widget, signed_in, enable_plugin, tenant):
    from gongdan import tickets
    from gongdan.actors import Actor

    enable_plugin(widget)
    ticket, _ = tickets.create(tenant, {"subject": "<script>x</script>破损", "channel": "web"}, Actor.system("t"))
    _, agent = signed_in("agent")
    page = agent.text(f"/console/tickets/{ticket.id}")
    assert 'id="panel-widget"' in page
    assert "Widget panel" in page
    assert "<b>&lt;script&gt;x&lt;/script&gt;破损</b>" in page


class ClashingPlugin:
    """A plugin whose console view reuses an endpoint the console already has."""

    @hookimpl
    def gongdan_console_views(self) -> Any:
        return ConsoleView(view=WidgetView(name="Clash", endpoint="tickets", url="/console/clash"))


def test_a_plugin_view_that_cannot_be_added_is_recorded_and_the_console_still_starts(register_plugin, gongdan_db):
    from gongdan.models import PluginFailure
    from gongdan.web import create_app

    register_plugin(ClashingPlugin(), "clashing")
    app = create_app()
    assert app.test_client().get("/console/login").status_code == 200
    failure = PluginFailure.get(PluginFailure.plugin == "clashing")
    assert failure.hook == "gongdan_console_views"
