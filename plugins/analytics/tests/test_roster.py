"""The roster beside the staffing need: agents on shift per local hour (assignment plugin's shifts,
less leave), and the console's forecast page showing both."""

from __future__ import annotations

from datetime import date
from typing import Any

from gongdan_analytics.staffing import roster, staffing
from gongdan_assignment import availability
from gongdan_assignment.schemas import AvailabilitySchema

from gongdan.actors import Actor
from gongdan.validation import load


def _shifts(tenant: Any, user: Any, shifts: list[dict[str, str]], leave: dict[str, str] | None = None) -> None:
    payload: dict[str, Any] = {"shifts": shifts}
    if leave:
        payload["leave"] = leave
    availability.update(tenant, user, load(AvailabilitySchema(), payload), Actor.system())


def test_roster_counts_agents_on_shift_each_hour(
    analytics: Any, enable_plugin: Any, tenant: Any, make_user: Any
) -> None:
    day = date(2026, 11, 3)  # a Tuesday
    assert roster(tenant, day) is None  # assignment plugin off: no roster
    enable_plugin("assignment")
    early, late, away, free = (make_user("agent")[0] for _ in range(4))
    _shifts(tenant, early, [{"day": "tue", "start": "08:00", "end": "16:00"}])
    _shifts(
        tenant,
        late,
        [{"day": "tue", "start": "14:00", "end": "22:00"}, {"day": "mon", "start": "22:00", "end": "02:00"}],
    )
    _shifts(
        tenant,
        away,
        [{"day": "tue", "start": "08:00", "end": "22:00"}],
        leave={"from": "2026-11-03", "until": "2026-11-04"},
    )
    availability.state_of(tenant, free)  # known to the plugin, no shifts
    found = roster(tenant, day)
    expected = [0] * 24
    expected[0] = expected[1] = 1  # Monday's overnight shift runs into Tuesday
    for hour in range(8, 16):
        expected[hour] += 1
    for hour in range(14, 22):
        expected[hour] += 1
    assert found == {"agents": 4, "without_shifts": 1, "scheduled": expected}
    plan = staffing(tenant, day)
    assert plan["roster"] == {"agents": 4, "without_shifts": 1}
    for hour in plan["hours"]:
        assert hour["scheduled"] == expected[hour["hour"]]
        assert hour["short"] == max(0, hour["agents"] - expected[hour["hour"]])


def test_forecast_page_shows_the_roster(
    analytics: Any, enable_plugin: Any, tenant: Any, make_user: Any, console_client: Any
) -> None:
    page = console_client("supervisor", language="zh_CN")
    assert "启用分配插件" in page.text("/console/analytics/forecast/?date=2026-11-03")
    enable_plugin("assignment")
    agent = make_user("agent")[0]
    _shifts(tenant, agent, [{"day": "tue", "start": "09:00", "end": "18:00"}])
    html = page.text("/console/analytics/forecast/?date=2026-11-03")
    assert 'id="roster-row"' in html
    assert "在岗（排班）" in html
