"""The ticket list at scale: keyset cursors for every sort, bounded pages and counts, and search
through the postings index (same answers on SQLite and PostgreSQL: every test runs on both)."""

from __future__ import annotations

from gongdan import listing, tickets
from gongdan.actors import Actor
from gongdan.models import PRIORITIES, Ticket, TicketTerm

SYSTEM = Actor.system("test")


def _walk(api, query: str, per_page: int) -> list[int]:
    """Every ticket id of the list, page by page through next_cursor."""
    seen, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        body = api.get(f"/api/v1/tickets?per_page={per_page}{query}{suffix}").get_json()
        seen += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def _make(tenant, frozen_clock, count: int) -> list[Ticket]:
    made = []
    for n in range(count):
        frozen_clock.advance(seconds=1 if n % 3 else 0)  # some share a timestamp: the id breaks the tie
        made.append(tickets.create(tenant, {"subject": f"工单 {n}", "priority": PRIORITIES[n % 4]}, SYSTEM)[0])
    return made


def test_cursor_pages_follow_every_sort(tenant, agent_api, frozen_clock):
    made = _make(tenant, frozen_clock, 11)
    frozen_clock.advance(seconds=5)
    tickets.update(tenant, made[2], {"subject": "改过的工单"}, SYSTEM)
    rank = {p: n for n, p in enumerate(PRIORITIES)}
    newest = sorted(made, key=lambda t: (t.created_at, t.id), reverse=True)
    expected = {
        "-created_at": [t.id for t in newest],
        "created_at": [t.id for t in reversed(newest)],
        "-updated_at": [made[2].id] + [t.id for t in newest if t.id != made[2].id],
        "updated_at": [t.id for t in reversed(newest) if t.id != made[2].id] + [made[2].id],
        "-priority": [t.id for t in sorted(newest, key=lambda t: -rank[t.priority])],
        "priority": [t.id for t in sorted(newest, key=lambda t: rank[t.priority])],
    }
    for sort, ids in expected.items():
        assert _walk(agent_api, f"&sort={sort}", 3) == ids, sort
        offset_pages = [
            t["id"]
            for page in (1, 2, 3, 4)
            for t in agent_api.get(f"/api/v1/tickets?per_page=3&page={page}&sort={sort}").get_json()["items"]
        ]
        assert offset_pages == ids, sort
    high = [t.id for t in newest if t.priority == "high"]
    assert _walk(agent_api, "&sort=-priority&priority=high", 1) == high
    first = agent_api.get("/api/v1/tickets?per_page=4").get_json()
    assert (first["total"], first["total_exact"]) == (11, True)
    assert first["next_cursor"]


def test_bad_cursors_and_deep_pages_are_422_with_the_field(tenant, agent_api, frozen_clock):
    _make(tenant, frozen_clock, 3)
    cursor = agent_api.get("/api/v1/tickets?per_page=1").get_json()["next_cursor"]
    for query in ("cursor=nonsense", f"cursor={cursor}&sort=-priority", "cursor=W10"):
        response = agent_api.get(f"/api/v1/tickets?{query}")
        assert response.status_code == 422, query
        assert "cursor" in response.get_json()["error"]["fields"], query
    deep = agent_api.get(f"/api/v1/tickets?per_page=100&page={listing.MAX_OFFSET // 100 + 1}")
    assert deep.status_code == 422
    assert "page" in deep.get_json()["error"]["fields"]
    assert agent_api.get("/api/v1/tickets?sort=subject").status_code == 422


def test_counts_stop_at_the_limit(tenant, agent_api, frozen_clock, monkeypatch):
    _make(tenant, frozen_clock, 6)
    monkeypatch.setattr(listing, "COUNT_LIMIT", 4)
    for query in ("", "&status=new", "&sort=-priority", "&q=工单"):
        body = agent_api.get(f"/api/v1/tickets?per_page=2{query}").get_json()
        assert (body["total"], body["total_exact"]) == (4, False), query
    body = agent_api.get("/api/v1/tickets?per_page=2&priority=low").get_json()
    assert (body["total"], body["total_exact"]) == (2, True)


def test_the_channel_alone_is_counted_among_the_newest_tickets(tenant, agent_api, frozen_clock, monkeypatch):
    made = _make(tenant, frozen_clock, 9)
    for n, ticket in enumerate(made):  # every third ticket tagged (through the service), every other by phone
        if n % 3 == 0:
            tickets.update(tenant, ticket, {"tags": ["投诉"]}, SYSTEM)
        if n % 2:
            Ticket.update(channel="phone").where(Ticket.id == ticket.id).execute()
    tagged = [t.id for t in reversed(made) if made.index(t) % 3 == 0]
    phone = [t.id for t in reversed(made) if made.index(t) % 2]
    monkeypatch.setattr(listing, "SCAN_LIMIT", 4)  # nine tickets: the newest four counted
    body = agent_api.get("/api/v1/tickets?per_page=1&channel=phone").get_json()
    newest = [t.id for t in made[-5:]]  # from the time of the ticket SCAN_LIMIT places down, on
    assert (body["total"], body["total_exact"]) == (len([i for i in phone if i in newest]), False)
    assert _walk(agent_api, "&channel=phone", 1) == phone  # the pages are every match
    for query in ("&tag=投诉", "&tag=投诉&status=new"):  # a tag is counted from its postings: exactly
        body = agent_api.get(f"/api/v1/tickets?per_page=1{query}").get_json()
        assert (body["total"], body["total_exact"]) == (3, True), query
        assert _walk(agent_api, query, 1) == tagged, query
    monkeypatch.setattr(listing, "SCAN_LIMIT", 9)
    body = agent_api.get("/api/v1/tickets?per_page=1&channel=phone").get_json()
    assert (body["total"], body["total_exact"]) == (4, True)


def test_search_words_replies_numbers_and_filters(tenant, agent_api, frozen_clock):
    def make(subject: str, description: str = "", **more) -> Ticket:
        frozen_clock.advance(seconds=1)
        return tickets.create(tenant, {"subject": subject, "description": description, **more}, SYSTEM)[0]

    broken = make("收到的商品破损", "外包装完好，杯子碎了")
    order = make("物流太慢", "订单号 231101-482917365012345 还没发货")
    english = make("Refunds requested", "The parcels arrived broken")
    replied = make("咨询")
    tickets.comment(tenant, replied, "您的包裹已经破损理赔", SYSTEM)
    noted = make("内部")
    tickets.comment(tenant, noted, "破损 内部备注", SYSTEM, internal=True)
    external = make("外部单", external_ref={"system": "pdd", "id": "777"})
    numbered = make("数字 6")  # ticket number 7, with a 6 in its text; ticket number 6 is `external`

    def ids(query: str) -> list[int]:
        body = agent_api.get(f"/api/v1/tickets?{query}").get_json()
        return [t["id"] for t in body["items"]]

    assert ids("q=破损") == [replied.id, broken.id]  # public reply found, internal note not; newest first
    assert ids("q=商品破损") == [broken.id]  # every bigram must be there
    assert ids("q=231101-482917365012345") == [order.id]  # the order number in the description
    assert ids("q=482917365012345") == [order.id]
    assert ids("q=refund") == [english.id]  # stemmed
    assert ids("q=BROKEN") == [english.id]  # any case
    assert ids("q=777") == [external.id]  # external id, exactly
    assert (external.number, numbered.number) == (6, 7)
    assert ids("q=7") == [numbered.id]
    assert ids("q=6") == [external.id, numbered.id]  # the ticket number first, then the text matches
    assert ids("q=破损&status=new") == [broken.id]  # the reply opened `replied`
    assert ids("q=破损&status=open") == [replied.id]
    assert ids("q=破损&per_page=1") == [replied.id]
    cursor = agent_api.get("/api/v1/tickets?q=破损&per_page=1").get_json()["next_cursor"]
    assert ids(f"q=破损&per_page=1&cursor={cursor}") == [broken.id]
    tickets.update(tenant, broken, {"description": "完好无损"}, SYSTEM)
    assert ids("q=破损") == [replied.id, broken.id]  # still in the subject
    tickets.update(tenant, broken, {"subject": "收到的商品"}, SYSTEM)
    assert ids("q=破损") == [replied.id]  # the index follows edits
    assert TicketTerm.select().where(TicketTerm.ticket == noted.id, TicketTerm.term == "备注").count() == 0
