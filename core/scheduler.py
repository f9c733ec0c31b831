"""Running the scheduled jobs of the core and the plugins (APScheduler).

Several workers may run at once (several machines): a job slot runs once in total, because
each run takes the installation-wide lock of the job and then claims the slot in `JobRun`.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from dataclasses import replace
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from gongdan import clock
from gongdan.contributions import ScheduledJob
from gongdan.locks import try_lock
from gongdan.models import JobRun
from gongdan.plugins import CORE, PluginHost, get_host

log = logging.getLogger("gongdan.scheduler")

SLOT_FRACTION = 0.5


def runner_name() -> str:
    """`host:pid` of this process, recorded on the runs it makes."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(job: ScheduledJob) -> bool:
    """Run `job` unless another worker holds it or already ran this slot; True if it ran."""
    with try_lock(f"job:{job.id}") as got:
        if not got:
            return False
        row, _ = JobRun.get_or_create(job_id=job.id)
        now = clock.now()
        if row.last_started_at and (now - row.last_started_at).total_seconds() < job.period_seconds * SLOT_FRACTION:
            return False
        JobRun.update(last_started_at=now, runner=runner_name(), runs=JobRun.runs + 1).where(
            JobRun.id == row.id
        ).execute()
        error = None
        try:
            job.func()
        except Exception as exc:  # noqa: BLE001 - recorded like a hook's failure, the next slot runs
            error = traceback.format_exc()
            get_host().record_failure(job.plugin or CORE, None, f"job {job.id}", exc)
        JobRun.update(last_finished_at=clock.now(), last_error=error).where(JobRun.id == row.id).execute()
        return True


def jobs(host: PluginHost) -> list[ScheduledJob]:
    """Every job the core and the loaded plugins register, by id, each knowing its plugin."""
    found = (replace(job, plugin=job.plugin or plugin) for plugin, job in host.collect("gongdan_scheduled_jobs"))
    return sorted(found, key=lambda j: j.id)


def _trigger(job: ScheduledJob) -> Any:
    if job.cron:
        return CronTrigger(**job.cron)
    return IntervalTrigger(seconds=job.period_seconds)


def build(host: PluginHost, *, blocking: bool) -> BackgroundScheduler | BlockingScheduler:
    """A scheduler with every registered job (not started)."""
    scheduler = BlockingScheduler() if blocking else BackgroundScheduler(daemon=True)
    for job in jobs(host):
        scheduler.add_job(
            run_job,
            _trigger(job),
            args=[job],
            id=job.id,
            name=job.description or job.id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(5, int(job.period_seconds)),
        )
    return scheduler
