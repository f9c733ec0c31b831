"""The console's ticket list at scale: cursor paging through `gongdan.listing`, capped counts."""

from __future__ import annotations

import re

from gongdan import listing, tickets
from gongdan.actors import Actor
from gongdan.admin import tickets as ticket_views


def _subjects(html: str) -> list[str]:
    return re.findall(r'<a href="/console/tickets/\d+">([^<]+)</a>', html)


def _create(tenant, count: int, **extra) -> None:
    for n in range(count):
        tickets.create(tenant, {"subject": f"工单{n:02d}", "channel": "web", **extra}, Actor.system("test"))


def test_next_follows_a_cursor_and_first_page_returns(signed_in, tenant):
    _create(tenant, 30)
    _, browser = signed_in("agent")
    first = browser.text("/console/tickets/?status=new")
    assert _subjects(first) == [f"工单{n:02d}" for n in range(29, 4, -1)]
    assert "(30)" in first
    link = re.search(r'href="([^"]+)" id="next-page"', first).group(1).replace("&amp;", "&")
    assert "cursor=" in link
    assert "status=new" in link
    second = browser.text(link)
    assert _subjects(second) == [f"工单{n:02d}" for n in range(4, -1, -1)]
    assert 'id="next-page"' not in second
    assert 'id="first-page"' in second
    stale = browser.get("/console/tickets/?cursor=not-a-cursor")
    assert stale.status_code == 302
    assert "cursor" not in stale.headers["Location"]


def test_counts_stop_at_the_limit_on_both_paths(signed_in, tenant, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_LIMIT", 10)
    _create(tenant, 12, tags=["破损"])
    _, browser = signed_in("agent")
    assert "(12)" in browser.text("/console/tickets/")  # one page holds them all: counted as they came
    monkeypatch.setattr(ticket_views, "PER_PAGE", 5)
    assert "(10+)" in browser.text("/console/tickets/")  # through gongdan.listing
    assert "(10+)" in browser.text("/console/tickets/?tag=破损")  # a filter only the general query has
    assert "(5)" not in browser.text("/console/tickets/?tag=破损")
    monkeypatch.setattr(listing, "COUNT_LIMIT", 100)
    assert "(12)" in browser.text("/console/tickets/?tag=破损")
