"""Ordering automation rules in a real Chromium under the console's CSP: drag a trigger to the top,
then move one down from the keyboard; the stored order follows, with no page reload and no CSP
violation. Screenshots (1366 px in Chinese, 390 px) go to GONGDAN_SHOTS or tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gongdan_automation import macros, ordering, rules

from gongdan.plugins import get_host

from .conftest import wait_until
from .test_console_browser import sign_in

pytestmark = pytest.mark.browser


def test_an_admin_orders_triggers_by_drag_and_by_keyboard(chromium, app, live_server, tenant, make_user, tmp_path):
    admin, _ = make_user("admin", email="boss@acme.example.com", name="王店长")
    get_host().set_enabled(tenant, "automation", enabled=True, actor=admin)
    names = ("大促期间加急", "退款超过5000转主管", "差评客户优先")
    ids = [rules.create(tenant, "trigger", {"name": n, "event": "created", "actions": []}).id for n in names]
    macro_ids = [
        macros.save(tenant, admin, {"name": n, "body_zh": "您好 {customer_name}", "shared": True}).id
        for n in ("A 物流查询", "B 退款进度")
    ]
    shots = Path(os.environ.get("GONGDAN_SHOTS") or tmp_path)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        sign_in(page, live_server, admin.email)
        page.goto(f"{live_server}/console/automation/rules/")
        assert "拖动" in page.inner_text("body")
        page.evaluate("() => { window.notReloaded = true; }")

        page.drag_and_drop(
            f"#rule-{ids[2]} .drag-handle", f"#rule-{ids[0]} td:nth-child(2)", target_position={"x": 5, "y": 2}
        )
        wait_until(page, "() => document.getElementById('order-status-trigger').textContent.length > 0")
        assert ordering.rule_ids(tenant, "trigger") == [ids[2], ids[0], ids[1]]
        assert page.input_value(f"#rule-{ids[2]} input[name=position]") == "10"

        page.focus(f"#rule-{ids[2]} .rule-down")
        page.keyboard.press("Enter")
        wait_until(page, "(id) => document.querySelector('#rules-trigger tbody tr').id === id", f"rule-{ids[0]}")
        wait_until(
            page, "(id) => document.querySelector(`#${id} input[name=position]`).value === '20'", f"rule-{ids[2]}"
        )
        assert ordering.rule_ids(tenant, "trigger") == [ids[0], ids[2], ids[1]]
        assert page.evaluate("() => document.activeElement.classList.contains('rule-down')")
        assert page.evaluate("() => window.notReloaded === true")
        page.screenshot(path=str(shots / "automation-rules-zh-CN-1366.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 900})
        page.screenshot(path=str(shots / "automation-rules-zh-CN-390.png"), full_page=True)

        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(f"{live_server}/console/automation/macros/")
        page.click(f"#macro-{macro_ids[1]} .macro-up")  # the same script orders macros
        wait_until(page, "() => document.getElementById('order-status-macros').textContent.length > 0")
        assert [m.id for m in macros.visible(tenant, admin)] == [macro_ids[1], macro_ids[0]]
        page.screenshot(path=str(shots / "automation-macros-zh-CN-1366.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
