"""Scheduled jobs: one run per slot however many workers run at once."""

import itertools
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta

import pytest

from gongdan import clock, scheduler
from gongdan.contributions import ScheduledJob
from gongdan.models import JobRun, SystemSetting
from gongdan.plugins import get_host
from gongdan.schema import upgrade

WORKER = textwrap.dedent(
    """
    import sys, time, uuid
    from gongdan.db import open_database
    from gongdan.contributions import ScheduledJob
    from gongdan.hookspecs import hookimpl
    from gongdan.models import SystemSetting
    from gongdan.plugins import get_host
    from gongdan import clock, scheduler

    open_database(sys.argv[1])

    def tick():
        SystemSetting.create(key=f"run-{uuid.uuid4()}", value=clock.now().isoformat())
        time.sleep(0.2)

    class Ticker:
        @hookimpl
        def gongdan_scheduled_jobs(self):
            return ScheduledJob(id="test.tick", func=tick, seconds=1)

    host = get_host()
    host.add(Ticker(), "ticker")
    runner = scheduler.build(host, blocking=False)
    runner.start()
    time.sleep(float(sys.argv[2]))
    runner.shutdown(wait=True)
    """
)


@pytest.mark.slow
def test_two_workers_run_each_slot_once(gongdan_db, gongdan_database_url):
    env = {**os.environ, "GONGDAN_DISABLE_PLUGIN_AUTOLOAD": "1"}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, gongdan_database_url, "5.5"], env=env) for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=60) == 0
    starts = sorted(
        datetime.fromisoformat(row.value) for row in SystemSetting.select().where(SystemSetting.key.startswith("run-"))
    )
    # two workers ticking every second for 5.5 s: the job runs, and never twice in one slot — no
    # start within SLOT_FRACTION of a period after the one before, whichever worker made it (a
    # count of runs depends on how far apart a loaded machine started the two workers)
    assert len(starts) >= 3, starts
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= scheduler.SLOT_FRACTION * 1, gaps
    assert JobRun.get(JobRun.job_id == "test.tick").runs == len(starts)


def test_run_job_skips_a_slot_already_run_and_records_errors(gongdan_db, frozen_clock):
    calls = []
    job = ScheduledJob(id="test.once", func=lambda: calls.append(clock.now()), seconds=30)
    assert scheduler.run_job(job) is True
    assert scheduler.run_job(job) is False
    frozen_clock.advance(seconds=20)
    assert scheduler.run_job(job) is True
    assert len(calls) == 2

    def explode():
        raise RuntimeError("sweep failed")

    failing = ScheduledJob(id="test.fail", func=explode, seconds=30)
    assert scheduler.run_job(failing) is True
    assert "sweep failed" in JobRun.get(JobRun.job_id == "test.fail").last_error


def test_core_registers_the_reconciliation_job(gongdan_db):
    upgrade(get_host())
    ids = [job.id for job in scheduler.jobs(get_host())]
    assert "core.reconcile" in ids
    built = scheduler.build(get_host(), blocking=False)
    assert {j.id for j in built.get_jobs()} == set(ids)
    assert timedelta(seconds=60) == built.get_job("core.reconcile").trigger.interval
