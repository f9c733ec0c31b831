"""M1: a tenant's text never runs as script in the console (confirmations come from data attributes)."""

from __future__ import annotations

import pytest

from gongdan import categories, tickets
from gongdan.actors import Actor
from gongdan.models import Category

from .test_console_browser import sign_in

pytestmark = pytest.mark.browser
QUOTE_BREAKER = "');alert(1);('"
SCRIPT_BREAKER = "</script><script>alert(1)</script>"  # three levels: '<', 'script><script>alert(1)<', 'script>'


def _delete_button(page, path: str):
    question = f"Delete {path}?"
    forms = page.locator("form[data-confirm]")
    for i in range(forms.count()):
        if forms.nth(i).get_attribute("data-confirm") == question:
            return forms.nth(i).locator("button")
    raise AssertionError(f"no delete form asks {question!r}")


def test_a_category_name_is_shown_in_the_confirmation_and_never_run(app, live_server, page, tenant, make_user):
    categories.ensure(tenant, QUOTE_BREAKER)
    categories.ensure(tenant, SCRIPT_BREAKER)
    boss, _ = make_user("superadmin", email="boss@acme.example.com")
    dialogs: list[tuple[str, str]] = []
    errors: list[str] = []
    answer = {"accept": False}

    def on_dialog(dialog) -> None:
        dialogs.append((dialog.type, dialog.message))
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, boss.email)
    page.goto(f"{live_server}/console/categories/")
    assert QUOTE_BREAKER in page.inner_text("#category-tree")

    _delete_button(page, QUOTE_BREAKER).click()  # dismissed: nothing is deleted
    page.wait_for_timeout(300)
    assert dialogs == [("confirm", f"Delete {QUOTE_BREAKER}?")]
    assert Category.of(tenant).where(Category.name == QUOTE_BREAKER).exists()

    answer["accept"] = True
    with page.expect_navigation():
        _delete_button(page, SCRIPT_BREAKER).click()
    assert dialogs[-1] == ("confirm", f"Delete {SCRIPT_BREAKER}?")
    assert not Category.of(tenant).where(Category.path == SCRIPT_BREAKER).exists()
    assert all(kind == "confirm" for kind, _ in dialogs), dialogs  # no alert(1) ran
    assert not errors, errors


def test_console_pages_hold_no_inline_script_handlers(app, live_server, page, tenant, make_user):
    """The pages the console serves carry no on* attributes (so no text can land in JavaScript)."""
    categories.ensure(tenant, QUOTE_BREAKER)
    for subject in ("破损", "漏发"):
        tickets.create(tenant, {"subject": subject, "channel": "web"}, Actor.system("test"))
    boss, _ = make_user("superadmin", email="boss@acme.example.com")
    sign_in(page, live_server, boss.email)
    for path in ("/console/categories/", "/console/tickets/", "/console/"):
        page.goto(f"{live_server}{path}")
        handlers = page.eval_on_selector_all(
            "body *",
            "els => els.flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on'))"
            ".filter(a => !a.value.includes('faHelpers')).map(a => e.tagName + ' ' + a.name))",
        )
        assert handlers == [], (path, handlers)
    page.goto(f"{live_server}/console/tickets/")
    page.check("[data-check-all]")  # the select-all box works without inline script
    assert page.eval_on_selector_all(".ticket-check", "boxes => boxes.map(b => b.checked)") == [True, True]
