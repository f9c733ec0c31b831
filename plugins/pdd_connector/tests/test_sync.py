"""Incremental sync and backfill against the real simulator over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

from gongdan import clock
from gongdan_pdd_connector import sync
from gongdan_pdd_connector.client import parse_time
from gongdan_pdd_connector.models import PddQuarantine, PddShop
from gongdan_pdd_connector.testing import connect_all, pdd_tickets, stored, truth


def _since(days: float) -> datetime:
    return clock.now() - timedelta(days=days)


def test_backfill_creates_one_ticket_per_record_and_a_second_run_adds_none(pdd_tenant, start_sim):
    sim = start_sim(shops=2, records=25)
    shops_ = connect_all(pdd_tenant, sim)
    runs = sync.sync_many(shops_, since=_since(0.2), kind="backfill")
    assert [r.status for r in runs] == ["done", "done"], [r.error for r in runs]
    expected = {str(r["id"]): r for r in truth(sim) if not r["malformed"]}
    mirror = stored(pdd_tenant)
    assert set(mirror) == set(expected)
    for after_sales_id, row in mirror.items():
        assert row.updated_time == parse_time(expected[after_sales_id]["updated_time"])
        assert row.status == expected[after_sales_id]["status"]
    tickets = pdd_tickets(pdd_tenant)
    assert len(tickets) == len(expected)
    assert {t.external_id for t in tickets} == set(expected)
    assert {t.channel for t in tickets} == {"pdd"}
    cursors = [PddShop.get_by_id(s.id).cursor for s in shops_]
    assert all(c is not None for c in cursors)

    again = sync.sync_many(shops_)
    assert [r.status for r in again] == ["done", "done"]
    assert sum(r.created for r in again) == 0
    assert len(pdd_tickets(pdd_tenant)) == len(expected)


def test_malformed_records_are_quarantined_and_the_rest_stored(pdd_tenant, start_sim):
    sim = start_sim(shops=1, records=10)
    (shop,) = connect_all(pdd_tenant, sim)
    for kind in ("non_numeric_status", "missing_order_sn", "unknown_status"):
        sim.control("POST", "records", {"owner_id": shop.owner_id, "count": 1, "malformed": kind})
    sim.set_clock(240)  # the new records, updated "now", fall behind the 3-minute lag
    run = sync.sync_shop(shop, since=_since(0.2))
    assert run.status == "done", run.error
    assert run.quarantined == 3
    entries = list(PddQuarantine.of(pdd_tenant))
    assert len(entries) == 3
    reasons = " | ".join(e.reason for e in entries)
    assert "order_sn is missing" in reasons
    assert "unknown after_sales_status" in reasons
    assert "not a number" in reasons
    good = [r for r in truth(sim) if not r["malformed"]]
    assert len(pdd_tickets(pdd_tenant)) == len(good)
