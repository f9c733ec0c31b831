"""The audit log in a real Chromium: readable in Chinese and English, filtered by the form, on
a desktop (1366 px) and a phone (390 px) screen. Screenshots go to GONGDAN_SHOTS or tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gongdan import accounts, categories, tenant_settings, users
from gongdan.actors import Actor
from gongdan.models import Team
from gongdan.plugins import get_host

from .test_console_browser import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("locale", "width"), [("zh-CN", 1366), ("en-US", 1366), ("zh-CN", 390), ("en-US", 390)])
def test_the_audit_log_reads_in_words_and_filters_by_the_form(
    chromium, app, live_server, tenant, make_user, tmp_path, locale, width
):
    admin, _ = make_user("admin", email="admin@acme.example.com", name="王店长")
    by_admin = Actor.of(admin)
    team = Team.create(tenant=tenant, name="售后组")
    agent = accounts.create_user(tenant, "li@acme.example.com", "agent", "李雷", actor=by_admin)
    users.change_user(agent, {"role": "supervisor", "team": team}, by_admin)
    categories.ensure(tenant, "售后/退货退款/质量问题", by_admin)
    tenant_settings.change(tenant, {"team_visibility": True}, by_admin)
    get_host().set_enabled(tenant, "sla", enabled=True, actor=admin)

    context = chromium.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        sign_in(page, live_server, admin.email)
        page.goto(f"{live_server}/console/audit/")
        table = page.inner_text("#audit-table")
        if locale == "zh-CN":
            assert "修改了用户" in table
            assert "角色: 客服 → 主管" in table
            assert "客服只看本组的工单: 否 → 是" in table
        else:
            assert "changed a user" in table
            assert "Role: Agent → Supervisor" in table
            assert "Agents see only their team's tickets: no → yes" in table
        assert "王店长" in table
        assert "user.changed" not in table
        assert "{" not in table
        shots = Path(os.environ.get("GONGDAN_SHOTS") or tmp_path)
        page.screenshot(path=str(shots / f"audit-{locale}-{width}.png"), full_page=True)
        page.select_option("#audit-kind", "category.created")
        page.click("#audit-filters button[type=submit]")
        page.wait_for_url("**kind=category.created**")
        filtered = page.inner_text("#audit-table")
        assert "售后/退货退款/质量问题" in filtered
        assert ("修改了用户" if locale == "zh-CN" else "changed a user") not in filtered
        page.fill("#audit-actor", "李雷")
        page.click("#audit-filters button[type=submit]")
        assert page.locator(".audit-event").count() == 0
    finally:
        context.close()
