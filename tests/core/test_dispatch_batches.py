"""Hooks of ingested tickets fired by the worker in batches (`gongdan.dispatcher`, issue 15): pending
shown then cleared, one ticket's events in order, a raising plugin recorded and the others' work
kept, exactly once with two worker processes, and nothing lost nor fired twice when a worker is
killed mid-batch. SQLite and PostgreSQL."""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any

from gongdan import dispatcher, tickets
from gongdan.actors import Actor
from gongdan.hookspecs import hookimpl
from gongdan.models import PluginFailure, Ticket, TicketEvent
from gongdan.testing import run_released_together

SYSTEM = Actor.system("channel:test")

# a plugin that leaves a trace of each created ticket it saw, in the hooks' transaction
COUNTER = textwrap.dedent(
    """
    import os, signal
    from gongdan import tickets
    from gongdan.actors import Actor
    from gongdan.hookspecs import hookimpl

    class Counting:
        def __init__(self, kill_at=0):
            self.seen = 0
            self.kill_at = kill_at

        @hookimpl
        def gongdan_ticket_created(self, tenant, ticket, actor):
            tickets.record_event(tenant, ticket, "counting.saw", {"pid": os.getpid()}, Actor.system("plugin:counting"))
            self.seen += 1
            if self.seen == self.kill_at:  # dies mid-batch, its batch not committed
                os.kill(os.getpid(), signal.SIGKILL)
    """
)
namespace: dict[str, Any] = {}
exec(COUNTER, namespace)
Counting = namespace["Counting"]

WORKER = COUNTER + textwrap.dedent(
    """
    import sys
    from gongdan import dispatcher
    from gongdan.db import open_database
    from gongdan.models import Tenant
    from gongdan.plugins import get_host
    from gongdan.testing import wait_for_release

    url, slug, batch, kill_at = sys.argv[1:5]
    open_database(url)
    get_host().add(Counting(int(kill_at)), "counting")
    get_host().always_on.add("counting")
    tenant = Tenant.get(Tenant.slug == slug)
    wait_for_release()
    if sys.argv[5:] == ["finish"]:  # a command line's end: "events left"
        done = dispatcher.finish([tenant.id], send=False)
        print(done.events, done.left)
    else:
        print(dispatcher.dispatch_batches(tenant.id, int(batch)))
    """
)


def ingest(tenant: Any, count: int, prefix: str = "同步来的单") -> list[Ticket]:
    with tickets.ingesting():
        return [tickets.create(tenant, {"subject": f"{prefix} {i}"}, SYSTEM)[0] for i in range(count)]


def saw(ticket_ids: list[int]) -> Counter:
    rows = TicketEvent.select(TicketEvent.ticket).where(TicketEvent.kind == "counting.saw")
    return Counter(t for (t,) in rows.tuples() if t in set(ticket_ids))


def undelivered() -> int:
    return TicketEvent.select().where(TicketEvent.dispatched_at.is_null()).count()


def test_ingested_hooks_wait_for_the_worker_shown_pending_then_cleared(tenant, hook_recorder):
    (ticket,) = ingest(tenant, 1)
    interactive, _ = tickets.create(tenant, {"subject": "客服在等"}, SYSTEM)
    # the interactive create fired at once; the ingested one waits, and says so
    assert [c["ticket"].id for c in hook_recorder.calls("gongdan_ticket_created")] == [interactive.id]
    assert tickets.pending_work(tenant, [ticket.id, interactive.id]) == {ticket.id: ["hook-recorder"]}
    assert tickets.pending_work(tenant, [ticket.id]) == {ticket.id: ["hook-recorder"]}
    assert tickets.dispatch_mode() == "inline"  # the block is over
    assert dispatcher.dispatch_batches() == 1
    assert [c["ticket"].id for c in hook_recorder.calls("gongdan_ticket_created")] == [interactive.id, ticket.id]
    assert tickets.pending_work(tenant, [ticket.id]) == {}
    assert dispatcher.dispatch_batches() == 0
    assert undelivered() == 0


def test_the_create_argument_chooses_the_worker_too(tenant, hook_recorder):
    ticket, _ = tickets.create(tenant, {"subject": "导入的单"}, SYSTEM, dispatch="worker")
    assert hook_recorder.calls("gongdan_ticket_created") == []
    assert dispatcher.pending_count(tenant.id) == 1
    with tickets.ingesting():  # an explicit inline wins over the block
        tickets.create(tenant, {"subject": "立即"}, SYSTEM, dispatch="inline")
    assert len(hook_recorder.calls("gongdan_ticket_created")) == 1
    dispatcher.dispatch_batches(tenant.id)
    assert [c["ticket"].id for c in hook_recorder.calls("gongdan_ticket_created")][-1] == ticket.id


class Sequence:
    """Every hook call in order, with the subject the hook saw."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str]] = []

    @hookimpl
    def gongdan_ticket_created(self, ticket: Any) -> None:
        self.calls.append(("created", ticket.id, ticket.subject))

    @hookimpl
    def gongdan_ticket_updated(self, ticket: Any, changes: dict) -> None:
        self.calls.append(("updated", ticket.id, ticket.subject))

    @hookimpl
    def gongdan_ticket_status_changed(self, ticket: Any, new: str) -> None:
        self.calls.append((new, ticket.id, ticket.subject))


def test_one_tickets_events_fire_in_order_even_when_a_request_follows_the_ingestion(tenant, register_plugin):
    order = Sequence()
    register_plugin(order, "sequence")
    first, second = ingest(tenant, 2)
    with tickets.ingesting():
        tickets.update(tenant, first, {"subject": "同步改了标题"}, SYSTEM)
    # an agent acts on the ticket before the worker ran: its event waits behind the ingested ones
    tickets.transition(tenant, first, "open", Actor.system("agent"))
    assert order.calls == []
    assert tickets.pending_work(tenant, [first.id]) == {first.id: ["sequence"]}
    assert dispatcher.dispatch_batches(tenant.id, batch=2) == 4
    # (the hooks see the ticket as it is when they run, like any hook run after the commit)
    assert order.calls == [
        ("created", first.id, "同步改了标题"),
        ("created", second.id, "同步来的单 1"),
        ("updated", first.id, "同步改了标题"),
        ("open", first.id, "同步改了标题"),
    ]
    # once nothing of the ticket waits, a request fires its own event at once again
    tickets.transition(tenant, first, "resolved", Actor.system("agent"))
    assert order.calls[-1] == ("resolved", first.id, "同步改了标题")


class Failing:
    @hookimpl
    def gongdan_ticket_created(self, tenant: Any, ticket: Any) -> None:
        tickets.record_event(tenant, ticket, "failing.half", {}, SYSTEM)  # rolled back with its savepoint
        raise RuntimeError("this plugin is broken")


def test_a_raising_plugin_is_recorded_and_the_others_work_is_kept(tenant, register_plugin):
    register_plugin(Counting(), "counting")
    register_plugin(Failing(), "failing")
    made = ingest(tenant, 5)
    assert dispatcher.dispatch_batches(tenant.id, batch=2) == 5
    assert saw([t.id for t in made]) == Counter({t.id: 1 for t in made})
    assert TicketEvent.select().where(TicketEvent.kind == "failing.half").count() == 0
    failures = PluginFailure.select().where(PluginFailure.plugin == "failing")
    assert [f.hook for f in failures] == ["gongdan_ticket_created"] * 5
    assert undelivered() == 0


def test_two_worker_processes_fire_each_event_once(tenant, register_plugin, gongdan_database_url, tmp_path):
    register_plugin(Counting(), "counting")  # so that the events are written waiting for a listener
    made = ingest(tenant, 120)
    workers = run_released_together(WORKER, [[gongdan_database_url, tenant.slug, 10, 0]] * 2, tmp_path)
    assert [w.returncode for w in workers] == [0, 0], [w.stderr[-2000:] for w in workers]
    assert sum(int(w.last_line()) for w in workers) == len(made)
    assert saw([t.id for t in made]) == Counter({t.id: 1 for t in made})
    assert undelivered() == 0


def test_a_command_lines_finish_fires_only_its_tenants_and_counts_tickets(tenant, other_tenant, register_plugin):
    register_plugin(Counting(), "counting")
    made = ingest(tenant, 3)
    ingest(other_tenant, 2)
    batches = []
    done = dispatcher.finish([tenant.id], on_batch=batches.append)
    assert (done.events, done.tickets, done.left, done.sent) == (3, 3, 0, 0)
    assert [len(b) for b in batches] == [3]
    assert saw([t.id for t in made]) == Counter({t.id: 1 for t in made})
    assert dispatcher.pending_count(tenant.id) == 0
    assert dispatcher.pending_count(other_tenant.id) == 2  # not this command's tenant
    assert done.summary() == "fired the plugins' work for 3 tickets (3 events)"


def test_a_command_lines_report_shows_a_bar_over_several_batches(tenant, register_plugin, capsys):
    register_plugin(Counting(), "counting")
    count = dispatcher.BATCH + 1
    ingest(tenant, count)
    dispatcher.finish_and_report([tenant.id])
    out, err = capsys.readouterr()
    assert f"plugins' work:   0%|          | 0/{count} " in err  # tqdm's bar, on standard error
    assert out.strip() == f"fired the plugins' work for {count} tickets ({count} events)"


def test_a_finish_beside_a_running_worker_fires_each_event_once_and_leaves_nothing(
    tenant, register_plugin, gongdan_database_url, tmp_path
):
    register_plugin(Counting(), "counting")
    made = ingest(tenant, 120)
    argv = [gongdan_database_url, tenant.slug, 10, 0]
    worker, command = run_released_together(WORKER, [argv, [*argv, "finish"]], tmp_path)
    assert (worker.returncode, command.returncode) == (0, 0), (worker.stderr[-2000:], command.stderr[-2000:])
    events, left = map(int, command.last_line().split())
    assert left == 0  # it waited for the batch the worker held (PostgreSQL skips a held tenant)
    assert int(worker.last_line()) + events == len(made)
    assert saw([t.id for t in made]) == Counter({t.id: 1 for t in made})
    assert undelivered() == 0


def test_a_worker_killed_mid_batch_loses_nothing_and_fires_nothing_twice(
    tenant, register_plugin, gongdan_database_url, tmp_path
):
    counting = Counting()
    register_plugin(counting, "counting")
    made = ingest(tenant, 50)
    # batches of 20: the first two commit, the third dies at its 5th event
    (worker,) = run_released_together(WORKER, [[gongdan_database_url, tenant.slug, 20, 45]], tmp_path)
    assert worker.returncode == -9, worker.stderr[-2000:]
    ids = [t.id for t in made]
    assert sum(saw(ids).values()) == 40
    assert undelivered() == 10
    assert dispatcher.dispatch_batches(tenant.id) == 10
    assert counting.seen == 10
    assert saw(ids) == Counter({t: 1 for t in ids})
    assert undelivered() == 0


def test_the_api_and_the_console_show_the_plugins_work_pending_until_dispatched(
    tenant, enable_plugin, admin_api, console_client
):
    enable_plugin("assignment")
    enable_plugin("sla")
    (ticket,) = ingest(tenant, 1)
    shown = admin_api.get(f"/api/v1/tickets/{ticket.id}").get_json()
    assert (shown["hooks_pending"], shown["pending"]) == (True, ["assignment", "sla"])
    listed = admin_api.get("/api/v1/tickets").get_json()["items"]
    assert [(t["id"], t["pending"]) for t in listed] == [(ticket.id, ["assignment", "sla"])]
    zh = console_client("agent", language="zh_CN")
    en = console_client("agent", language="en")
    assert "分配中 · SLA 待计算" in zh.text(f"/console/tickets/{ticket.id}")
    assert "assigning · SLA being calculated" in en.text(f"/console/tickets/{ticket.id}")
    assert not TicketEvent.select().where(TicketEvent.kind == "assignment.waiting").exists()
    dispatcher.dispatch_batches()
    shown = admin_api.get(f"/api/v1/tickets/{ticket.id}").get_json()
    assert (shown["hooks_pending"], shown["pending"]) == (False, [])
    waited = TicketEvent.select().where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "assignment.waiting"))
    assert waited.count() == 1  # the assignment plugin ran: nobody online, the ticket joined the queue
    assert 'id="hooks-pending"' not in zh.text(f"/console/tickets/{ticket.id}")


def test_a_late_request_dispatch_does_not_fire_what_the_worker_fired(tenant, hook_recorder):
    # the request's after-commit dispatch runs late (e.g. its process paused) after the worker took the event
    (ticket,) = ingest(tenant, 1)
    [event] = TicketEvent.select().where(TicketEvent.ticket == ticket.id)
    assert dispatcher.dispatch_batches() == 1
    tickets._dispatch_now([event], tenant, {ticket.id: ticket})
    assert [c["ticket"].id for c in hook_recorder.calls("gongdan_ticket_created")] == [ticket.id]
    # and the other way round: what a request fired, the worker and reconciliation leave alone
    tickets.create(tenant, {"subject": "客服在等"}, SYSTEM)
    assert dispatcher.dispatch_batches() == 0
    assert len(hook_recorder.calls("gongdan_ticket_created")) == 2


def test_the_worker_job_core_dispatch_runs_every_two_seconds_and_fires_the_waiting_events(tenant, hook_recorder):
    from gongdan import scheduler
    from gongdan.plugins import get_host

    job = next(j for j in scheduler.jobs(get_host()) if j.id == "core.dispatch")
    assert job.period_seconds == dispatcher.INTERVAL_SECONDS == 2
    made = ingest(tenant, 3)
    assert scheduler.run_job(job)
    assert [c["ticket"].id for c in hook_recorder.calls("gongdan_ticket_created")] == [t.id for t in made]
    assert undelivered() == 0
