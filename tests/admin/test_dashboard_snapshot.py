"""The dashboard counted from its in-memory snapshot, brought up to date by the changed tickets,
gives the figures the SQL of `gongdan.admin.stats` counts, after any mix of changes and for a
viewer limited by team visibility (both databases); SLA attainment of a big tenant is computed
in the background, pending meanwhile, and so are the response times while a big tenant's
snapshot is first built."""

from __future__ import annotations

import random
import re
import threading
import time

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.admin import dashboard_snapshot, stats, urgency
from gongdan.hookspecs import hookimpl
from gongdan.models import DashboardSnapshot, Team, Tenant, Ticket, User

SYSTEM = Actor.system("test")


def _sql_figures(tenant, actor=None):
    return {
        "per_day": stats.tickets_per_day(tenant, actor=actor),
        "backlog": stats.backlog(tenant, actor),
        "times": stats.response_times(tenant, actor=actor),
    }


def _shown(figures):
    return {name: figures[name] for name in ("per_day", "backlog", "times")}


def test_the_snapshot_follows_changes_as_the_sql_counts(tenant, make_user, frozen_clock):
    rng = random.Random(16)
    teams = [Team.create(tenant=tenant, name=name) for name in ("售后组", "售前组")]
    agent = User.get_by_id(make_user("agent")[0].id)
    User.update(team=teams[0].id).where(User.id == agent.id).execute()
    Tenant.update(team_visibility=True).where(Tenant.id == tenant.id).execute()
    tenant = Tenant.get_by_id(tenant.id)
    made = []
    for day in range(40):
        frozen_clock.advance(hours=rng.choice((5, 11, 19)))
        for _ in range(rng.randint(0, 3)):
            channel = rng.choice(("api", "email", "web"))
            made.append(tickets.create(tenant, {"subject": f"第{day}天", "channel": channel}, SYSTEM)[0])
    viewer = Actor.of(User.get_by_id(agent.id))
    assert _shown(stats.dashboard(tenant)) == _sql_figures(tenant)
    for step in range(30):
        frozen_clock.advance(minutes=rng.randint(1, 300))
        ticket = Ticket.get_by_id(rng.choice(made).id)
        action = rng.choice(("reply", "status", "assign", "team", "new"))
        if action == "reply":
            tickets.comment(tenant, ticket, "您好", SYSTEM)
        elif action == "status":
            allowed = sorted(tickets.TRANSITIONS[ticket.status])
            if allowed:
                tickets.transition(tenant, ticket, rng.choice(allowed), SYSTEM)
        elif action == "assign":
            tickets.assign(tenant, ticket, rng.choice((agent.id, None)), SYSTEM)
        elif action == "team":
            tickets.update(tenant, ticket, {"team": str(rng.choice(teams).id)}, SYSTEM)
        else:
            made.append(tickets.create(tenant, {"subject": "新的", "channel": "email"}, SYSTEM)[0])
        if step % 3 == 0:
            assert _shown(stats.dashboard(tenant)) == _sql_figures(tenant), (step, action)
            assert _shown(stats.dashboard(tenant, viewer)) == _sql_figures(tenant, viewer), (step, action)
    assert _shown(stats.dashboard(tenant, viewer)) != _shown(stats.dashboard(tenant))  # the scope narrows


def test_a_change_reads_the_changed_rows_only(tenant, frozen_clock, monkeypatch):
    made = [tickets.create(tenant, {"subject": f"工单{n}"}, SYSTEM)[0] for n in range(5)]
    stats.dashboard(tenant)
    rebuilt = []
    monkeypatch.setattr(dashboard_snapshot.Snapshot, "rebuild", lambda self: rebuilt.append(self))
    frozen_clock.advance(minutes=1)
    tickets.transition(tenant, made[0], "resolved", SYSTEM)
    assert stats.dashboard(tenant)["backlog"]["by_status"]["new"] == 4
    assert rebuilt == []


class FakeSlaOutcomes:
    """Stands in for the SLA plugin: every ticket's clock met."""

    @hookimpl
    def gongdan_ticket_blocks(self, tenant, tickets):
        return {t.id: {"state": "met", "targets": {}} for t in tickets}


def test_sla_attainment_of_a_big_tenant_is_pending_then_shown(
    tenant, register_plugin, enable_plugin, monkeypatch, frozen_clock
):
    register_plugin(FakeSlaOutcomes(), "fake_sla")
    monkeypatch.setattr(urgency, "SLA_PLUGIN", "fake_sla")
    monkeypatch.setattr(stats, "SLA_WAIT_TICKETS", 2)  # three tickets: a big tenant
    enable_plugin("fake_sla")
    for n in range(3):
        tickets.create(tenant, {"subject": f"工单{n}"}, SYSTEM)
    tenant = Tenant.get_by_id(tenant.id)
    first = stats.dashboard(tenant)
    assert (first["sla"], first["sla_pending"]) == (None, True)
    deadline = time.monotonic() + 10
    while stats._sla_refreshing and time.monotonic() < deadline:  # the background thread, polled
        time.sleep(0.01)
    shown = stats.dashboard(tenant)
    assert (shown["sla"], shown["sla_pending"]) == ({"met": 3, "breached": 0}, False)


def test_a_big_tenant_counts_in_sql_while_its_snapshot_is_built_apart(tenant, monkeypatch, frozen_clock):
    monkeypatch.setattr(dashboard_snapshot, "SYNC_ROWS", 2)  # three tickets: a big tenant
    for n in range(3):
        tickets.create(tenant, {"subject": f"工单{n}", "channel": "email"}, SYSTEM)
    release, original = threading.Event(), dashboard_snapshot.Snapshot.rebuild

    def held_rebuild(self):
        release.wait(10)
        original(self)

    monkeypatch.setattr(dashboard_snapshot.Snapshot, "rebuild", held_rebuild)
    first, sql = stats.dashboard(tenant), _sql_figures(tenant)
    assert (first["per_day"], first["backlog"], first["times_pending"]) == (sql["per_day"], sql["backlog"], True)
    assert dashboard_snapshot._snapshots == {}
    assert dashboard_snapshot.building()
    release.set()
    deadline = time.monotonic() + 10
    while dashboard_snapshot.building() and time.monotonic() < deadline:  # the thread, polled
        time.sleep(0.01)
    assert len(dashboard_snapshot._snapshots) == 1
    frozen_clock.advance(minutes=1)
    tickets.create(tenant, {"subject": "又一个", "channel": "web"}, SYSTEM)
    shown = stats.dashboard(tenant)
    assert (_shown(shown), shown["times_pending"]) == (_sql_figures(tenant), False)


def test_the_page_says_pending_for_the_times_while_the_snapshot_is_built(tenant, console_client, monkeypatch):
    monkeypatch.setattr(dashboard_snapshot, "SYNC_ROWS", 1)
    release, original = threading.Event(), dashboard_snapshot.Snapshot.rebuild

    def held_rebuild(self):
        release.wait(10)
        original(self)

    monkeypatch.setattr(dashboard_snapshot.Snapshot, "rebuild", held_rebuild)
    tickets.create(tenant, {"subject": "工单"}, SYSTEM)
    browser = console_client("supervisor")
    page = browser.text("/console/")
    assert re.search(r'id="kpi-first-response"><span class="text-muted">Pending<', page)
    assert 'id="chart-times"' not in page
    chinese = console_client("supervisor", language="zh_CN").text("/console/")
    assert re.search(r'id="kpi-resolution"><span class="text-muted">等待中<', chinese)
    release.set()
    deadline = time.monotonic() + 10
    while dashboard_snapshot.building() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert 'id="chart-times"' in browser.text("/console/")


def _built_apart(tenant, monkeypatch):
    """The tenant's snapshot built in the background, as for a big tenant, and saved."""
    monkeypatch.setattr(dashboard_snapshot, "SYNC_ROWS", 1)
    stats.dashboard(tenant)
    deadline = time.monotonic() + 10
    while dashboard_snapshot.building() and time.monotonic() < deadline:  # the thread, polled
        time.sleep(0.01)


def test_a_new_process_loads_the_saved_snapshot_and_reads_the_changes_since(
    tenant, make_user, frozen_clock, monkeypatch
):
    rng = random.Random(15)
    team = Team.create(tenant=tenant, name="售后组")
    agent = User.get_by_id(make_user("agent")[0].id)
    User.update(team=team.id).where(User.id == agent.id).execute()
    Tenant.update(team_visibility=True).where(Tenant.id == tenant.id).execute()
    tenant = Tenant.get_by_id(tenant.id)
    made = []
    for day in range(20):
        frozen_clock.advance(hours=rng.choice((7, 13, 23)))
        made.append(tickets.create(tenant, {"subject": f"第{day}天", "channel": rng.choice(("api", "web"))}, SYSTEM)[0])
        tickets.comment(tenant, made[-1], "您好", SYSTEM)
    _built_apart(tenant, monkeypatch)
    assert DashboardSnapshot.select().where(DashboardSnapshot.tenant == tenant.id).count() == 1
    frozen_clock.advance(minutes=5)  # changes the saved snapshot has not seen
    tickets.transition(tenant, Ticket.get_by_id(made[-1].id), "resolved", SYSTEM)
    tickets.assign(tenant, Ticket.get_by_id(made[-2].id), agent.id, SYSTEM)
    tickets.update(tenant, Ticket.get_by_id(made[-3].id), {"team": str(team.id)}, SYSTEM)
    tickets.create(tenant, {"subject": "新的", "channel": "email"}, SYSTEM)
    stats.forget()  # a new process: nothing in memory
    rebuilt = []
    monkeypatch.setattr(dashboard_snapshot.Snapshot, "rebuild", lambda self: rebuilt.append(self))
    shown = stats.dashboard(tenant)
    assert (_shown(shown), shown["times_pending"]) == (_sql_figures(tenant), False)
    viewer = Actor.of(User.get_by_id(agent.id))
    assert _shown(stats.dashboard(tenant, viewer)) == _sql_figures(tenant, viewer)
    assert rebuilt == []  # loaded, not read again
    assert not dashboard_snapshot.building()


def test_an_unreadable_saved_snapshot_is_built_again(tenant, frozen_clock, monkeypatch):
    for n in range(3):
        tickets.create(tenant, {"subject": f"工单{n}"}, SYSTEM)
    _built_apart(tenant, monkeypatch)
    DashboardSnapshot.update(data=b"not a snapshot").where(DashboardSnapshot.tenant == tenant.id).execute()
    assert dashboard_snapshot.Snapshot.load(tenant.id) is None
    stats.forget()
    assert stats.dashboard(tenant)["backlog"] == _sql_figures(tenant)["backlog"]  # SQL while it is built again
    _built_apart(tenant, monkeypatch)
    assert dashboard_snapshot.Snapshot.load(tenant.id) is not None
