"""The ticket list's poll: how many tickets under its filters are new or changed since it was opened."""

from __future__ import annotations

from datetime import timedelta

from gongdan import clock, tickets
from gongdan.actors import Actor

SYSTEM = Actor.system("test")


def _ticket(tenant, subject: str, priority: str = "normal"):
    return tickets.create(tenant, {"subject": subject, "channel": "web", "priority": priority}, SYSTEM)[0]


def test_new_and_changed_tickets_since_the_list_was_opened(tenant, console_client):
    browser = console_client("agent", language="zh_CN")
    page = browser.text("/console/tickets/")
    assert 'id="list-live"' in page
    assert "自你打开此列表以来" in page
    old = _ticket(tenant, "旧的", "high")
    _ticket(tenant, "也旧", "low")
    clock.freeze(clock.now() + timedelta(seconds=5))
    first = browser.get("/console/tickets/changes").get_json()
    assert (first["new"], first["changed"]) == (0, 0)
    since = first["now"]
    clock.advance(timedelta(seconds=5))
    _ticket(tenant, "新来的", "high")
    _ticket(tenant, "新来的低优先级", "low")
    tickets.update(tenant, old, {"subject": "旧的（改过）"}, SYSTEM)
    every = browser.get("/console/tickets/changes", query_string={"since": since}).get_json()
    assert (every["new"], every["changed"]) == (2, 1)
    high = browser.get("/console/tickets/changes", query_string={"since": since, "priority": "high"}).get_json()
    assert (high["new"], high["changed"]) == (1, 1)  # the list's own filters apply
    bad = browser.get("/console/tickets/changes", query_string={"since": "yesterday"}).get_json()
    assert (bad["new"], bad["changed"]) == (0, 0)


def test_the_banner_leaves_out_the_viewers_own_tickets_and_changes(tenant, make_user, app):
    from gongdan.testing import ConsoleClient

    viewer, _ = make_user("agent", name="李娜")
    colleague, _ = make_user("agent", name="王伟")
    browser = ConsoleClient(app, viewer, language="en")
    mine_later, theirs_later = _ticket(tenant, "我会改的"), _ticket(tenant, "同事会改的")
    clock.freeze(clock.now() + timedelta(seconds=5))
    since = browser.get("/console/tickets/changes").get_json()["now"]
    clock.advance(timedelta(seconds=5))
    me, them = Actor.of(viewer), Actor.of(colleague)
    tickets.create(tenant, {"subject": "我接的电话", "channel": "phone"}, me)  # the viewer's own new ticket
    tickets.update(tenant, mine_later, {"priority": "high"}, me)  # the viewer's own change
    tickets.comment(tenant, mine_later, "我来处理", me, internal=True)
    own = browser.get("/console/tickets/changes", query_string={"since": since}).get_json()
    assert (own["new"], own["changed"]) == (0, 0)
    tickets.create(tenant, {"subject": "同事接的电话", "channel": "phone"}, them)
    tickets.update(tenant, theirs_later, {"priority": "low"}, them)
    tickets.update(tenant, mine_later, {"subject": "我会改的（同事补充）"}, them)  # mine first, then theirs: changed
    every = browser.get("/console/tickets/changes", query_string={"since": since}).get_json()
    assert (every["new"], every["changed"]) == (1, 2)
    seen_by_them = ConsoleClient(app, colleague, language="en")
    theirs = seen_by_them.get("/console/tickets/changes", query_string={"since": since}).get_json()
    assert (theirs["new"], theirs["changed"]) == (1, 1)  # the viewer's phone ticket; the viewer also changed mine_later
