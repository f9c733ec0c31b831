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

from .conftest import wait_until
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
    overflow = wide.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the navbar runs {overflow} px past the window's right edge"
    phone = tab(chromium, language, 390)
    sign_in(phone, live_server, admin.email)
    phone.wait_for_selector("#dashboard")
    phone.goto(f"{live_server}/console/tickets/")
    width = phone.evaluate("document.documentElement.scrollWidth")
    phone.screenshot(path=str(folder / f"tickets-390-{language}.png"), full_page=True)
    assert width <= 390, f"the list is {width} px wide on a 390 px phone"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_agent_workspace_in_chromium(chromium, live_server, tenant, make_user, enable_plugin, tmp_path, language):
    """New ticket with the customer lookup, the bulk form's labelled values, the timeline's labels,
    and the stale-page refusal, at 1366 px; then the ticket page on a 390 px phone."""
    folder = shots(tmp_path)
    agent, _ = make_user("supervisor", name="李娜")
    colleague, _ = make_user("agent", name="王伟")
    old = some_tickets(tenant, 1)[0]
    page = tab(chromium, language, 1366)
    sign_in(page, live_server, agent.email)
    page.wait_for_selector("#dashboard")
    page.goto(f"{live_server}/console/tickets/")
    page.click("#new-ticket")
    page.fill("#new-subject", "电话：想改收货地址")
    page.fill("#customer-lookup", "c0@example.com")
    page.wait_for_selector(".customer-match")
    page.click(".customer-match")
    assert page.locator("#customer-chosen").is_visible()
    page.screenshot(path=str(folder / f"new-ticket-1366-{language}.png"), full_page=True)
    page.click("#create-ticket")
    page.wait_for_selector("#ticket-title:has-text('想改收货地址')")
    created = tickets.get(tenant, int(page.url.rstrip("/").split("/")[-1]))
    assert created.customer_id == old.customer_id
    page.goto(f"{live_server}/console/tickets/")
    page.select_option("#bulk-action", "status")
    assert page.locator("#bulk-tag").is_hidden()
    resolved = {"en": "Resolved", "zh": "已解决"}[language]
    assert page.locator("#bulk-value option[value='resolved']").inner_text() == resolved
    page.goto(f"{live_server}/console/tickets/{old.id}")
    tickets.assign(tenant, tickets.get(tenant, old.id), colleague.id, Actor.system("test"))  # meanwhile
    page.select_option("#assignee-select", "")
    page.click("#assignee-select + button")
    stale = {"en": "Someone changed this ticket", "zh": "有人修改了这个工单"}[language]
    page.wait_for_selector(f".alert:has-text('{stale}')")
    assert tickets.get(tenant, old.id).assignee_id == colleague.id
    assigned = {"en": "assigned the ticket", "zh": "分配了工单"}[language]
    assert page.locator(f"#timeline li:has-text('{assigned}')").count() >= 1
    page.screenshot(path=str(folder / f"ticket-1366-{language}.png"), full_page=True)
    phone = tab(chromium, language, 390)
    sign_in(phone, live_server, agent.email)
    phone.wait_for_selector("#dashboard")
    phone.goto(f"{live_server}/console/tickets/{old.id}")
    phone.fill("#reply-body", "您好")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(folder / f"ticket-390-{language}.png"), full_page=True)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_send_as_reply_fills_the_editor_in_chromium(
    chromium, live_server, tenant, make_user, enable_plugin, admin_api, tmp_path, language
):
    """作为回复发送 opens the reply editor with the article's text, to edit before sending."""
    enable_plugin("knowledge")
    answer = admin_api.post(
        "/api/v1/kb/articles",
        json={"title": "衣服开线怎么退", "body": "开线属于质量问题，可以退货退款。", "status": "published"},
    )
    assert answer.status_code == 201, answer.get_json()
    ticket, _ = tickets.create(tenant, {"subject": "衣服开线了", "channel": "web"}, Actor.system("test"))
    agent, _ = make_user("agent", name="李娜")
    page = tab(chromium, language, 1366)
    sign_in(page, live_server, agent.email)
    page.wait_for_selector("#dashboard")
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    page.click("#panel-knowledge .kb-fill")
    assert page.input_value("#reply-body") == "开线属于质量问题，可以退货退款。"
    assert page.evaluate("document.activeElement.id") == "reply-body"
    page.screenshot(path=str(shots(tmp_path) / f"kb-fill-1366-{language}.png"), full_page=True)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_two_agents_on_one_ticket_see_each_other(chromium, live_server, tenant, make_user, tmp_path, language):
    """Collision detection: B sees A viewing and typing; A learns the ticket changed and is asked
    before sending over it."""
    ticket = some_tickets(tenant, 1)[0]
    alice, _ = make_user("agent", name="李娜")
    bob, _ = make_user("agent", name="王伟")
    first, second = tab(chromium, language, 1366), tab(chromium, language, 1366)
    for page, user in ((first, alice), (second, bob)):
        sign_in(page, live_server, user.email)
        page.wait_for_selector("#dashboard")
    first.goto(f"{live_server}/console/tickets/{ticket.id}")
    first.wait_for_timeout(300)
    first.locator("#reply-body").press_sequentially("您好")
    first.wait_for_timeout(500)
    second.goto(f"{live_server}/console/tickets/{ticket.id}")
    typing = {"en": "李娜 typing…", "zh": "李娜 正在输入…"}[language]
    second.wait_for_selector(f"#presence:has-text('{typing}')")
    second.screenshot(path=str(shots(tmp_path) / f"presence-1366-{language}.png"))
    second.fill("#reply-body", "我来处理")
    second.click("#add-note")
    second.wait_for_selector("#timeline li.note")
    first.locator("#reply-body").press_sequentially("，请稍等")  # typing again polls at once
    first.wait_for_selector("#ticket-changed:visible", timeout=15000)
    asked = []
    first.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    first.click("#send-reply")
    first.wait_for_timeout(300)
    assert asked
    assert [c.body for c in tickets.get(tenant, ticket.id).comments] == ["我来处理"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_keyboard_shortcuts(chromium, live_server, tenant, make_user, tmp_path, language):
    """j/k and Enter in the list, r to reply, a to assign to me, ? for the help."""
    made = some_tickets(tenant, 3)
    agent, _ = make_user("agent", name="李娜")
    page = tab(chromium, language, 1366)
    sign_in(page, live_server, agent.email)
    page.wait_for_selector("#dashboard")
    page.goto(f"{live_server}/console/tickets/")
    page.keyboard.press("?")
    assert page.locator("#shortcuts-help").is_visible()
    page.screenshot(path=str(shots(tmp_path) / f"shortcuts-1366-{language}.png"))
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/tickets/{made[-1].id}")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply-body"
    page.locator("#reply-body").blur()
    page.keyboard.press("a")
    page.wait_for_load_state()
    page.wait_for_selector("#assignee-select")
    assert tickets.get(tenant, made[-1].id).assignee_id == agent.id


@pytest.mark.parametrize("language", ["en", "zh"])
def test_saved_views_in_chromium(chromium, live_server, tenant, make_user, tmp_path, language):
    """Filter the list, save the filters as a shared view, find it with its count on My queue."""
    some_tickets(tenant, 4)
    lead, _ = make_user("supervisor", name="主管")
    page = tab(chromium, language, 1366)
    sign_in(page, live_server, lead.email)
    page.wait_for_selector("#dashboard")
    page.goto(f"{live_server}/console/tickets/?priority=high")
    page.click("#saved-views summary")
    page.fill("#view-name", "高优先级")
    page.check("#save-view input[name=shared]")
    page.click("#save-view button[type=submit]")
    page.wait_for_selector(".saved-view:has-text('高优先级')")
    assert page.locator(".saved-view .badge").first.inner_text() == "2"
    page.goto(f"{live_server}/console/workspace/")
    page.wait_for_selector("#queue-views:has-text('高优先级')")
    phone = tab(chromium, language, 390)
    sign_in(phone, live_server, lead.email)
    phone.wait_for_selector("#dashboard")
    phone.goto(f"{live_server}/console/tickets/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(shots(tmp_path) / f"views-390-{language}.png"), full_page=True)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_mention_autocomplete_and_the_bell(chromium, live_server, tenant, make_user, tmp_path, language):
    """@ offers colleagues; the mentioned one sees the bell count, reads it and lands on the ticket."""
    ticket = some_tickets(tenant, 1)[0]
    lead, _ = make_user("supervisor", name="李娜")
    colleague, _ = make_user("agent", name="王伟")
    page = tab(chromium, language, 1366)
    sign_in(page, live_server, lead.email)
    page.wait_for_selector("#dashboard")
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    page.locator("#reply-body").press_sequentially("请 @王")
    page.wait_for_selector(".mention-option:visible")
    page.screenshot(path=str(shots(tmp_path) / f"mention-1366-{language}.png"))
    page.click(".mention-option:visible")
    assert page.input_value("#reply-body") == "请 @王伟 "
    page.locator("#reply-body").press_sequentially("看一下")
    page.click("#add-note")
    page.wait_for_selector("#timeline li.note")
    other = tab(chromium, language, 1366)
    sign_in(other, live_server, colleague.email)
    other.wait_for_selector("#bell-count:text('1')")
    other.click("#bell")
    other.wait_for_selector(".inbox-unread")
    other.screenshot(path=str(shots(tmp_path) / f"inbox-1366-{language}.png"))
    other.click(".inbox-unread button")
    other.wait_for_selector("#ticket-title")
    assert other.locator("#bell-count").count() == 0


CHANGED_PAGES = (
    "/console/tickets/new",
    "/console/inbox/",
    "/console/workspace/",
    "/console/plugins/sla/settings",
    "/console/assignment_load/",
    "/console/pdd-deadlines/",
)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_changed_page_fits_1366_and_a_phone(
    chromium, live_server, tenant, make_user, enable_plugin, tmp_path, language
):
    """The pages issue 16 changed, at 1366 px and 390 px: no sideways scrolling, a screenshot each."""
    for name in ("sla", "assignment", "pdd_connector"):
        if name in get_host().loaded:
            enable_plugin(name)
    some_tickets(tenant, 3)
    admin, _ = make_user("admin", name="管理员")
    folder = shots(tmp_path)
    for width in (1366, 390):
        page = tab(chromium, language, width)
        sign_in(page, live_server, admin.email)
        page.wait_for_selector("#dashboard")
        for path in CHANGED_PAGES:
            answer = page.goto(f"{live_server}{path}")
            assert answer.status == 200, path
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=str(folder / f"{name}-{width}-{language}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_list_says_what_is_new_without_reloading(chromium, live_server, tenant, make_user, tmp_path, language):
    """A ticket created while the list is open: a banner counts it (no reload); Refresh shows it."""
    some_tickets(tenant, 2)
    agent, _ = make_user("agent", name="李娜")
    for width in (1366, 390):
        page = tab(chromium, language, width)
        sign_in(page, live_server, agent.email)
        page.wait_for_selector("#dashboard")
        page.goto(f"{live_server}/console/tickets/")
        wait_until(page, "() => document.getElementById('list-live') !== null")
        page.wait_for_timeout(300)  # the first poll takes the list's "since"
        tickets.create(tenant, {"subject": f"新来的 {width}", "channel": "web"}, Actor.system("test"))
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # as when the tab is shown again
        page.wait_for_selector("#list-changed:visible")
        text = {"en": "1 new, 0 changed", "zh": "1 个新工单，0 个有变动"}[language]
        assert text in page.inner_text("#list-changed")
        assert page.locator(f"text=新来的 {width}").count() == 0  # nothing moved under the agent's eyes
        page.screenshot(path=str(shots(tmp_path) / f"list-banner-{width}-{language}.png"), full_page=width == 390)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.click("#list-refresh")
        page.wait_for_selector(f"text=新来的 {width}")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_merge_undo_and_the_customer_card_in_chromium(chromium, live_server, tenant, make_user, tmp_path, language):
    """Merge a duplicate (asked first), see it on the survivor, undo it; write a note on the customer
    card; the ticket page fits a 390 px phone."""
    keeper, duplicate = some_tickets(tenant, 2)
    lead, _ = make_user("supervisor", name="主管")
    page = tab(chromium, language, 1366)
    sign_in(page, live_server, lead.email)
    page.wait_for_selector("#dashboard")
    page.goto(f"{live_server}/console/tickets/{duplicate.id}")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.fill("#merge-into", str(keeper.number))
    page.click("#merge-submit")
    page.wait_for_selector(".merged-here")
    assert asked, "merging asks first"
    assert page.url.rstrip("/").endswith(f"/console/tickets/{keeper.id}")
    page.fill("#customer-notes", "只在下午接电话")
    page.click("#save-customer-notes")
    page.wait_for_selector("#customer-notes-by")
    page.screenshot(path=str(shots(tmp_path) / f"merged-1366-{language}.png"), full_page=True)
    page.click(".merged-here .undo-merge")
    page.wait_for_selector("#merge-form")
    assert tickets.get(tenant, duplicate.id).status == "new"
    phone = tab(chromium, language, 390)
    sign_in(phone, live_server, lead.email)
    phone.wait_for_selector("#dashboard")
    phone.goto(f"{live_server}/console/tickets/{keeper.id}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(shots(tmp_path) / f"ticket-card-390-{language}.png"), full_page=True)
