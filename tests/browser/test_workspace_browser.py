"""The agent workspace in Chromium, in English and Chinese, at 1366 px and on a 390 px phone:
the navbar on one line, the ticket list within the phone's width, the bulk form's labelled
values, 作为回复发送 filling the reply editor, the confirmation before resolving a case a
marketplace still waits on. Screenshots go to $GONGDAN_SCREENSHOTS when set (else tmp_path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.plugins import get_host

from .test_console_browser import sign_in

pytestmark = pytest.mark.browser
LANGUAGES = {"en": "en-US", "zh": "zh-CN"}


def shots(tmp_path: Path) -> Path:
    """Where screenshots go."""
    folder = Path(os.environ.get("GONGDAN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def tab(chromium, language: str, width: int):
    """A signed-out tab in `language` at `width` px."""
    context = chromium.new_context(locale=LANGUAGES[language], viewport={"width": width, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def some_tickets(tenant, n: int = 6) -> list:
    made = []
    for i in range(n):
        ticket, _ = tickets.create(
            tenant,
            {
                "subject": f"收到的商品有破损，想退货退款 {i}",
                "channel": "web",
                "priority": "high" if i % 2 else "normal",
                "tags": ["破损"],
                "customer": {"name": f"顾客{i}", "email": f"c{i}@example.com"},
            },
            Actor.system("channel:web"),
        )
        made.append(ticket)
    return made


@pytest.mark.parametrize("language", ["en", "zh"])
def test_navbar_fits_1366_and_the_list_fits_a_phone(
    chromium, live_server, tenant, make_user, enable_plugin, tmp_path, language
):
    for name in sorted(get_host().loaded):  # every plugin's menu, as in the demo
        enable_plugin(name)
    admin, _ = make_user("admin", name="管理员")
    some_tickets(tenant)
    folder = shots(tmp_path)
    wide = tab(chromium, language, 1366)
    sign_in(wide, live_server, admin.email)
    wide.wait_for_selector("#dashboard")
    wide.goto(f"{live_server}/console/tickets/")
    navbar = wide.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().height")
    wide.screenshot(path=str(folder / f"tickets-1366-{language}.png"))
    assert navbar < 70, f"the navbar wraps: {navbar} px high"
    phone = tab(chromium, language, 390)
    sign_in(phone, live_server, admin.email)
    phone.wait_for_selector("#dashboard")
    phone.goto(f"{live_server}/console/tickets/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    phone.screenshot(path=str(folder / f"tickets-390-{language}.png"), full_page=True)
    assert width <= 390, f"the list is {width} px wide on a 390 px phone"
