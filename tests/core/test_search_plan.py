"""Search combined with every filter gives the tickets a plain filter in Python gives, whichever
plan `gongdan.listing` takes (the postings of the rarest term, or a filter's index first; every
match read once, or read newest first until the page is full). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from gongdan import listing, search, tickets
from gongdan.actors import Actor
from gongdan.models import PRIORITIES, Team, Ticket, User

SYSTEM = Actor.system("test")
WORDS = ("破损", "退款", "发票", "物流太慢", "refund", "杯子碎了")
STATUSES = ("new", "open", "resolved", "closed", "closed", "closed")
QUERIES = ("破损", "退款 破损", "杯子", "refund 发票", "物流")


@pytest.fixture
def shop(tenant, make_user, frozen_clock):
    """Two hundred tickets with random words, status, priority, assignee, team, tags and age."""
    rng = random.Random(15)
    agents = [User.get_by_id(make_user("agent")[0].id) for _ in range(2)]
    teams = [Team.create(tenant=tenant, name=name) for name in ("售后组", "售前组")]
    start = frozen_clock.start
    made = []
    for n in range(200):
        frozen_clock.advance(minutes=30)
        words = rng.sample(WORDS, rng.choice((1, 1, 2)))
        tags = rng.sample(("vip", "退货", "加急"), rng.choice((0, 0, 1, 2)))
        ticket = tickets.create(
            tenant, {"subject": " ".join(words), "description": f"第 {n} 单", "tags": tags}, SYSTEM
        )[0]
        status = "pending" if rng.random() < 0.03 else rng.choice(STATUSES)  # pending: rare
        changes = {
            "status": status,
            "priority": rng.choice(PRIORITIES),
            "channel": rng.choice(("api", "api", "email")),
            "assignee": rng.choice([None, None, *agents]),
            "team": rng.choice([None, *teams]),
        }
        Ticket.update(**changes).where(Ticket.id == ticket.id).execute()
        made.append(Ticket.get_by_id(ticket.id))
    return made, agents, teams, start


def _expected(made, query: str, filters: listing.Filters) -> list[int]:
    wanted = set(search.query_terms(query))
    found = []
    for t in made:
        if not wanted <= search.ticket_terms(t.subject, t.description):
            continue
        if any(
            getattr(filters, n) is not None and getattr(t, n) != getattr(filters, n)
            for n in ("status", "priority", "channel")
        ):
            continue
        if filters.assignee == "none" and t.assignee_id is not None:
            continue
        if isinstance(filters.assignee, int) and t.assignee_id != filters.assignee:
            continue
        if filters.team is not None and t.team_id != filters.team:
            continue
        if filters.tag is not None and filters.tag not in t.tags:
            continue
        if filters.created_from is not None and t.created_at < filters.created_from:
            continue
        if filters.created_to is not None and t.created_at >= filters.created_to:
            continue
        found.append(t.id)
    return sorted(found, reverse=True)


def _walk(tenant, filters: listing.Filters) -> tuple[list[int], listing.Page]:
    first = page = listing.list_page(tenant, SYSTEM, filters, per_page=7)
    seen = [t.id for t in page.tickets]
    while page.next_cursor:
        page = listing.list_page(tenant, SYSTEM, filters, per_page=7, cursor=page.next_cursor)
        seen += [t.id for t in page.tickets]
    return seen, first


@pytest.mark.parametrize(
    ("read_limit", "merge_factor", "few"), [(listing.READ_LIMIT, 8, 0), (12, 8, 64), (12, 0, 0), (12, 10**6, 10**6)]
)
def test_search_with_every_filter_matches_a_plain_filter(tenant, shop, read_limit, merge_factor, few, monkeypatch):
    made, agents, teams, start = shop
    monkeypatch.setattr(listing, "READ_LIMIT", read_limit)  # 12: most searches read newest first
    # SQLite: terms' postings merged when about as common (8), never (0), whenever possible (10**6)
    monkeypatch.setattr(search, "MERGE_FACTOR", merge_factor)
    # PostgreSQL: a search's candidates looked up one by one up to `few` of them, else narrowed by arrays
    monkeypatch.setattr(listing, "FEW_CANDIDATES", few)
    monkeypatch.setattr(listing, "SAMPLE_READ", 5)  # and count among their newest 5 postings
    rng = random.Random(read_limit)
    choices = {
        "status": ["pending", "open", "closed"],
        "priority": list(PRIORITIES),
        "channel": ["email", "api"],
        "assignee": ["none", agents[0].id, agents[1].id],
        "team": [teams[0].id, teams[1].id],
        "tag": ["vip", "退货"],
        "created_from": [start + timedelta(hours=40)],
        "created_to": [start + timedelta(hours=70)],
    }
    exact_seen = inexact_seen = 0
    for round_ in range(40):
        names = rng.sample(sorted(choices), rng.choice((1, 1, 2, 3)))
        filters = listing.Filters(q=QUERIES[round_ % len(QUERIES)], **{n: rng.choice(choices[n]) for n in names})
        expected = _expected(made, filters.q, filters)
        seen, first = _walk(tenant, filters)
        assert seen == expected, filters
        if first.total_exact:
            exact_seen += 1
            assert first.total == len(expected), filters
        else:  # counted over the newest postings only: a lower bound
            inexact_seen += 1
            assert min(len(first.tickets), len(expected)) <= first.total <= len(expected), filters
    if read_limit == 12:
        assert exact_seen  # both plans were taken
        assert inexact_seen


def test_a_rare_filter_drives_the_search_and_counts_exactly(tenant, shop, monkeypatch):
    made, *_ = shop
    monkeypatch.setattr(listing, "READ_LIMIT", 12)  # the term alone would be counted as a lower bound
    filters = listing.Filters(q="破损", status="pending")
    expected = _expected(made, "破损", filters)
    assert len([t for t in made if t.status == "pending"]) < 12 < len(_expected(made, "破损", listing.Filters()))
    seen, first = _walk(tenant, filters)
    assert seen == expected
    assert (first.total, first.total_exact) == (len(expected), True)
    plain = listing.list_page(tenant, SYSTEM, listing.Filters(q="破损"), per_page=7)
    assert not plain.total_exact


def test_a_ticket_number_ranks_first_once_under_filters(tenant, shop):
    made, *_ = shop
    target = made[120]
    query = str(target.number)
    page = listing.list_page(tenant, SYSTEM, listing.Filters(q=query, status=target.status), per_page=5)
    assert [t.id for t in page.tickets][:1] == [target.id]
    other = next(s for s in ("new", "open", "pending", "resolved", "closed") if s != target.status)
    page = listing.list_page(tenant, SYSTEM, listing.Filters(q=query, status=other), per_page=5)
    assert target.id not in [t.id for t in page.tickets]


def test_the_api_filters_by_team_tag_and_creation_range(tenant, shop, admin_api):
    made, _, teams, start = shop
    since, until = start + timedelta(hours=30), start + timedelta(hours=80)
    query = f"q=破损&team={teams[0].id}&tag=vip&created_from={since.isoformat()}&created_to={until.isoformat()}"
    body = admin_api.get("/api/v1/tickets?per_page=100&" + query.replace("+", "%2B")).get_json()
    filters = listing.Filters(q="破损", team=teams[0].id, tag="vip", created_from=since, created_to=until)
    assert [t["id"] for t in body["items"]] == _expected(made, "破损", filters)
    assert body["items"]
    assert (body["total"], body["total_exact"]) == (len(body["items"]), True)
    bad = admin_api.get("/api/v1/tickets?created_from=yesterday&team=0")
    assert bad.status_code == 422
    assert {"created_from", "team"} <= set(bad.get_json()["error"]["fields"])


def test_an_assignees_count_is_their_tickets_in_any_status(tenant, shop):
    made, agents, _, _ = shop
    for status in (None, "open", "closed"):
        filters = listing.Filters(assignee=agents[0].id, status=status)
        page = listing.list_page(tenant, SYSTEM, filters, per_page=3)
        wanted = [t for t in made if t.assignee_id == agents[0].id and status in (None, t.status)]
        assert (page.total, page.total_exact) == (len(wanted), True), status


@pytest.mark.parametrize("merge_factor", [0, 10**6])
def test_a_first_page_read_to_the_end_counts_exactly(tenant, shop, monkeypatch, merge_factor):
    """Read newest first (every term common), a first page that holds every match knows the count:
    two common words that no ticket holds together are "0", exactly, not "at least 0"; more
    matches than a page stay a lower bound. The same with lookups and with the merge (SQLite)."""
    made, *_ = shop
    for n in range(26):  # two words of 13 tickets each, never together
        tickets.create(tenant, {"subject": "甲乙" if n % 2 else "丙丁", "description": f"第 {n} 单"}, SYSTEM)
    monkeypatch.setattr(listing, "READ_LIMIT", 12)  # every word is common: the newest-first plan
    monkeypatch.setattr(search, "MERGE_FACTOR", merge_factor)
    page = listing.list_page(tenant, SYSTEM, listing.Filters(q="甲乙 丙丁"), per_page=7)
    assert (page.tickets, page.total, page.total_exact) == ([], 0, True)
    page = listing.list_page(tenant, SYSTEM, listing.Filters(q="破损 退款", status="closed"), per_page=200)
    wanted = _expected(made, "破损 退款", listing.Filters(status="closed"))
    assert [t.id for t in page.tickets] == wanted
    assert (page.total, page.total_exact) == (len(wanted), True)
    many = listing.list_page(tenant, SYSTEM, listing.Filters(q="破损"), per_page=7)
    assert len(_expected(made, "破损", listing.Filters())) > 7
    assert not many.total_exact
    assert 7 <= many.total <= len(_expected(made, "破损", listing.Filters()))
