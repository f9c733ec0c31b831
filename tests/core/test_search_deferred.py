"""Deferred search postings: a new ticket waits in `TicketIndexPending` until the worker's batch
(`search.index_pending`) writes its postings, and a search settles the tenant's waiting tickets
first, so its answers are those of an index written at once. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
import time

import pytest

from gongdan import accounts, citus, listing, scheduler, search, tickets
from gongdan.actors import Actor
from gongdan.db import db, write_transaction
from gongdan.models import Comment, Ticket, TicketIndexPending, TicketTerm
from gongdan.plugins import get_host

SYSTEM = Actor.system("test")
WORDS = ("破损", "退款", "发票", "物流太慢", "refund", "杯子碎了", "invoice")
SEARCHES = (
    listing.Filters(q="破损"),
    listing.Filters(q="退款 破损"),
    listing.Filters(q="杯子"),
    listing.Filters(q="refund 发票"),
    listing.Filters(q="物流", status="open"),
    listing.Filters(q="invoice", priority="high"),
    listing.Filters(q="补发"),  # only in public replies
    listing.Filters(q="内部"),  # only in internal notes: never found
)


def _made(tenant, count: int, seed: int) -> list[Ticket]:
    """`count` tickets with random words; some get a public reply, an internal note or an edit."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        words = rng.sample(WORDS, rng.choice((1, 2)))
        data = {"subject": " ".join(words), "description": f"第 {n} 单 {rng.choice(WORDS)}"}
        data["priority"] = rng.choice(("normal", "high"))
        ticket = tickets.create(tenant, data, SYSTEM)[0]
        if rng.random() < 0.2:
            tickets.comment(tenant, ticket, "已补发 物流", SYSTEM)
        if rng.random() < 0.2:
            tickets.comment(tenant, ticket, "内部备注", SYSTEM, internal=True)
        if rng.random() < 0.15:
            tickets.update(tenant, ticket, {"subject": rng.choice(WORDS)}, SYSTEM)
        made.append(ticket)
    return made


def _answers(tenant) -> list[tuple[list[int], int, bool]]:
    """Every search's tickets (every page, by cursor) and its first page's count."""
    found = []
    for filters in SEARCHES:
        first = page = listing.list_page(tenant, SYSTEM, filters, per_page=4)
        seen = [t.id for t in page.tickets]
        while page.next_cursor:
            page = listing.list_page(tenant, SYSTEM, filters, per_page=4, cursor=page.next_cursor)
            seen += [t.id for t in page.tickets]
        found.append((seen, first.total, first.total_exact))
    return found


def _expected(tenant) -> list[list[int]]:
    """What each search must find, from the tickets' text as stored (a plain filter in Python)."""
    rows = list(Ticket.select().where(Ticket.tenant == tenant.id))
    replies: dict[int, list[str]] = {}
    for c in Comment.select().where((Comment.tenant == tenant.id) & (Comment.internal == False)):  # noqa: E712
        replies.setdefault(c.ticket_id, []).append(c.body)
    expected = []
    for filters in SEARCHES:
        wanted = set(search.query_terms(filters.q))
        expected.append(
            sorted(
                (
                    t.id
                    for t in rows
                    if wanted <= search.ticket_terms(t.subject, t.description, *replies.get(t.id, []))
                    and filters.status in (None, t.status)
                    and filters.priority in (None, t.priority)
                ),
                reverse=True,
            )
        )
    return expected


def _postings(tenant) -> set[tuple[int, str]]:
    query = TicketTerm.select(TicketTerm.ticket, TicketTerm.term).where(TicketTerm.tenant == tenant.id)
    return set(query.tuples())


def _waiting(tenant) -> int:
    return TicketIndexPending.select().where(TicketIndexPending.tenant == tenant.id).count()


def test_a_search_before_the_job_answers_as_an_index_written_at_once(tenant):
    made = _made(tenant, 60, seed=15)
    assert _waiting(tenant) == len(made)  # nothing indexed by the creations
    before = _answers(tenant)  # the job has not run: the first search settles the tenant
    assert _waiting(tenant) == 0
    assert [seen for seen, _, _ in before] == _expected(tenant)
    assert all(seen for seen, _, _ in before[:-1])  # every word is found somewhere
    assert before[-1][0] == []  # internal notes never are
    settled = _postings(tenant)

    TicketTerm.delete().where(TicketTerm.tenant == tenant.id).execute()  # the index written at once
    for ticket in Ticket.select().where(Ticket.tenant == tenant.id):
        search.reindex(ticket)
    assert _postings(tenant) == settled
    assert _answers(tenant) == before

    more = _made(tenant, 30, seed=16)  # now the job runs first, then the same searches
    assert _waiting(tenant) == len(more)
    assert search.index_pending(batch=7) == len(more)
    assert _waiting(tenant) == 0
    after = _answers(tenant)
    assert [seen for seen, _, _ in after] == _expected(tenant)
    assert after != before  # the new tickets are among the answers


def test_the_job_indexes_in_batches_idempotently_and_a_search_settles_its_tenant_only(tenant):
    other = accounts.create_tenant("other-shop", "别的店")
    mine = _made(tenant, 9, seed=3)
    theirs = tickets.create(other, {"subject": "破损 退款", "description": "别家的"}, SYSTEM)[0]
    listing.list_page(tenant, SYSTEM, listing.Filters(q="破损"), per_page=5)
    assert (_waiting(tenant), _waiting(other)) == (0, 1)  # the search settled its own tenant only
    assert not _postings(other)

    job = next(j for j in scheduler.jobs(get_host()) if j.id == "core.search_index")
    assert scheduler.run_job(job) is True
    assert _waiting(other) == 0
    assert _postings(other) == {(theirs.id, term) for term in search.ticket_terms("破损 退款", "别家的")}

    indexed = _postings(tenant)
    for ticket in mine:  # queued again (a second worker, a retry): the same postings, no error
        search.queue(tenant.id, ticket.id)
    assert search.index_pending(tenant.id, batch=4) == len(mine)
    assert search.index_pending() == 0
    assert _postings(tenant) == indexed


@pytest.mark.parametrize("waiting", [0, 1])
def test_a_search_without_words_leaves_the_queue_alone(tenant, waiting):
    for n in range(waiting):
        tickets.create(tenant, {"subject": f"物流 {n}"}, SYSTEM)
    listing.list_page(tenant, SYSTEM, listing.Filters(status="new"), per_page=5)
    assert _waiting(tenant) == waiting  # lists without `q` never write


@pytest.mark.parametrize("gongdan_backend", ["postgresql"], indirect=True)  # SQLite: one writer at a time
def test_a_search_waits_for_a_batch_another_worker_holds(tenant):
    # sessions of this database waiting for a lock; on Citus the wait is on the worker holding the
    # shard, which the coordinator's citus_lock_waits reports
    lock_waits = (
        "SELECT COUNT(*) FROM citus_lock_waits"
        if citus.on_citus()
        else "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    ticket = tickets.create(tenant, {"subject": "杯子碎了"}, SYSTEM)[0]
    claimed, blocked = threading.Event(), []

    def worker() -> None:  # the job, caught between claiming the ticket and committing its postings
        try:
            with write_transaction():
                rows = search._claim(tenant.id, search.BATCH, wait=False)
                claimed.set()
                deadline = time.monotonic() + 20
                while not blocked and time.monotonic() < deadline:  # until the search waits for the rows
                    if db.execute_sql(lock_waits).fetchone()[0]:
                        blocked.append(True)
                    time.sleep(0.01)
                search._index_claimed(rows)
        finally:
            db.close()

    job = threading.Thread(target=worker)
    job.start()
    assert claimed.wait(20)
    page = listing.list_page(tenant, SYSTEM, listing.Filters(q="杯子"), per_page=5)
    job.join(30)
    assert blocked  # the search waited for the batch in flight ...
    assert [t.id for t in page.tickets] == [ticket.id]  # ... and found its ticket
    assert _waiting(tenant) == 0
