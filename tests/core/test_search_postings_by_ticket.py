"""One ticket's search postings are found through the index `(tenant, ticket)`, not by reading
every posting of the tenant: an edit of the subject, a merge and a deleted ticket's cascade
delete them by ticket (15 million postings at 1M tickets). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from gongdan import search, tickets
from gongdan.actors import Actor
from gongdan.db import db, is_postgres
from gongdan.models import TicketTerm

SYSTEM = Actor.system("test")
FORGET = "DELETE FROM ticket_term WHERE tenant_id = {tenant} AND ticket_id = {ticket}"


def _grow_another_ticket(tenant) -> None:
    """Give the tenant a second ticket with 5,000 postings and refresh the statistics: on a
    table of a dozen rows PostgreSQL's costs of the key and of the ticket index tie, and its
    choice between them is a coin toss; at this size only the ticket index is cheap."""
    other = tickets.create(tenant, {"subject": "另一张工单", "description": "说明"}, SYSTEM)[0]
    search.settle(tenant.id)
    rows = [{"tenant": tenant.id, "term": f"t{n:05d}", "ticket": other.id} for n in range(5000)]
    for start in range(0, len(rows), 500):
        TicketTerm.insert_many(rows[start : start + 500]).execute()
    db.execute_sql("ANALYZE ticket_term")


def _plan(sql: str) -> str:
    """The database's plan of `sql`, as text (PostgreSQL told to avoid a scan it can avoid)."""
    if is_postgres():
        db.execute_sql("SET LOCAL enable_seqscan = off")
        rows = db.execute_sql(f"EXPLAIN {sql}").fetchall()
    else:
        rows = db.execute_sql(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    return "\n".join(str(row[-1]) for row in rows)


def test_a_tickets_postings_are_deleted_through_the_ticket_index(tenant):
    ticket = tickets.create(tenant, {"subject": "杯子破损", "description": "外箱压坏"}, SYSTEM)[0]
    search.settle(tenant.id)
    _grow_another_ticket(tenant)
    with db.atomic():
        plan = _plan(FORGET.format(tenant=tenant.id, ticket=ticket.id))
    assert "ticket_term_tenant_id_ticket_id" in plan, plan
    assert "SCAN ticket_term" not in plan, plan
    assert "Seq Scan" not in plan, plan


def test_an_edited_subject_replaces_the_tickets_postings(tenant):
    ticket = tickets.create(tenant, {"subject": "杯子破损", "description": "外箱压坏"}, SYSTEM)[0]
    search.settle(tenant.id)
    tickets.update(tenant, ticket, {"subject": "发票开错了"}, SYSTEM)
    terms = {t for (t,) in TicketTerm.select(TicketTerm.term).where(TicketTerm.ticket == ticket.id).tuples()}
    assert terms == search.ticket_terms("发票开错了", "外箱压坏")
