"""Rollups against an independent count of the same tickets: day boundaries in the tenant's zone,
reattribution when a ticket changes, reopen, idempotent refresh and a full rebuild."""

from __future__ import annotations

from datetime import date
from typing import Any

from click.testing import CliRunner
from gongdan_analytics import reports, rollup
from gongdan_analytics.cli import analytics as group
from gongdan_analytics.models import Backlog, Daily, Hourly
from gongdan_analytics.periods import Period
from peewee import fn

from gongdan import accounts, categories, tickets
from gongdan.actors import Actor
from gongdan.models import Ticket, TicketEvent

from .conftest import CUSTOMER

DAY1, DAY2 = date(2026, 11, 1), date(2026, 11, 2)


def snapshot(tenant: Any) -> list[tuple]:
    daily = Daily.select(Daily.day, Daily.dim, Daily.value, Daily.metric, Daily.count, Daily.total).where(
        (Daily.tenant == tenant) & (Daily.count != 0)
    )
    backlog = Backlog.select(Backlog.dim, Backlog.value, Backlog.day, Backlog.count).where(Backlog.tenant == tenant)
    hourly = Hourly.select(Hourly.hour, Hourly.channel, Hourly.count).where(
        (Hourly.tenant == tenant) & (Hourly.count != 0)
    )
    return sorted(
        [("d", str(r[0]), *r[1:4], r[4], round(r[5], 3)) for r in daily.tuples()]
        + [("b", *map(str, r)) for r in backlog.tuples()]
        + [("h", str(r[0]), r[1], r[2]) for r in hourly.tuples()]
    )


def scenario(tenant: Any, at: Any, new_ticket: Any, counted: Any) -> tuple[Ticket, Ticket, Any]:
    """Two tickets' lives over two days, the catch-up job running between the steps (so counts are
    moved as well as made); the last step is counted too."""
    agent = accounts.create_user(tenant, "li@acme.example.com", "agent", "李娜", "pw-123456789")
    at(2026, 11, 1, 23, 30)
    a = new_ticket("破损", channel="web", category="售后/退货退款/质量问题", tags=["破损"], priority="high")
    counted()
    at(2026, 11, 2, 0, 30)  # 2026-11-01 16:30 UTC: a Monday ticket in Shanghai
    b = new_ticket("催发货", channel="email")
    at(2026, 11, 2, 9, 0)
    tickets.comment(tenant, a, "您好，已为您处理", Actor.of(agent))
    counted()
    at(2026, 11, 2, 10, 0)
    tickets.transition(tenant, Ticket.get_by_id(a.id), "resolved", Actor.of(agent))
    at(2026, 11, 2, 11, 0)
    tickets.comment(tenant, Ticket.get_by_id(a.id), "还是不行", CUSTOMER, from_customer=True)
    counted()
    at(2026, 11, 2, 12, 0)
    tickets.transition(tenant, Ticket.get_by_id(a.id), "resolved", Actor.of(agent))
    categories.ensure(tenant, "物流/配送/物流停滞")
    tickets.update(tenant, Ticket.get_by_id(b.id), {"category": "物流/配送/物流停滞"}, Actor.of(agent))
    tickets.assign(tenant, Ticket.get_by_id(b.id), agent.id, Actor.of(agent))
    counted()
    return Ticket.get_by_id(a.id), Ticket.get_by_id(b.id), agent


def test_figures_match_the_tickets(analytics: Any, tenant: Any, at: Any, new_ticket: Any, counted: Any) -> None:
    _a, _b, _agent = scenario(tenant, at, new_ticket, counted)
    monday = reports.summary(tenant, Period(DAY2, DAY2), "channel")
    by = {row["value"]: row for row in monday["items"]}
    assert by["email"]["created"] == 1  # 00:30 Shanghai counts on Monday, not on Sunday (UTC)
    assert by["web"]["created"] == 0
    assert by["web"]["previous_created"] == 1
    assert by["web"]["first_response"] == {"count": 1, "avg_minutes": 570.0}  # 23:30 → 09:00
    assert by["web"]["resolved"] == 1
    assert by["web"]["resolution"]["avg_minutes"] == 750.0
    assert by["web"]["reopen_rate"] == 1.0
    assert monday["total"]["created"] == 1
    assert monday["previous_total"]["created"] == 1
    sunday = reports.summary(tenant, Period(DAY1, DAY1), "problem")
    assert [(r["value"], r["created"]) for r in sunday["items"]] == [("售后/退货退款/质量问题", 1)]
    both = reports.summary(tenant, Period(DAY1, DAY2), "problem")
    oracle: dict[str, int] = {}
    for ticket in Ticket.of(tenant):
        path = ticket.category.path if ticket.category else ""
        oracle[path] = oracle.get(path, 0) + 1
    assert {r["value"]: r["created"] for r in both["items"]} == oracle  # b moved to its new category
    agents = reports.summary(tenant, Period(DAY1, DAY2), "agent")
    assert {r["label"]: r["created"] for r in agents["items"]} == {"李娜": 1, None: 1}
    backlog = reports.backlog(tenant, "scene")
    assert [(r["value"], r["open"], r["avg_age_days"]) for r in backlog["items"]] == [("物流/配送", 1, 0.0)]


def test_refresh_is_idempotent_and_rebuild_agrees(
    analytics: Any, tenant: Any, at: Any, new_ticket: Any, counted: Any
) -> None:
    a, b, _ = scenario(tenant, at, new_ticket, counted)
    before = snapshot(tenant)
    assert rollup.refresh(tenant, [a.id, b.id]) == 0  # counted twice: nothing changes
    assert snapshot(tenant) == before
    rollup.rebuild(tenant)
    assert snapshot(tenant) == before
    rollup.rebuild(tenant, DAY2)
    assert snapshot(tenant) == before


def test_tickets_are_counted_by_the_job_not_the_request(analytics: Any, tenant: Any, at: Any, new_ticket: Any) -> None:
    def created() -> int:
        return reports.summary(tenant, Period(DAY2, DAY2), "channel")["total"]["created"]

    new_ticket("无人处理", channel="web")
    assert created() == 0  # creating a ticket counts nothing in the request
    assert rollup.counted_at(tenant) is None
    assert rollup.catch_up(tenant) == 1
    assert created() == 1
    assert rollup.counted_at(tenant) == at(2026, 11, 2, 10, 0)
    assert rollup.catch_up(tenant) == 0  # idempotent


def test_the_watermark_stays_behind_events_that_may_still_commit(
    analytics: Any, tenant: Any, at: Any, new_ticket: Any
) -> None:
    """Ids of events newer than SETTLE_SECONDS are not final on PostgreSQL (one with a lower id may
    commit later): the next run looks at them again; older ones are never read twice."""
    from gongdan_analytics.models import Fact, Watermark

    first = new_ticket("早的", channel="web")
    at(2026, 11, 2, 10, 1)
    rollup.catch_up(tenant)
    settled = Watermark.get(Watermark.tenant == tenant).event_id
    assert settled >= TicketEvent.select(fn.MAX(TicketEvent.id)).where(TicketEvent.ticket == first.id).scalar()
    late = new_ticket("晚的", channel="email")
    at(2026, 11, 2, 10, 1, 20)  # 20 s later: the new ticket's events are not settled yet
    assert rollup.catch_up(tenant) == 1
    assert Watermark.get(Watermark.tenant == tenant).event_id == settled
    Fact.delete().where(Fact.ticket.in_([first.id, late.id])).execute()  # forget both tickets' counts
    assert rollup.catch_up(tenant) == 1  # only the unsettled one is read again
    at(2026, 11, 2, 10, 2)
    assert rollup.catch_up(tenant) == 0
    assert Watermark.get(Watermark.tenant == tenant).event_id > settled
    Fact.delete().where(Fact.ticket == late.id).execute()
    assert rollup.catch_up(tenant) == 0  # settled: never read again


def test_catch_up_reads_in_batches_until_done(analytics: Any, tenant: Any, new_ticket: Any) -> None:
    for n in range(5):
        new_ticket(f"第 {n} 张", channel="web")
    assert rollup.catch_up(tenant, limit=2) == 5
    assert reports.summary(tenant, Period(DAY2, DAY2), "channel")["total"]["created"] == 5


def test_cli_rebuild_and_unknown_tenant(analytics: Any, tenant: Any, new_ticket: Any) -> None:
    new_ticket("一张", channel="web")
    assert reports.summary(tenant, Period(DAY2, DAY2), "channel")["total"]["created"] == 0
    done = CliRunner().invoke(group, ["rebuild", "--tenant", tenant.slug])
    assert done.exit_code == 0
    assert done.output.strip() == "1 tickets recounted"
    assert reports.summary(tenant, Period(DAY2, DAY2), "channel")["total"]["created"] == 1
    unknown = CliRunner().invoke(group, ["catch-up", "--tenant", "nope"])
    assert unknown.exit_code == 2
    assert "no tenant 'nope'" in unknown.output
