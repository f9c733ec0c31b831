"""Incremental sync and backfill against the real simulator over HTTP."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from gongdan_pdd_connector import shops, sync
from gongdan_pdd_connector.client import parse_time
from gongdan_pdd_connector.models import PddQuarantine, PddShop
from gongdan_pdd_connector.testing import connect_all, pdd_tickets, stored, truth

from gongdan import clock


def _since(days: float) -> datetime:
    return clock.now() - timedelta(days=days)


def test_backfill_creates_one_ticket_per_record_and_a_second_run_adds_none(pdd_tenant, start_sim):
    sim = start_sim(shops=2, records=15)
    connected = connect_all(pdd_tenant, sim)
    runs = sync.sync_many(connected, since=_since(0.2), kind="backfill")
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
    cursors = [PddShop.get_by_id(s.id).cursor for s in connected]
    assert all(c is not None for c in cursors)

    again = sync.sync_many(connected)
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


def _records_all_current(tenant, sim) -> list[str]:
    """Ids whose stored version differs from the simulator's truth (should be none)."""
    mirror = stored(tenant)
    wrong = []
    for record in truth(sim):
        if record["malformed"]:
            continue
        row = mirror.get(str(record["id"]))
        if row is None or row.updated_time != parse_time(record["updated_time"]) or row.status != record["status"]:
            wrong.append(str(record["id"]))
    return wrong


def test_records_moving_between_pages_mid_sync_are_neither_missed_nor_doubled(pdd_tenant, start_sim):
    # ~250 records within one window: three pages, read slowly while records keep changing
    # (rate limits off on both sides: this test is about paging, and must stay fast)
    sim = start_sim(shops=1, records=210, spread_days=0.012, no_rate_limit=True)
    (shop,) = connect_all(pdd_tenant, sim)
    sim.set_clock(240)
    sim.control("POST", "faults", {"slow_ms": 150, "apis": ["pdd.refund.list.increment.get"]})
    stop = threading.Event()
    moved: list[dict] = []

    def churn():
        while not stop.is_set():
            moved.extend(sim.control("POST", "mutate", {"count": 3})["changed"])
            time.sleep(0.05)

    mover = threading.Thread(target=churn)
    mover.start()
    try:
        run = sync.sync_shop(shop, since=_since(0.05), client=shops.client_for(shop, limiter=None))
    finally:
        stop.set()
        mover.join()
    assert run.status == "done", run.error
    assert len(moved) > 10
    # every record not moved during the read is stored in its current version
    moved_ids = {str(r["id"]) for r in moved}
    stale = [i for i in _records_all_current(pdd_tenant, sim) if i not in moved_ids]
    assert stale == []
    # the moved ones come with the next windows, once they are 3 minutes old on the gateway clock
    sim.control("POST", "faults", {})
    sim.set_clock(480)
    again = sync.sync_shop(shop, client=shops.client_for(shop, limiter=None))
    assert again.status == "done", again.error
    assert _records_all_current(pdd_tenant, sim) == []
    tickets = pdd_tickets(pdd_tenant)
    assert len(tickets) == len({t.external_id for t in tickets}) == len([r for r in truth(sim) if not r["malformed"]])


def test_injected_faults_are_retried_and_nothing_is_lost(pdd_tenant, start_sim):
    sim = start_sim(shops=1, records=20)
    (shop,) = connect_all(pdd_tenant, sim)
    sim.control("POST", "faults", {"error_code": 52101, "rate": 0.25})
    run = sync.sync_shop(shop, since=_since(0.2))
    assert run.status == "done", run.error
    assert _records_all_current(pdd_tenant, sim) == []
    stats = sim.control("GET", "stats")
    assert "52101" in str(stats)


def test_dropped_connections_and_system_errors_are_retried(pdd_tenant, start_sim):
    sim = start_sim(shops=1, records=20)
    (shop,) = connect_all(pdd_tenant, sim)
    sim.control("POST", "faults", {"error_code": 50000, "rate": 0.15, "drop_rate": 0.1})
    run = sync.sync_shop(shop, since=_since(0.2))
    assert run.status == "done", run.error
    assert _records_all_current(pdd_tenant, sim) == []


def test_permission_error_fails_clearly_and_keeps_the_cursor(pdd_tenant, start_sim):
    sim = start_sim(shops=1, records=10)
    (shop,) = connect_all(pdd_tenant, sim)
    sim.control("POST", "faults", {"error_code": 20031, "rate": 1.0, "apis": ["pdd.refund.list.increment.get"]})
    run = sync.sync_shop(shop, since=_since(0.2))
    assert run.status == "failed"
    assert "20031" in run.error
    assert "permission" in run.error
    fresh = PddShop.get_by_id(shop.id)
    assert fresh.cursor is None
    assert fresh.auth_status == "error"
    assert "permission" in fresh.auth_error
    assert pdd_tickets(pdd_tenant) == []


def test_wrong_secret_is_a_signature_error_not_retried(pdd_tenant, start_sim):
    sim = start_sim(shops=1, records=5)
    (shop,) = connect_all(pdd_tenant, sim, client_secret="not-the-secret")
    run = sync.sync_shop(shop, since=_since(0.2))
    assert run.status == "failed"
    assert "20004" in run.error
    assert run.calls <= 2


def test_expired_token_is_refreshed_and_the_call_retried(pdd_tenant, start_sim):
    sim = start_sim(shops=1, records=15, token_ttl=120)
    (shop,) = connect_all(pdd_tenant, sim)
    old_token = sim.shops[0]["access_token"]
    sim.set_clock(300)  # the token expired on the gateway's clock
    run = sync.sync_shop(shop, since=_since(0.2))
    assert run.status == "done", run.error
    fresh = PddShop.get_by_id(shop.id)
    assert fresh.access_token != old_token
    assert fresh.access_expires_at is not None
    assert fresh.auth_status == "authorized"
    assert _records_all_current(pdd_tenant, sim) == []


def test_windows_follow_the_gateway_clock_not_ours(pdd_tenant, start_sim):
    sim = start_sim(shops=1, records=10)
    (shop,) = connect_all(pdd_tenant, sim)
    sim.set_clock(-420)  # the gateway is 7 minutes behind us: still inside the 10-minute tolerance
    run = sync.sync_shop(shop, since=_since(0.2))
    assert run.status == "done", run.error
    fresh = PddShop.get_by_id(shop.id)
    assert -440 < fresh.clock_offset < -400
    gateway_now = clock.now() + timedelta(seconds=fresh.clock_offset)
    assert fresh.cursor <= gateway_now - timedelta(minutes=3)
    assert fresh.cursor >= gateway_now - timedelta(minutes=3, seconds=30)


def test_expire_time_is_announced_as_a_deadline_once(pdd_tenant, start_sim, hook_recorder):
    sim = start_sim(shops=1, records=20)
    (shop,) = connect_all(pdd_tenant, sim)
    assert sync.sync_shop(shop, since=_since(0.2)).status == "done"
    calls = hook_recorder.calls("gongdan_deadline_announced")
    waiting = [r for r in truth(sim) if r["status"] in (2, 3, 14, 21, 32, 33)]
    assert waiting, "the seeded data has records waiting for the merchant"
    assert {c["ticket"].external_id for c in calls} == {str(r["id"]) for r in waiting}
    assert {(c["kind"], c["source"]) for c in calls} == {("resolution", "pdd_connector")}
    assert all(c["due_at"] > clock.now() for c in calls)
    for after_sales_id, row in stored(pdd_tenant).items():
        if row.status in (2, 3):
            assert row.expire_time is not None, after_sales_id
    sim.set_clock(240)
    sync.sync_shop(shop)
    assert len(hook_recorder.calls("gongdan_deadline_announced")) == len(calls)


def test_cli_backfill_with_progress(pdd_tenant, start_sim, gongdan_database_url):
    import os
    import subprocess
    import sys

    sim = start_sim(shops=1, records=15)
    (shop,) = connect_all(pdd_tenant, sim)
    env = dict(os.environ, GONGDAN_DATABASE_URL=gongdan_database_url)
    gongdan = os.path.join(os.path.dirname(sys.executable), "gongdan")
    command = [gongdan, "pdd", "sync", "--shop", shop.owner_id, "--since", "1d"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"shop {shop.owner_id}: done" in done.stdout
    assert "window" in done.stderr  # the tqdm progress bar
    assert len(pdd_tickets(pdd_tenant)) == len([r for r in truth(sim) if not r["malformed"]])
    missing = subprocess.run(
        [gongdan, "pdd", "sync", "--shop", "nope"], capture_output=True, text=True, env=env, timeout=60
    )
    assert missing.returncode != 0
    assert "no shop" in missing.stderr


def test_scheduled_jobs_refresh_tokens_before_expiry_and_sync_due_shops(pdd_tenant, start_sim):
    from gongdan_pdd_connector import jobs

    sim = start_sim(shops=2, records=5)
    connected = connect_all(pdd_tenant, sim)
    soon, later = clock.now() + timedelta(minutes=10), clock.now() + timedelta(days=1)
    PddShop.update(access_expires_at=soon).where(PddShop.id == connected[0].id).execute()
    PddShop.update(access_expires_at=later).where(PddShop.id == connected[1].id).execute()
    assert jobs.refresh_tokens() == 1
    refreshed, untouched = (PddShop.get_by_id(s.id) for s in connected)
    assert refreshed.access_token != sim.shops[0]["access_token"]
    assert refreshed.access_expires_at > soon
    assert untouched.access_token == sim.shops[1]["access_token"]

    assert jobs.sync_due() == 2  # never synced: both due
    assert jobs.sync_due() == 0  # synced a moment ago
    assert all(PddShop.get_by_id(s.id).cursor is not None for s in connected)
    assert len(pdd_tickets(pdd_tenant)) == len([r for r in truth(sim) if not r["malformed"]])
