"""Keeping each ticket's SLA row in step with the ticket: stamping, pausing, meeting, re-matching.

Every change loads the ticket's row (row-locked on PostgreSQL) inside one write transaction,
applies the clock arithmetic of `gongdan_sla.clocks`, recomputes the due times and the next
threshold (`next_check_at`, what the sweep reads), saves, and records its audit events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import peewee

from gongdan import clock, tickets
from gongdan.actors import Actor
from gongdan.db import is_postgres, write_transaction
from gongdan.models import OPEN_STATUSES, Tenant, Ticket
from gongdan.statements import PreparedInsert, PreparedStatement

from . import clocks as ck
from .calendars import BusinessCalendar
from .models import SlaFired, SlaPolicy, SlaTicket
from .policies import TARGETS, calendar_for, choose

SYSTEM = Actor.system("plugin:sla")
DEFAULT_WARNING_PERCENT = 80
RECONCILE_BATCH = 500
RECONCILE_SECONDS = 20.0

Events = list[tuple[str, dict[str, Any]]]
Change = Callable[[SlaTicket, SlaPolicy | None, BusinessCalendar, datetime, bool], Events]


def warning_percent(policy: SlaPolicy | None) -> int:
    """The policy's warning threshold, 80 when there is no policy (deadline-only clocks)."""
    return policy.warning_percent if policy else DEFAULT_WARNING_PERCENT


def fired_keys(ticket_ids: list[int]) -> dict[int, set[str]]:
    """The thresholds already fired, per ticket."""
    found: dict[int, set[str]] = {tid: set() for tid in ticket_ids}
    if ticket_ids:
        for row in SlaFired.select(SlaFired.ticket, SlaFired.key).where(SlaFired.ticket.in_(ticket_ids)).tuples():
            found[row[0]].add(row[1])
    return found


def plan(row: SlaTicket, policy: SlaPolicy | None, cal: BusinessCalendar) -> list[ck.Point]:
    """Recompute every active clock of `row` and list the thresholds they will cross."""
    escalations = policy.escalations if policy else []
    found: list[ck.Point] = []
    for name in TARGETS:
        state = row.clocks.get(name)
        if state:
            ck.recompute(state, cal, warning_percent(policy))
            found.extend(ck.points(name, state, cal, escalations))
    return found


def refresh(row: SlaTicket, policy: SlaPolicy | None, cal: BusinessCalendar, fired: set[str], now: datetime) -> None:
    """Set the indexed columns (due times, next check, state) from the clocks."""
    pending = [point.at for point in plan(row, policy, cal) if point.key not in fired]
    for name in TARGETS:
        state = row.clocks.get(name)
        setattr(row, f"{name}_due", ck.parse(state["due"]) if ck.is_active(state) else None)
    row.next_check_at = min(pending) if pending else None
    row.paused = any(state["status"] == "paused" for state in row.clocks.values())
    row.state = state_of(row.clocks, now)
    row.updated_at = now


def state_of(clocks: dict[str, dict[str, Any]], now: datetime) -> str:
    """`ok`, `warning`, `breached`, `paused`, `met` or `not_applicable`, as of `now`."""
    active = [state for state in clocks.values() if ck.is_active(state)]
    if not active:
        if any(state["breached"] for state in clocks.values()):
            return "breached"
        if any(state["status"] == "met" for state in clocks.values()):
            return "met"
        return "not_applicable" if any(s["status"] == "not_applicable" for s in clocks.values()) else "ok"
    if any(state["due"] and ck.parse(state["due"]) <= now for state in active):
        return "breached"
    if any(state["status"] == "paused" for state in active):
        return "paused"
    if any(state["warn_at"] and ck.parse(state["warn_at"]) <= now for state in active):
        return "warning"
    return "ok"


SAVED = (
    "policy",
    "policy_name",
    "state",
    "paused",
    "first_response_due",
    "next_response_due",
    "resolution_due",
    "next_check_at",
    "clocks",
    "updated_at",
)
# by ticket *and* tenant: one shard on Citus (which locks rows only within one)
_select_row = PreparedStatement("SELECT * FROM {row} WHERE ticket_id = ? AND tenant_id = ?", row=SlaTicket)
_select_row_locked = PreparedStatement(
    "SELECT * FROM {row} WHERE ticket_id = ? AND tenant_id = ? FOR UPDATE", row=SlaTicket
)
_insert_row = PreparedInsert(SlaTicket, [f.name for f in SlaTicket._meta.sorted_fields if f.name != "id"])
_update_row = PreparedStatement(
    "UPDATE {row} SET "
    + ", ".join(f"{SlaTicket._meta.fields[n].column_name} = ?" for n in SAVED)
    + " WHERE id = ? AND tenant_id = ?",
    row=SlaTicket,
)


def _locked(ticket_id: int, tenant_id: int) -> SlaTicket | None:
    """The ticket's row, row-locked on PostgreSQL (precompiled: the sweep reads many)."""
    cursor = (_select_row_locked if is_postgres() else _select_row).execute((ticket_id, tenant_id))
    found = cursor.fetchone()
    if found is None:
        return None
    names = [column[0] for column in cursor.description]
    columns = SlaTicket._meta.columns
    return SlaTicket(**{columns[n].name: columns[n].python_value(v) for n, v in zip(names, found, strict=True)})


def _save(row: SlaTicket, created: bool) -> None:
    if created:  # precompiled too: every new ticket inserts one
        row.id = _insert_row.insert(row.__data__).id
        return
    fields = SlaTicket._meta.fields
    _update_row.execute([*(fields[name].db_value(row.__data__.get(name)) for name in SAVED), row.id, row.tenant_id])


def _policy(row: SlaTicket) -> SlaPolicy | None:
    return SlaPolicy.get_or_none(SlaPolicy.id == row.policy_id) if row.policy_id else None


def pauses(policy: SlaPolicy | None) -> bool:
    """Whether the clocks stop while the ticket waits on the customer (`pending`): the policy's
    `pause_when_pending`, on unless the policy turned it off."""
    return policy is None or bool(getattr(policy, "pause_when_pending", True))


def _start_clocks(policy: SlaPolicy, ticket: Ticket, cal: BusinessCalendar, now: datetime) -> dict[str, Any]:
    """Clocks for a ticket the policy newly applies to, counted from the ticket's creation."""
    found = {}
    if policy.first_response and ticket.first_response_at is None and ticket.status in OPEN_STATUSES:
        found["first_response"] = ck.new_clock(policy.first_response, ticket.created_at)
    if policy.resolution and ticket.status in OPEN_STATUSES:
        found["resolution"] = ck.new_clock(policy.resolution, ticket.created_at)
    if ticket.status == "pending" and pauses(policy):
        for state in found.values():
            ck.pause(state, cal, now)
    return found


def change(
    tenant: Tenant,
    ticket: Ticket,
    apply: Change,
    *,
    create: bool = True,
    policies: Mapping[int, SlaPolicy] | None = None,
    fired: set[str] | None = None,
    actor: Actor = SYSTEM,
    new: bool = False,
) -> SlaTicket | None:
    """Run `apply(row, policy, calendar, now, created)` on the ticket's row, then save and audit
    (the events credited to `actor`).

    Creates the row (choosing the policy) when the ticket has none and `create` is set. A caller
    that already holds the tenant's `policies` (by id) or the ticket's `fired` keys passes them
    to save the queries (the sweep does). `new`: the ticket was just created, so its row is
    inserted without reading first (a row that exists after all — an event dispatched again —
    fails the insert, and the second try reads it).
    """
    for attempt in range(2):
        try:
            return _change(tenant, ticket, apply, create, policies or {}, fired, actor, new and not attempt)
        except peewee.IntegrityError:
            if attempt:
                raise  # a concurrent stamp created the row: the second try edits it
    return None


def _change(
    tenant: Tenant,
    ticket: Ticket,
    apply: Change,
    create: bool,
    policies: Mapping[int, SlaPolicy],
    fired: set[str] | None,
    actor: Actor = SYSTEM,
    new: bool = False,
) -> SlaTicket | None:
    now = clock.now()
    with write_transaction():
        row = None if new else _locked(ticket.id, ticket.tenant_id)
        created = row is None
        if created:
            if not create:
                return None
            policy = choose(tenant, ticket)
            cal = calendar_for(tenant, policy.calendar if policy else None)
            row = SlaTicket(
                tenant=tenant,
                ticket=ticket.id,
                policy=policy,
                policy_name=policy.name if policy else None,
                clocks=_start_clocks(policy, ticket, cal, now) if policy else {},
            )
        else:
            policy = policies.get(row.policy_id) or _policy(row)
            cal = calendar_for(tenant, policy.calendar if policy else None)
        events = apply(row, policy, cal, now, created)
        if row.policy_id != (policy.id if policy else None):  # `apply` chose another policy
            policy = _policy(row)
            cal = calendar_for(tenant, policy.calendar if policy else None)
        if fired is None:  # a row made just now has fired nothing: only the sweep fires, on existing rows
            fired = set() if created else fired_keys([ticket.id])[ticket.id]
        refresh(row, policy, cal, fired, now)
        _save(row, created)
        for kind, data in events:
            tickets.record_event(tenant, ticket, kind, data, actor)
    return row


def dues(row: SlaTicket) -> dict[str, str | None]:
    """The row's due times as ISO text (for audit events)."""
    return {name: ck.iso(getattr(row, f"{name}_due")) for name in TARGETS}


# --- what each ticket change does to the clocks -------------------------------------------


def on_created(tenant: Tenant, ticket: Ticket) -> SlaTicket | None:
    """Stamp a new ticket: choose its policy and start its clocks."""

    def apply(row: SlaTicket, policy: SlaPolicy | None, cal: BusinessCalendar, now: datetime, created: bool) -> Events:
        return [("sla.applied", {"policy": row.policy_name})] if created and policy else []

    return change(tenant, ticket, apply, new=True)


def _closed_events(stopped: dict[str, dict[str, Any]]) -> Events:
    """`sla.met` for the targets met, `sla.closed_unmet` for those not applicable or missed."""
    met = {name: {"breached": s["breached"]} for name, s in stopped.items() if s["status"] == "met"}
    unmet = {name: {"outcome": s["status"]} for name, s in stopped.items() if s["status"] != "met"}
    return [(kind, {"targets": found}) for kind, found in (("sla.met", met), ("sla.closed_unmet", unmet)) if found]


def on_status_changed(tenant: Tenant, ticket: Ticket, old: str, new: str, actor: Actor = SYSTEM) -> SlaTicket | None:
    """Pause on `pending`, resume on `open`, stop every target on `resolved`, reopen after it.

    On resolving, the resolution target is met; a response target still waiting for a reply is
    `not_applicable` (or `missed` when late), and so is every target of a ticket a connector
    reported already finished (straight from `new` by a plugin, e.g. a closed marketplace case).
    """

    def apply(row: SlaTicket, policy: SlaPolicy | None, cal: BusinessCalendar, now: datetime, created: bool) -> Events:
        active = {name: state for name, state in row.clocks.items() if ck.is_active(state)}
        if new == "pending" and pauses(policy):
            for state in active.values():
                ck.pause(state, cal, now)
            left = {
                name: round(state["target"] - state["spent"], 1) for name, state in active.items() if state["target"]
            }
            return [("sla.paused", {"remaining_minutes": left})] if active else []
        if new == "open" and old == "pending":
            for state in active.values():
                ck.resume(state, now)
            return [("sla.resumed", {})] if active else []
        if new == "open" and old == "resolved":
            state = row.clocks.get("resolution")
            if state and state["status"] == "met":
                ck.reopen(state, now)
                return [("sla.reopened", {"target": "resolution"})]
            return []
        if new in ("resolved", "closed"):
            arrived_done = old == "new" and actor.user is None and actor.label.startswith("plugin:")
            for name, state in active.items():
                if name == "resolution" and not arrived_done:
                    ck.stop(state, cal, now)
                else:
                    ck.close_unmet(state, cal, now)
            return _closed_events(active)
        return []

    return change(tenant, ticket, apply, create=new in OPEN_STATUSES)


def on_comment(tenant: Tenant, ticket: Ticket, internal: bool, from_customer: bool) -> SlaTicket | None:
    """A public agent reply meets the response targets; a customer reply starts the next-response clock."""
    if internal:
        return None

    def apply(row: SlaTicket, policy: SlaPolicy | None, cal: BusinessCalendar, now: datetime, created: bool) -> Events:
        if from_customer:
            if ck.is_active(row.clocks.get("first_response")) or not (policy and policy.next_response):
                return []
            previous = row.clocks.get("next_response")
            if ck.is_active(previous):
                return []
            cycle = previous["cycle"] + 1 if previous else 1
            row.clocks["next_response"] = ck.new_clock(policy.next_response, now, cycle=cycle)
            return [("sla.next_response_started", {"cycle": cycle})]
        events: Events = []
        for name in ("first_response", "next_response"):
            state = row.clocks.get(name)
            if ck.is_active(state):
                ck.stop(state, cal, now)
                events.append(("sla.met", {"targets": {name: {"breached": state["breached"]}}}))
        return events

    return change(tenant, ticket, apply, create=False)


def on_updated(tenant: Tenant, ticket: Ticket, changes: dict[str, Any]) -> SlaTicket | None:
    """A new priority, category or tags may pick another policy."""
    if not set(changes) & {"priority", "category", "tags", "channel"}:
        return None
    return rematch(tenant, ticket)


def rematch(tenant: Tenant, ticket: Ticket, actor: Actor = SYSTEM) -> SlaTicket | None:
    """Choose the ticket's policy again; when it changes, switch targets and keep the time spent.

    The switch is credited to `actor` (the admin whose policy edit caused it, else the plugin).
    """

    def apply(row: SlaTicket, policy: SlaPolicy | None, cal: BusinessCalendar, now: datetime, created: bool) -> Events:
        chosen = choose(tenant, ticket)
        if created or (chosen.id if chosen else None) == row.policy_id:
            return []
        fresh = _start_clocks(chosen, ticket, cal, now) if chosen else {}
        for name in TARGETS:
            state = row.clocks.get(name)
            if ck.is_active(state):
                ck.settle(state, cal, now)
                state["target"] = getattr(chosen, name) if chosen else None
                if state["target"] is None and state["deadline"] is None:
                    state["status"], state["since"] = "idle", None
            elif name in fresh and not state:
                row.clocks[name] = fresh[name]
        row.policy, row.policy_name = chosen, chosen.name if chosen else None
        return [("sla.policy_changed", {"from": policy.name if policy else None, "to": row.policy_name})]

    return change(tenant, ticket, apply, actor=actor)


def on_deadline(tenant: Tenant, ticket: Ticket, kind: str, due_at: datetime) -> SlaTicket | None:
    """An outside deadline tightens the `kind` clock when it is earlier than its due time."""

    def apply(row: SlaTicket, policy: SlaPolicy | None, cal: BusinessCalendar, now: datetime, created: bool) -> Events:
        state = row.clocks.get(kind)
        if not ck.is_active(state):
            applies = ticket.status in OPEN_STATUSES and (kind == "resolution" or ticket.first_response_at is None)
            if not applies:
                return []
            state = row.clocks[kind] = ck.new_clock(None, now, paused=ticket.status == "pending" and pauses(policy))
        ck.recompute(state, cal, warning_percent(policy))
        tightened = ck.tighten(state, due_at, now, warning_percent(policy))
        return [("sla.deadline", {"target": kind, "due_at": ck.iso(due_at), "tightened": tightened})]

    return change(tenant, ticket, apply)


def rematch_unmatched(tenant: Tenant, budget_seconds: float = RECONCILE_SECONDS, *, actor: Actor | None = None) -> int:
    """Choose a policy for unresolved tickets stamped while none matched (e.g. before the
    tenant's first policies were saved), for up to `budget_seconds`; returns how many got one.
    The switches are credited to `actor` (the plugin when None)."""
    started, matched = time.monotonic(), 0
    unmatched = (
        Ticket.of(tenant)
        .join(SlaTicket, on=(SlaTicket.ticket == Ticket.id))
        .where(SlaTicket.policy.is_null() & Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id)
    )
    for ticket in unmatched.iterator():
        row = rematch(tenant, ticket, actor or SYSTEM)
        matched += bool(row and row.policy_id)
        if time.monotonic() - started > budget_seconds:
            break
    return matched


def reconcile(tenant: Tenant, budget_seconds: float = RECONCILE_SECONDS) -> int:
    """Stamp the tenant's unresolved tickets that have no SLA row (a crash, or tickets from
    before the plugin was enabled), in batches for up to `budget_seconds`; returns how many."""
    started, done = time.monotonic(), 0
    while time.monotonic() - started < budget_seconds:
        missing = list(
            Ticket.of(tenant)
            .join(SlaTicket, peewee.JOIN.LEFT_OUTER, on=(SlaTicket.ticket == Ticket.id))
            .where(SlaTicket.id.is_null() & Ticket.status.in_(OPEN_STATUSES))
            .order_by(Ticket.id)
            .limit(RECONCILE_BATCH)
        )
        for ticket in missing:
            on_created(tenant, ticket)
        done += len(missing)
        if len(missing) < RECONCILE_BATCH:
            break
    return done
