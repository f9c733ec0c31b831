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
