"""Agents' availability: status, capacity, weekly shifts in the tenant's time zone, leave."""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gongdan import clock, tickets
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import NotFound, ValidationError
from gongdan.models import Tenant, User
from gongdan.plugins import get_host
from gongdan.representation import iso, user_brief
from gongdan_assignment.models import AgentState
from gongdan_assignment.schemas import DAYS, MAX_ID, minutes

PLUGIN = "assignment"


# --- shifts -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def compiled_shifts(text: str | None) -> tuple[tuple[int, int, int], ...]:
    """Shifts (stored JSON text) as `(weekday, start minute, end minute)`, end past 1440 overnight."""
    shifts = json.loads(text) if text else []
    compiled = []
    for shift in shifts:
        start, end = minutes(shift["start"]), minutes(shift["end"])
        if end <= start:
            end += 24 * 60
        compiled.append((DAYS.index(shift["day"]), start, end))
    return tuple(compiled)


def on_shift(shifts_text: str | None, local: datetime) -> bool:
    """Whether `local` (the tenant's local time) falls in one of the shifts; no shifts: always."""
    shifts = compiled_shifts(shifts_text)
    if not shifts:
        return True
    weekday = local.weekday()
    minute = local.hour * 60 + local.minute
    for day, start, end in shifts:
        if day == weekday and start <= minute < end:
            return True
        if (day + 1) % 7 == weekday and minute + 24 * 60 < end:
            return True
    return False


@functools.lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The time zone called `name` (cached)."""
    return ZoneInfo(name)


def local_now(tenant: Tenant) -> datetime:
    """Now in the tenant's time zone."""
    return clock.now().astimezone(zone(tenant.timezone))


# --- leave --------------------------------------------------------------------------------


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def on_leave(state: AgentState, at: datetime | None = None) -> bool:
    """Whether the agent is on leave at `at` (default now)."""
    at = at or clock.now()
    return state.leave_start is not None and state.leave_start <= at < state.leave_end


# --- reading and changing -----------------------------------------------------------------


def agent_of(tenant: Tenant, user_id: int | str) -> User:
    """The tenant's user `user_id` (any role but superadmin); NotFound otherwise."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise NotFound("no such agent") from None
    if not 0 < user_id <= MAX_ID:
        raise NotFound("no such agent")
    user = User.of(tenant).where((User.id == user_id) & (User.role != "superadmin")).first()
    if user is None:
        raise NotFound("no such agent")
    return user


def state_of(tenant: Tenant, user: User) -> AgentState:
    """The agent's availability row, created (offline, default capacity) on first use."""
    state = AgentState.get_or_none(AgentState.user == user.id)
    if state is not None:
        return state
    capacity = get_host().settings(tenant, PLUGIN)["default_capacity"]
    AgentState.insert(tenant=tenant.id, user=user.id, capacity=capacity).on_conflict_ignore().execute()
    return AgentState.get(AgentState.user == user.id)


def availability_dict(state: AgentState, tenant: Tenant) -> dict[str, Any]:
    """The availability as the API shows it, with whether the agent can take tickets now."""
    leave = state.leave
    if leave is not None:
        replacement = User.get_or_none(User.id == leave.get("replacement_id")) if leave.get("replacement_id") else None
        leave = {**leave, "replacement": user_brief(replacement)}
    return {
        "agent": user_brief(state.user),
        "status": state.status,
        "capacity": state.capacity,
        "weight": state.weight,
        "shifts": state.shifts or [],
        "leave": leave,
        "open_tickets": state.open_count,
        "on_shift": on_shift(AgentState.shifts.db_value(state.shifts), local_now(tenant)),
        "on_leave": on_leave(state),
        "available": is_available(state, tenant),
        "last_assigned_at": iso(state.last_assigned_at),
        "updated_at": iso(state.updated_at),
    }


def is_available(state: AgentState, tenant: Tenant) -> bool:
    """Online, on shift, not on leave and below capacity: may receive a ticket now."""
    return (
        state.status == "online"
        and state.open_count < state.capacity
        and not on_leave(state)
        and on_shift(AgentState.shifts.db_value(state.shifts), local_now(tenant))
    )


def update(tenant: Tenant, user: User, payload: dict[str, Any], actor: Actor) -> tuple[AgentState, dict[str, Any]]:
    """Apply any subset of a loaded `AvailabilitySchema`; returns the row and `{field: [old, new]}`.

    Records an `assignment.availability` event (tenant-level) when anything changed.
    """
    state = state_of(tenant, user)
    changes: dict[str, list[Any]] = {}
    with write_transaction():
        for key in ("status", "capacity", "weight", "shifts"):
            if key in payload and payload[key] != getattr(state, key):
                changes[key] = [getattr(state, key), payload[key]]
                setattr(state, key, payload[key])
        if "leave" in payload:
            leave = _leave_json(tenant, user, payload["leave"])
            if leave != state.leave:
                changes["leave"] = [state.leave, leave]
                _set_leave(state, tenant, leave)
        if changes:
            state.updated_at = clock.now()
            state.save()
            tickets.record_event(
                tenant, None, "assignment.availability", {"agent_id": user.id, "changes": changes}, actor
            )
    return state, changes


def _leave_json(tenant: Tenant, user: User, leave: dict[str, Any] | None) -> dict[str, Any] | None:
    if leave is None:
        return None
    replacement = leave.get("replacement_id")
    if replacement is not None:
        if replacement == user.id:
            raise ValidationError("invalid leave", {"leave.replacement_id": ["an agent cannot stand in for themself"]})
        if not User.of(tenant).where((User.id == replacement) & (User.is_active == True)).exists():  # noqa: E712
            raise ValidationError("invalid leave", {"leave.replacement_id": [f"no active user {replacement}"]})
    return {"from": leave["start"].isoformat(), "until": leave["until"].isoformat(), "replacement_id": replacement}


def _set_leave(state: AgentState, tenant: Tenant, leave: dict[str, Any] | None) -> None:
    state.leave = leave
    if leave is None:
        state.leave_start = state.leave_end = state.leave_replacement = None
        return
    tz = zone(tenant.timezone)
    state.leave_start = _day_start(date.fromisoformat(leave["from"]), tz)
    state.leave_end = _day_start(date.fromisoformat(leave["until"]) + timedelta(days=1), tz)
    state.leave_replacement = leave["replacement_id"]
