"""Agents needed per hour: the forecast's arrivals through Erlang C, with handling time from the data."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from gongdan.models import Tenant, User
from gongdan.plugins import get_host

from . import erlang
from .forecast import forecast
from .periods import Period
from .reports import sums
from .rollup import tz_of

DEFAULT_HANDLE_MINUTES = 10.0
HANDLE_DAYS = 28
MIN_MEASURED_REPLIES = 10
"""Fewer measured replies than this in `HANDLE_DAYS` days, or no work time at all: the default is used."""
ASSIGNMENT = "assignment"


def handle_minutes(tenant: Tenant, until: date) -> tuple[float, str]:
    """Agent work minutes per ticket over the `HANDLE_DAYS` days before `until`: the work time of
    public replies (see `rollup.record_work`) ÷ the tickets answered in those days (first responses:
    imported arrival counts and tickets nobody has touched yet do not dilute it); `("default")` when
    fewer than `MIN_MEASURED_REPLIES` replies or no work time were measured."""
    cells = sums(tenant, "all", Period(until - timedelta(days=HANDLE_DAYS), until - timedelta(days=1))).get("", {})
    work, answered = cells.get("work", (0, 0.0)), cells.get("first_response", (0, 0.0))
    if work[0] >= MIN_MEASURED_REPLIES and work[1] > 0 and answered[0]:
        return round(work[1] / answered[0], 2), "measured"
    return DEFAULT_HANDLE_MINUTES, "default"


def roster(tenant: Tenant, day: date) -> dict[str, Any] | None:
    """Agents scheduled in each local hour of `day` by the assignment plugin's weekly shifts, less
    those on leave then (read-only use of `gongdan_assignment`); None where that plugin is off.

    An agent counts in hour `h` when `h:30` (local) falls in one of their shifts and not in their
    leave. Agents without shifts are available at any hour to the assignment plugin; they are
    counted apart (`without_shifts`), not as scheduled around the clock."""
    host = get_host()
    if ASSIGNMENT not in host.loaded or not host.is_enabled(tenant, ASSIGNMENT):
        return None
    from gongdan_assignment.availability import on_leave, on_shift
    from gongdan_assignment.models import AgentState

    tz = tz_of(tenant)
    states = list(
        AgentState.of(tenant).join(User, on=(AgentState.user == User.id)).where(User.is_active == True)  # noqa: E712
    )
    middles = [datetime.combine(day, time(hour, 30), tz) for hour in range(24)]
    scheduled = [0] * 24
    without = 0
    for state in states:
        text = AgentState.shifts.db_value(state.shifts)
        if not state.shifts:
            without += 1
            continue
        for hour, local in enumerate(middles):
            if on_shift(text, local) and not on_leave(state, local.astimezone(UTC)):
                scheduled[hour] += 1
    return {"agents": len(states), "without_shifts": without, "scheduled": scheduled}


def staffing(tenant: Tenant, day: date) -> dict[str, Any]:
    """Expected arrivals and the agents needed in each hour of local day `day`, beside the agents
    the roster has then (when the assignment plugin is on)."""
    settings = get_host().settings(tenant, "analytics")
    target, answer = settings["service_level"], settings["answer_minutes"]
    handle, source = handle_minutes(tenant, day)
    plan = forecast(tenant, day, 1)["items"][0]
    hours = []
    for hour in plan["hours"]:
        agents = erlang.required_agents(hour["expected"], handle, target, answer)
        load = hour["expected"] * handle / 60
        hours.append(
            {
                **hour,
                "agents": agents,
                "service_level": round(erlang.service_level(agents, load, handle, answer), 4) if agents else None,
            }
        )
    shifts = roster(tenant, day)
    for hour in hours:
        planned = shifts["scheduled"][hour["hour"]] if shifts else None
        hour["scheduled"] = planned
        hour["short"] = max(0, hour["agents"] - planned) if planned is not None else None
    return {
        "report": "staffing",
        "roster": {k: v for k, v in shifts.items() if k != "scheduled"} if shifts else None,
        "date": day.isoformat(),
        "target": {"service_level": target, "answer_minutes": answer},
        "handle_minutes": handle,
        "handle_source": source,
        "expected": plan["expected"],
        "hours": hours,
    }
