"""The console in a real Chromium against a real server: sign in, plugins, settings, replies, language."""

from __future__ import annotations

import pytest
import requests

from gongdan import accounts, tickets
from gongdan.actors import Actor
from gongdan.models import Comment
from gongdan.plugins import get_host
from gongdan.testing import TEST_PASSWORD

from ..admin.fake_plugin import NAME as WIDGET
from ..admin.fake_plugin import WidgetPlugin
from .conftest import wait_until

pytestmark = pytest.mark.browser
PANEL_PLUGINS = ("sla", "knowledge", "pdd_connector")


@pytest.fixture
def widget(register_plugin):
    """The test widget plugin, installed but switched off."""
    register_plugin(WidgetPlugin(), WIDGET)
    get_host().always_on.discard(WIDGET)
    return WIDGET


def sign_in(page, base: str, email: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{base}/console/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in")


def test_admin_signs_in_toggles_a_plugin_fixes_settings_and_switches_language(
    widget, app, live_server, page, tenant, make_user, tmp_path
):
    admin, api = make_user("admin", email="admin@acme.example.com", name="店长")
    tickets.create(tenant, {"subject": "物流停滞", "channel": "email"}, Actor.system("t"))
    tickets.create(tenant, {"subject": "收到破损商品", "channel": "web", "priority": "urgent"}, Actor.system("t"))

    sign_in(page, live_server, admin.email, "wrong-password")
    assert "Wrong e-mail or password" in page.inner_text("#login-error")
    sign_in(page, live_server, admin.email)
    page.wait_for_selector("#chart-per-day")
    wait_until(page, "() => Object.keys(window.gongdanCharts || {}).length >= 4")
    assert page.inner_text("#kpi-backlog") == "2"
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    page.goto(f"{live_server}/console/plugins/")
    row = page.locator(f"#plugin-{WIDGET}")
    assert row.locator(".plugin-state").inner_text() == "off"
    row.locator(".plugin-toggle").click()
    page.wait_for_selector(f"#plugin-{WIDGET} .plugin-state:text('on')")
    listed = requests.get(f"{live_server}/api/v1/plugins", headers={"Authorization": f"Bearer {api.token}"}, timeout=10)
    assert {p["name"]: p["enabled"] for p in listed.json()}[WIDGET] is True
    page.screenshot(path=str(tmp_path / "plugins.png"), full_page=True)

    page.locator(f"#plugin-{WIDGET} .plugin-settings").click()
    page.fill("#in-max_items", "lots")
    page.click("#save-settings")
    message = page.locator("#field-max_items .field-error")
    assert message.inner_text() == "Not a valid integer."
    assert page.locator("#in-max_items").get_attribute("class").find("is-invalid") >= 0
    page.screenshot(path=str(tmp_path / "settings-error.png"), full_page=True)
    page.fill("#in-max_items", "12")
    page.click("#save-settings")
    page.wait_for_selector("text=Settings saved.")
    assert get_host().settings(tenant, WIDGET)["max_items"] == 12

    page.click("#lang-zh_CN")
    page.wait_for_selector("text=插件")
    page.goto(f"{live_server}/console/")
    assert "各渠道每日工单量" in page.content()
    page.screenshot(path=str(tmp_path / "dashboard-zh.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_selector("text=Tickets per day by channel")


def test_agent_replies_to_a_ticket_beside_the_plugin_panels(
    widget, app, live_server, page, tenant, make_user, enable_plugin, tmp_path
):
    for name in (*[n for n in PANEL_PLUGINS if n in get_host().loaded], WIDGET):
        enable_plugin(name)
    agent, _ = make_user("agent", email="li.na@acme.example.com", name="李娜")
    accounts.create_user(tenant, "wang.wei@acme.example.com", "agent", "王伟")
    ticket, _ = tickets.create(
        tenant,
        {
            "subject": "收到的羽绒服有破洞",
            "description": "昨天签收，袖口有个洞，想退货。",
            "channel": "web",
            "priority": "high",
            "customer": {"name": "赵先生", "email": "zhao@example.com", "tier": "vip"},
        },
        Actor.system("channel:web"),
    )
    tickets.comment(tenant, ticket, "能尽快处理吗？", Actor.system("customer"), from_customer=True)

    sign_in(page, live_server, agent.email)
    page.wait_for_selector("#dashboard")
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    assert page.locator(f"#panel-{WIDGET}").is_visible()
    page.fill("#reply-body", "您好，已为您登记退货，快递员明天上门取件。")
    page.click("#send-reply")
    page.wait_for_selector("#timeline li.reply:has-text('快递员明天上门取件')")
    page.locator("#to-pending").click()
    page.wait_for_selector("#ticket-status:text('Pending')")
    page.screenshot(path=str(tmp_path / "ticket.png"), full_page=True)
    reply = Comment.select().where(Comment.ticket == ticket).order_by(Comment.id.desc()).first()
    assert reply.body == "您好，已为您登记退货，快递员明天上门取件。"
    assert reply.author_id == agent.id
    fresh = tickets.get(tenant, ticket.id)
    assert fresh.status == "pending"
    assert fresh.first_response_at is not None
