"""The agent workspace (my queue, take the next ticket) and the dashboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from gongdan import clock, tickets
from gongdan.actors import Actor
from gongdan.admin import stats, urgency, workspace
from gongdan.admin.urgency import sla_due, sla_outcome, urgency_key
from gongdan.hookspecs import hookimpl
from gongdan.models import Team, Ticket
from gongdan.plugins import get_host


def _create(tenant, subject, **extra):
    ticket, _ = tickets.create(tenant, {"subject": subject, "channel": "web", **extra}, Actor.system("test"))
    return ticket


def _queue(html: str) -> list[str]:
    table = html[html.index('id="my-queue"') :]
    return re.findall(r'<a href="/console/tickets/\d+">([^<]+)</a>', table)


def test_my_queue_is_sorted_by_priority_then_age(signed_in, tenant, frozen_clock):
    me, browser = signed_in("agent")
    for subject, priority in [("旧的普通", "normal"), ("紧急", "urgent"), ("新的普通", "normal"), ("低", "low")]:
        ticket = _create(tenant, subject, priority=priority)
        tickets.assign(tenant, ticket, me.id, Actor.system("test"))
        frozen_clock.advance(minutes=5)
    done = _create(tenant, "已解决", priority="urgent")
    tickets.assign(tenant, done, me.id, Actor.system("test"))
    tickets.transition(tenant, done, "resolved", Actor.system("test"))
    assert _queue(browser.text("/console/workspace/")) == ["紧急", "旧的普通", "新的普通", "低"]


def test_my_queue_shows_the_most_urgent_and_links_to_the_rest(signed_in, tenant, frozen_clock, monkeypatch):
    me, browser = signed_in("agent")
    for subject, priority in [("普通", "normal"), ("紧急", "urgent"), ("低", "low"), ("高", "high")]:
        tickets.assign(tenant, _create(tenant, subject, priority=priority), me.id, Actor.system("test"))
        frozen_clock.advance(minutes=5)
    monkeypatch.setattr(workspace, "QUEUE_SHOWN", 2)
    monkeypatch.setattr(workspace, "QUEUE_CANDIDATES", 3)  # read the three most urgent, show two
    page = browser.text("/console/workspace/")
    assert _queue(page) == ["紧急", "高"]
    assert "The 2 most urgent of 4." in page
    assert "assignee=me" in page[page.index('id="queue-more"') :]
    monkeypatch.setattr(workspace, "QUEUE_SHOWN", 10)
    assert 'id="queue-more"' not in browser.text("/console/workspace/")


def test_sla_due_time_comes_first_when_the_sla_block_has_one():
    now = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)

    class T:
        def __init__(self, priority, minutes):
            self.priority, self.created_at = priority, now - timedelta(minutes=minutes)

    def block(state, **targets):
        return {"state": state, "targets": targets}

    soon = block("warning", first_response={"due": (now + timedelta(minutes=10)).isoformat(), "met_at": None})
    later = block("ok", resolution={"due": (now + timedelta(hours=5)).isoformat(), "met_at": None})
    met = block("met", first_response={"due": None, "met_at": now.isoformat(), "breached": False})
    keys = {
        "low-soon": urgency_key(T("low", 1), soon, True),
        "urgent-later": urgency_key(T("urgent", 1), later, True),
        "normal-none": urgency_key(T("normal", 90), met, True),
    }
    assert sorted(keys, key=keys.get) == ["low-soon", "urgent-later", "normal-none"]
    assert sla_due(met) is None
    assert urgency_key(T("low", 1), soon, False) > urgency_key(T("urgent", 1), later, False)
    assert sla_outcome(met) == "met"
    assert sla_outcome(block("ok", resolution={"due": None, "met_at": "x", "breached": True})) == "breached"
    assert sla_outcome(soon) is None


def test_take_next_assigns_the_most_urgent_unassigned_ticket(signed_in, make_user, tenant, frozen_clock):
    me, browser = signed_in("agent")
    other_team = Team.create(tenant=tenant, name="物流组")
    _create(tenant, "普通")
    frozen_clock.advance(minutes=1)
    _create(tenant, "高", priority="high")
    _create(tenant, "别组的紧急", priority="urgent", team="物流组")
    mine_team = Team.create(tenant=tenant, name="售后组")
    me.team = mine_team
    me.save()
    response = browser.post("/console/workspace/take")
    taken = Ticket.get(Ticket.subject == "高")
    assert response.headers["Location"].endswith(f"/console/tickets/{taken.id}")
    assert taken.assignee_id == me.id
    browser.post("/console/workspace/take")
    assert Ticket.get(Ticket.subject == "普通").assignee_id == me.id
    assert browser.post("/console/workspace/take").headers["Location"].endswith("/console/workspace/")
    assert "No unassigned tickets" in browser.text("/console/workspace/")
    assert Ticket.get(Ticket.subject == "别组的紧急").assignee_id is None
    assert other_team.id


def test_dashboard_figures(tenant, frozen_clock):
    first = _create(tenant, "一", channel="web")
    _create(tenant, "二", channel="email")
    frozen_clock.advance(hours=2)
    tickets.comment(tenant, first, "您好", Actor.system("agent"))
    frozen_clock.advance(hours=2)
    tickets.transition(tenant, first, "resolved", Actor.system("agent"))
    per_day = stats.tickets_per_day(tenant, days=3)
    today = frozen_clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert per_day["labels"] == [(today - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert {k: sum(v) for k, v in per_day["series"].items()} == {"web": 1, "email": 1}
    backlog = stats.backlog(tenant)
    assert backlog["by_status"] == {"new": 1, "open": 0, "pending": 0}
    assert backlog["by_team"] == {None: 1}
    times = stats.response_times(tenant)
    assert times["first_response"]["median"] == 2.0
    assert times["resolution"]["median"] == 4.0
    assert times["resolution"]["count"] == 1


def test_dashboard_page_draws_charts_with_local_assets(signed_in, tenant):
    _create(tenant, "一")
    _, browser = signed_in("agent")
    page = browser.text("/console/")
    for chart in ("chart-per-day", "chart-status", "chart-team", "chart-times"):
        assert f'id="{chart}"' in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(s.startswith(("/", "#")) for s in sources), [s for s in sources if not s.startswith("/")]
    assert browser.get("/console/assets/chart.umd.js").status_code == 200
    assert browser.get("/console/assets/dashboard.js").status_code == 200


class FakeSla:
    """Stands in for the SLA plugin: due in `minutes_left` minutes, by subject."""

    minutes_left: ClassVar[dict[str, int]] = {"慢慢来": 600, "快到期": 5}

    @hookimpl
    def gongdan_ticket_blocks(self, tenant, tickets):
        now = clock.now()
        return {
            t.id: {"state": "ok", "targets": {"resolution": {"due": (now + timedelta(minutes=m)).isoformat()}}}
            for t in tickets
            if (m := self.minutes_left.get(t.subject)) is not None
        }


def test_with_the_sla_plugin_on_the_queue_follows_sla_due_times(
    register_plugin, monkeypatch, enable_plugin, signed_in, tenant
):
    register_plugin(FakeSla(), "fake_sla")
    get_host().always_on.discard("fake_sla")
    monkeypatch.setattr(urgency, "SLA_PLUGIN", "fake_sla")
    me, browser = signed_in("agent")
    for subject, priority in [("慢慢来", "urgent"), ("没有SLA", "urgent"), ("快到期", "low")]:
        tickets.assign(tenant, _create(tenant, subject, priority=priority), me.id, Actor.system("test"))
    assert _queue(browser.text("/console/workspace/")) == ["慢慢来", "没有SLA", "快到期"]
    enable_plugin("fake_sla")
    page = browser.text("/console/workspace/")
    assert _queue(page) == ["快到期", "慢慢来", "没有SLA"]
    assert "Sorted by SLA due time" in page
    assert browser.text("/console/tickets/").count('class="sla-due"') == 3


class FakeSlaOutcomes:
    """Stands in for the SLA plugin: one met, one breached, one running."""

    @hookimpl
    def gongdan_ticket_blocks(self, tenant, tickets):
        states = {"达成": "met", "违约": "breached", "进行中": "ok"}
        return {t.id: {"state": states[t.subject], "targets": {}} for t in tickets if t.subject in states}


def test_the_dashboard_shows_sla_attainment_when_the_sla_plugin_is_on(
    register_plugin, monkeypatch, enable_plugin, signed_in, tenant
):
    register_plugin(FakeSlaOutcomes(), "fake_sla")
    monkeypatch.setattr(urgency, "SLA_PLUGIN", "fake_sla")
    for subject in ("达成", "违约", "进行中", "达成"):
        _create(tenant, subject)
    _, browser = signed_in("supervisor")
    get_host().always_on.discard("fake_sla")
    assert 'id="chart-sla"' not in browser.text("/console/")
    enable_plugin("fake_sla")
    assert stats.sla_attainment(tenant) == {"met": 2, "breached": 1}
    page = browser.text("/console/")
    assert 'id="chart-sla"' in page
    assert re.search(r'id="kpi-sla">\s*66.7%', page)


def test_resolution_times_leave_out_cases_closed_without_a_reply(tenant, frozen_clock):
    """Issue 16 bug 2: cases that arrived already finished pulled the resolution median to 0.0 h."""
    answered = _create(tenant, "答复过")
    frozen_clock.advance(hours=1)
    tickets.comment(tenant, answered, "您好", Actor.system("agent"))
    frozen_clock.advance(hours=2)
    tickets.transition(tenant, answered, "resolved", Actor.system("agent"))
    for n in range(3):
        tickets.transition(tenant, _create(tenant, f"平台已完结{n}"), "resolved", Actor.system("plugin:pdd_connector"))
    times = stats.response_times(tenant)
    assert times["resolution"] == {"count": 1, "median": 3.0, "p90": 3.0, "mean": 3.0}


def test_tickets_per_day_splits_at_local_midnight(tenant, frozen_clock):
    """Counted in the database with each local day's bounds in UTC: 23:30 and 00:30 in
    Shanghai are two days (15:30 and 16:30 UTC, one UTC day)."""
    frozen_clock.advance(hours=13, minutes=30)  # Monday 10:00 → 23:30 local
    _create(tenant, "深夜", channel="web")
    frozen_clock.advance(hours=1)  # Tuesday 00:30 local
    _create(tenant, "凌晨", channel="web")
    _create(tenant, "凌晨邮件", channel="email")
    per_day = stats.tickets_per_day(tenant, days=2)
    assert per_day["labels"] == ["2026-11-02", "2026-11-03"]
    assert per_day["series"] == {"email": [0, 1], "web": [1, 1]}


def test_the_cached_dashboard_follows_every_change_at_once(tenant, frozen_clock):
    first = _create(tenant, "一")
    _create(tenant, "二")
    assert stats.dashboard(tenant)["backlog"]["by_status"]["new"] == 2
    assert stats.dashboard(tenant) is stats.dashboard(tenant)  # unchanged: served from the cache
    frozen_clock.advance(minutes=1)
    tickets.transition(tenant, first, "resolved", Actor.system("agent"))
    assert stats.dashboard(tenant)["backlog"]["by_status"]["new"] == 1
    _create(tenant, "三")
    assert stats.dashboard(tenant)["backlog"]["by_status"]["new"] == 2
