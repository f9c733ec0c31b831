"""SQLite under concurrent work: the reconciliation job and web writes at once, no "database is locked"."""

import threading
import time

from gongdan import accounts, reconcile, scheduler
from gongdan.actors import Actor
from gongdan.models import JobRun, PluginFailure, TicketEvent
from gongdan.plugins import get_host
from gongdan.tickets import create

ROUNDS = 12
WRITERS = 2


def test_reconciliation_job_runs_while_the_web_writes(app, tenant, hook_recorder, frozen_clock):
    tenants = [tenant] + [accounts.create_tenant(f"shop{n}", f"店铺{n}") for n in range(3)]
    first = [create(each, {"subject": "起始工单", "channel": "api"}, Actor.system("test"))[0].id for each in tenants]
    replayed = TicketEvent.ticket.in_(first)
    job = next(j for j in scheduler.jobs(get_host()) if j.id == "core.reconcile")
    stop = threading.Event()
    errors: list[BaseException] = []
    created = [0] * WRITERS

    def web(slot: int) -> None:
        try:
            while not stop.is_set():
                create(tenants[slot], {"subject": f"并发写入 {created[slot]}", "channel": "api"}, Actor.system("web"))
                created[slot] += 1
                time.sleep(0.002)
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=web, args=(slot,)) for slot in range(WRITERS)]
    for thread in writers:
        thread.start()
    ran = 0
    try:
        for _ in range(ROUNDS):
            # each tenant's first event undelivered and past the grace period: every tenant's round writes
            TicketEvent.update(dispatched_at=None).where(replayed).execute()
            frozen_clock.advance(seconds=reconcile.GRACE.total_seconds() * 2)
            ran += scheduler.run_job(job)
            frozen_clock.advance(seconds=job.period_seconds)
    finally:
        stop.set()
        for thread in writers:
            thread.join(timeout=60)
    assert errors == []
    assert min(created) > 0
    assert ran == ROUNDS
    assert JobRun.get(JobRun.job_id == "core.reconcile").last_error is None
    assert [(f.plugin, f.hook, f.error) for f in PluginFailure.select()] == []
    assert TicketEvent.select().where(replayed & TicketEvent.dispatched_at.is_null()).count() == 0
