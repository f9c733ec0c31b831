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


def test_a_macros_actions_are_rows_in_chinese_then_english(chromium, live_server, tenant, make_user, tmp_path):
    """A supervisor builds a macro's actions as rows: choosing an action brings its own fields
    (words in the selects), "add an action" brings a row; then edits it in English and removes a row."""
    from gongdan_automation.models import Macro

    lead, _ = make_user("supervisor", email="lead@acme.example.com", name="李主管")
    get_host().set_enabled(tenant, "automation", enabled=True)
    shots = Path(os.environ.get("GONGDAN_SHOTS") or tmp_path)
    errors: list[str] = []
    for language in ("zh-CN", "en-US"):
        context = chromium.new_context(locale=language, viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
        try:
            sign_in(page, live_server, lead.email)
            if language == "zh-CN":
                page.goto(f"{live_server}/console/automation/macros/")
                page.fill("input[name=name]", "加急转人工")
                page.fill("textarea[name=body_zh]", "{customer_name}您好，已为你加急。")
                page.select_option("select[name=act-0-action]", "set_tags")
                page.wait_for_selector("input[name=act-0-in-tags]")
                assert page.inner_text("label[for=act-0-in-tags]").startswith("标签")
                page.fill("input[name=act-0-in-tags]", "加急，转人工")
                page.select_option("select[name=act-0-in-mode]", label="添加标签")
                page.click("[data-add-row=action-rows]")
                page.select_option("select[name=act-1-action]", "set_status")
                page.select_option("select[name=act-1-in-status]", label="等待中")
                page.screenshot(path=str(shots / "automation-macro-rows-zh-CN-1366.png"), full_page=True)
                page.set_viewport_size({"width": 390, "height": 900})
                page.screenshot(path=str(shots / "automation-macro-rows-zh-CN-390.png"), full_page=True)
                page.click("#macro-save")
                page.wait_for_selector("#macros a")
                (macro,) = Macro.select()
                assert macro.actions == [
                    {"action": "set_tags", "inputs": {"tags": ["加急", "转人工"], "mode": "add"}},
                    {"action": "set_status", "inputs": {"status": "pending"}},
                ]
            else:
                page.goto(f"{live_server}/console/automation/macros/?id={macro.id}")
                assert page.inner_text("label[for=act-1-in-status]") == "Status"
                assert page.eval_on_selector("select[name=act-1-in-status]", "s => s.selectedOptions[0].text") == (
                    "Pending"
                )
                page.check("input[name=act-0-delete]")
                page.click("#macro-save")
                page.wait_for_selector("#macros a")
                assert Macro.get_by_id(macro.id).actions == [{"action": "set_status", "inputs": {"status": "pending"}}]
                page.goto(f"{live_server}/console/automation/macros/?id={macro.id}")
                page.screenshot(path=str(shots / "automation-macro-rows-en-US-1366.png"), full_page=True)
        finally:
            context.close()
    assert errors == []
