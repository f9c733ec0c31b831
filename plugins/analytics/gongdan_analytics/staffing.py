"""Agents needed per hour: the forecast's arrivals through Erlang C, with handling time from the data."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from gongdan.models import Tenant
from gongdan.plugins import get_host

from . import erlang
from .forecast import forecast
from .periods import Period
from .reports import sums

DEFAULT_HANDLE_MINUTES = 10.0
HANDLE_DAYS = 28


def handle_minutes(tenant: Tenant, until: date) -> tuple[float, str]:
    """Agent work minutes per ticket over the `HANDLE_DAYS` days before `until`: the work time of
    public replies (see `rollup.record_work`) ÷ new tickets; `("default")` when nothing was measured."""
    cells = sums(tenant, "all", Period(until - timedelta(days=HANDLE_DAYS), until - timedelta(days=1))).get("", {})
    work, created = cells.get("work", (0, 0.0)), cells.get("created", (0, 0.0))
    if work[0] and created[0]:
        return round(work[1] / created[0], 2), "measured"
    return DEFAULT_HANDLE_MINUTES, "default"


def staffing(tenant: Tenant, day: date) -> dict[str, Any]:
    """Expected arrivals and the agents needed in each hour of local day `day`."""
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
    return {
        "report": "staffing",
        "date": day.isoformat(),
        "target": {"service_level": target, "answer_minutes": answer},
        "handle_minutes": handle,
        "handle_source": source,
        "expected": plan["expected"],
        "hours": hours,
    }
