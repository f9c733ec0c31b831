"""L7: a sync run whose process was killed (`kill -9`) does not stay `running` forever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

from gongdan_pdd_connector import shops, sync
from gongdan_pdd_connector.models import PddSyncRun
from gongdan_pdd_connector.testing import connect_all

from gongdan import clock
from gongdan.reconcile import reconcile_tenant
from gongdan.testing import wait_until_unlocked

# a worker that takes the shop's lock, starts a run, then hangs until it is killed
CRASHING_WORKER = textwrap.dedent(
    """
    import sys, time
    from gongdan.db import open_database
    from gongdan.locks import try_lock
    from gongdan_pdd_connector import sync
    from gongdan_pdd_connector.models import PddShop, PddSyncRun

    open_database(sys.argv[1])
    shop = PddShop.get_by_id(int(sys.argv[2]))
    with try_lock(sync._lock_name(shop)) as got:
        assert got
        PddSyncRun.create(tenant=shop.tenant_id, shop=shop, kind="increment")
        print("running", flush=True)
        time.sleep(600)
    """
)


def _crashed_run(shop, database_url: str) -> subprocess.Popen:
    worker = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WORKER, database_url, str(shop.id)], stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout.readline().strip() == "running"
    return worker


def _kill(worker: subprocess.Popen, shop) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    wait_until_unlocked(sync._lock_name(shop))


def test_the_next_sync_marks_a_killed_run_failed_as_interrupted(pdd_tenant, start_sim, gongdan_database_url):
    sim = start_sim(shops=1, records=5, no_rate_limit=True)
    (shop,) = connect_all(pdd_tenant, sim)
    worker = _crashed_run(shop, gongdan_database_url)
    try:
        (left,) = PddSyncRun.select().where(PddSyncRun.shop == shop.id)
        assert left.status == "running"
        reconcile_tenant(pdd_tenant)  # through the plugin's gongdan_reconcile hook
        assert PddSyncRun.get_by_id(left.id).status == "running"  # alive and holding the lock: left alone
    finally:
        _kill(worker, shop)

    run = sync.sync_shop(shop, since=clock.now() - timedelta(days=0.2), client=shops.client_for(shop, limiter=None))
    assert run.status == "done", run.error
    left = PddSyncRun.get_by_id(left.id)
    assert (left.status, left.error) == ("failed", sync.INTERRUPTED)
    assert left.finished_at is not None


def test_the_reconciliation_marks_a_killed_run_failed(pdd_tenant, start_sim, gongdan_database_url):
    sim = start_sim(shops=1, records=5, no_rate_limit=True)
    (shop,) = connect_all(pdd_tenant, sim)
    _kill(_crashed_run(shop, gongdan_database_url), shop)
    assert sync.reconcile(pdd_tenant) == 1
    (left,) = PddSyncRun.select().where(PddSyncRun.shop == shop.id)
    assert (left.status, left.error) == ("failed", "interrupted")
    assert sync.reconcile(pdd_tenant) == 0
