"""Forms, not JSON (issue 16), in Chromium: SLA policies and assignment rules are edited in forms,
in Chinese and in English, rows added with the page's own "add" buttons (static rows.js, under the
console's CSP), errors beside the field; every form page fits 1366 px and a 390 px phone.
Screenshots go to $GONGDAN_SCREENSHOTS when set (else tmp_path)."""

from __future__ import annotations

import pytest

from gongdan.models import Customer, Team
from gongdan.plugins import get_host

from .test_console_browser import sign_in
from .test_workspace_browser import shots, tab

pytestmark = pytest.mark.browser

FORM_PAGES = (
    "/console/sla/policies/",
    "/console/sla/calendars/",
    "/console/assignment_rules/",
    "/console/assignment_availability/",
    "/console/plugins/pdd_connector/settings",
)


def _signed_in(chromium, live_server, email: str, language: str, width: int = 1366):
    page = tab(chromium, language, width)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, email)
    page.wait_for_selector("#dashboard")
    return page, errors


def test_sla_policy_form_in_chromium(chromium, live_server, tenant, make_user, enable_plugin, tmp_path):
    from gongdan_sla import policies

    enable_plugin("sla")
    admin, _ = make_user("admin", name="店长")
    folder = shots(tmp_path)
    for language, name, saved_text, bad_text in (
        ("zh", "VIP 紧急", "已保存", "必须在 1 到 99 之间"),
        ("en", "Standard", "Saved.", "Must be between 1 and 99."),
    ):
        page, errors = _signed_in(chromium, live_server, admin.email, language)
        page.goto(f"{live_server}/console/sla/policies/")
        count = len(policies.policies_of(tenant))
        if language == "en":  # a new card copied by rows.js, its own escalation list with it
            page.click("[data-add-row='sla-policies']")
            count += 1
        row = f"#p-{count}"  # zh: the blank policy the form offers
        page.fill(f"{row}-name", name)
        page.check(f"{row} input[name='p-{count}-priority'][value='urgent']")
        page.fill(f"{row}-first_response", "30")
        page.select_option(f"{row} select[name='p-{count}-first_response_unit']", "min")
        page.fill(f"{row}-resolution", "8")
        page.select_option(f"{row} select[name='p-{count}-resolution_unit']", "h")
        page.click(f"[data-add-row='p-{count}-esc']")  # a second escalation row, made by rows.js
        page.fill(f"#p-{count}-e-0-after", "10")
        page.check(f"input[name='p-{count}-e-0-actions'][value='notify_supervisor']")
        page.fill(f"#p-{count}-e-1-after", "1")
        page.select_option(f"select[name='p-{count}-e-1-after_unit']", "h")
        page.check(f"input[name='p-{count}-e-1-actions'][value='raise_priority']")
        page.screenshot(path=str(folder / f"sla-policy-filled-1366-{language}.png"), full_page=True)
        page.click("#sla-save")
        page.wait_for_selector(".alert-success, .alert-info, .alert")
        assert saved_text in page.inner_text("body"), page.eval_on_selector_all(
            "[data-for]", "els => els.map(e => e.dataset.for + ' ' + e.textContent)"
        )
        stored = {p.name: policies.policy_dict(p) for p in policies.policies_of(tenant)}[name]
        assert (stored["first_response"], stored["resolution"]) == (30, 480)
        assert stored["conditions"] == {"priority": ["urgent"]}
        assert stored["escalations"] == [
            {"after": 10, "actions": ["notify_supervisor"]},
            {"after": 60, "actions": ["raise_priority"]},
        ]
        page.fill("#p-0-warning_percent", "120")
        page.click("#sla-save")
        page.wait_for_selector("[data-for='p-0-warning_percent']")
        page.screenshot(path=str(folder / f"sla-policy-refused-1366-{language}.png"), full_page=True)
        assert bad_text in page.inner_text("[data-for='p-0-warning_percent']")
        assert page.input_value("#p-0-warning_percent") == "120"  # what was typed stays
        assert errors == []
        page.context.close()


def test_assignment_rule_form_in_chromium(chromium, live_server, tenant, make_user, enable_plugin, tmp_path):
    from gongdan_assignment import rules

    enable_plugin("assignment")
    Team.create(tenant=tenant, name="资深组")
    Customer.create(tenant=tenant, name="金卡客户", tier="gold")  # a shop's own tier: offered by the rule's select
    supervisor, _ = make_user("supervisor", name="主管")
    folder = shots(tmp_path)
    for language, tier, bad_text in (
        ("zh", "vip", "请至少填写一个条件"),
        ("en", "gold", "Give at least one condition"),
    ):
        page, errors = _signed_in(chromium, live_server, supervisor.email, language)
        page.goto(f"{live_server}/console/assignment_rules/")
        count = len(rules.rules_dict(tenant)["rules"])
        page.click("[data-add-row='assignment-rules']")  # one more blank rule (rows.js): fill the added one
        new = count + 1
        page.select_option(f"#r-{new}-customer_tier", tier)
        page.select_option(f"#r-{new}-priority", "urgent")
        page.select_option(f"#r-{new}-strategy", "tier")
        page.select_option(f"#r-{new}-team", "资深组")
        page.fill(f"#r-{new}-min_level", "3")
        page.fill(f"#r-{new}-order", "0")  # first
        page.select_option("#d-0-strategy", "round_robin")
        page.screenshot(path=str(folder / f"assignment-rule-filled-1366-{language}.png"), full_page=True)
        page.click("#save-rules")
        page.wait_for_selector("#rules-form")
        stored = rules.rules_dict(tenant)
        assert stored["rules"][0] == {
            "when": {"priority": "urgent", "customer_tier": tier},
            "strategy": "tier",
            "team": "资深组",
            "min_level": 3,
            "options": {},
        }
        assert stored["default"]["strategy"] == "round_robin"
        assert page.input_value("#r-0-customer_tier") == tier
        page.select_option("#r-0-customer_tier", "")
        page.select_option("#r-0-priority", "")
        page.click("#save-rules")
        page.wait_for_selector("[data-for='r-0-category']")
        page.screenshot(path=str(folder / f"assignment-rule-refused-1366-{language}.png"), full_page=True)
        assert bad_text in page.inner_text("[data-for='r-0-category']")
        assert errors == []
        page.context.close()


# layout does not depend on the database: one is enough (keeps the suite fast)
@pytest.mark.parametrize("gongdan_backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_form_page_fits_1366_and_a_phone(
    chromium, live_server, tenant, make_user, enable_plugin, tmp_path, language
):
    """The pages that had JSON, at 1366 px and 390 px: no textarea, no sideways scrolling, a screenshot each."""
    for name in ("sla", "assignment", "pdd_connector"):
        if name in get_host().loaded:
            enable_plugin(name)
    admin, _ = make_user("admin", name="管理员")
    worker, _ = make_user("agent", name="小王")
    folder = shots(tmp_path)
    pages = (*FORM_PAGES, f"/console/assignment_availability/{worker.id}/schedule")
    for width in (1366, 390):
        page, errors = _signed_in(chromium, live_server, admin.email, language, width)
        for path in pages:
            answer = page.goto(f"{live_server}{path}")
            assert answer.status == 200, path
            name = path.strip("/").replace("/", "-").replace(str(worker.id), "ID")
            page.screenshot(path=str(folder / f"form-{name}-{width}-{language}.png"), full_page=True)
            assert page.locator("textarea").count() == 0, path
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
        assert errors == []
        page.context.close()
