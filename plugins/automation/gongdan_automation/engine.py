"""Running rules: triggers on ticket events, time rules hourly, and dry runs.

Loop protection: while a trigger's actions run, it is on the context's stack (also around the
dispatch of the events they cause, when that waits for the outermost commit); those events do
not fire it again, and no chain of triggers goes deeper than the tenant's
`max_depth`. Time rules act on a ticket once per rule and change (its `updated_at`; the change
the rule's own actions make is claimed too, so it is not a new one), exactly once across
workers: a `TimeClaim` row with a unique key is written before acting.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import peewee

from gongdan import actions, clock
from gongdan.actors import Actor
from gongdan.db import after_commit, is_postgres, write_transaction
from gongdan.errors import GongdanError
from gongdan.locks import try_lock
from gongdan.models import Comment, Tenant, Ticket, TicketEvent
from gongdan.plugins import get_host

from . import rules
from .conditions import Facts, explain
from .models import Rule, RuleRun, RulesState, TimeClaim

PLUGIN = "automation"
TIME_RULE_BATCH = 2000
TAIL_BATCH = 500
OWN_KINDS = ("action.run", "automation.")
log = logging.getLogger("gongdan_automation")
_stack: ContextVar[tuple[int, ...]] = ContextVar("gongdan_automation_stack", default=())


def settings(tenant: Tenant) -> dict[str, Any]:
    """The tenant's automation settings."""
    return get_host().settings(tenant, PLUGIN)


def facts(tenant: Tenant, ticket: Ticket, event: str = "", comment: Comment | None = None) -> Facts:
    """The facts conditions read, with the tenant's business hours (read when a condition asks)."""

    def hours() -> tuple[str, str, frozenset[int]]:
        conf = settings(tenant)
        return conf["business_start"], conf["business_end"], frozenset(conf["business_days"])

    return Facts(tenant, ticket, event=event, comment=comment, hours=hours)


def matching(tenant: Tenant, ticket: Ticket, event: str, comment: Comment | None = None) -> list[rules.Compiled]:
    """The active triggers on `event` whose conditions hold for `ticket` (not those already running)."""
    found = rules.active(tenant, "trigger", event)
    if not found:
        return []
    running = _stack.get()
    seen = facts(tenant, ticket, event, comment)
    return [rule for rule in found.candidates(seen) if rule.id not in running and rule.matches(seen)]


def on_event(
    tenant: Tenant, ticket: Ticket, event: str, comment: Comment | None = None, *, once: str | None = None
) -> int:
    """Fire the tenant's triggers on `event` for `ticket`; returns how many fired. With `once`
    (e.g. `event:ID`), each trigger fires at most once for that key (a claim per rule and ticket),
    however many workers or re-reads of the event log meet it."""
    stack = _stack.get()
    if stack and len(stack) >= settings(tenant)["max_depth"]:
        log.warning("trigger chain %s stopped at the depth limit on ticket %s", stack, ticket.id)
        return 0
    fired = matching(tenant, ticket, event, comment)
    if once is not None:
        fired = [rule for rule in fired if claim_key(tenant, rule.id, ticket.id, once)]
    for rule in fired:
        inner = (*stack, rule.id)
        token = _stack.set(inner)
        # the events its actions cause may be dispatched only after the outermost commit (when
        # this runs inside a transaction): the stack is set again around them, in that order
        after_commit(lambda inner=inner: _stack.set(inner))
        try:
            run_actions(tenant, ticket, rule, event)
        finally:
            _stack.reset(token)
            after_commit(lambda stack=stack: _stack.set(stack))
    return len(fired)


def run_actions(tenant: Tenant, ticket: Ticket, rule: rules.Compiled, event: str) -> str:
    """Run a rule's actions on `ticket` in order, as the system; record the run on the rule."""
    actor = Actor.system(f"plugin:{PLUGIN}:{rule.name}")  # the timeline shows 自动化 · <rule name>
    done: list[dict[str, Any]] = []
    outcome = "ok"
    for item in rule.actions:
        try:
            result = actions.run(tenant, ticket, item["action"], item["inputs"], actor, source=f"{rule.kind}:{rule.id}")
            done.append({"action": item["action"], "outcome": result["outcome"]})
            if result["outcome"] == "held":
                outcome = "held"
        except GongdanError as exc:
            done.append({"action": item["action"], "outcome": "failed", "error": exc.message})
            outcome = "failed"
            break
        ticket = Ticket.get_by_id(ticket.id)  # the next action sees what the last one did
    now = clock.now()
    with write_transaction():
        RuleRun.create(
            tenant=tenant, rule=rule.id, ticket=ticket.id, event=event, outcome=outcome, detail={"actions": done}
        )
        Rule.update(last_fired_at=now, fired_count=Rule.fired_count + 1).where(Rule.id == rule.id).execute()
    return outcome


def dry_run(tenant: Tenant, rule: Rule, ticket: Ticket, event: str | None = None) -> dict[str, Any]:
    """What `rule` would do to `ticket` now, without doing it: each condition and each action."""
    seen = facts(tenant, ticket, event or rule.event)
    compiled = rules.compile_row(rule)
    planned = []
    for item in rule.actions:
        try:
            action = actions.find(tenant, item["action"])
            available = actions.is_available(tenant, action, ticket, Actor.system())
        except GongdanError:
            available = False
        planned.append({"action": item["action"], "inputs": item["inputs"], "available": available})
    return {
        "rule_id": rule.id,
        "ticket_id": ticket.id,
        "matches": compiled.matches(seen),
        "conditions": explain(rule.conditions, seen),
        "actions": planned,
    }


# --- time rules ---------------------------------------------------------------------------


def run_time_rules(tenant: Tenant) -> int:
    """Evaluate the tenant's time rules over every ticket of it that is not closed, in batches of
    `TIME_RULE_BATCH` by id; returns the actions taken (0 when another worker is at it now).

    One worker at a time per tenant (an installation-wide lock): a second worker started at the
    same moment could otherwise read a ticket between the first one's action and its claim of the
    change that action made, and act again. The claims still make each action once per change
    should the lock be lost (a restarted database, a worker that ran the rules by hand).
    """
    found = rules.active(tenant, "time", "")
    if not found:
        return 0
    with try_lock(f"automation.time_rules:{tenant.id}") as got:
        if not got:
            return 0
        taken, after = 0, 0
        while True:
            batch = list(
                Ticket.of(tenant)
                .where((Ticket.status != "closed") & (Ticket.id > after))
                .order_by(Ticket.id)
                .limit(TIME_RULE_BATCH)
            )
            for ticket in batch:
                taken += _time_rules_on(tenant, found, ticket)
            if len(batch) < TIME_RULE_BATCH:
                return taken
            after = batch[-1].id


def _time_rules_on(tenant: Tenant, found: rules.RuleSet, ticket: Ticket) -> int:
    taken = 0
    seen = facts(tenant, ticket, "time")
    for rule in found:
        if rule.matches(seen) and claim(tenant, rule.id, ticket):
            run_actions(tenant, ticket, rule, "time")
            ticket = Ticket.get_by_id(ticket.id)
            claim(tenant, rule.id, ticket)  # its own change is not a new one
            seen = facts(tenant, ticket, "time")  # the next rule sees what this one did
            taken += 1
    return taken


def claim(tenant: Tenant, rule_id: int, ticket: Ticket) -> bool:
    """Claim acting on `ticket` for this change of it; False when another worker already did."""
    return claim_key(tenant, rule_id, ticket.id, ticket.updated_at.isoformat())


def claim_key(tenant: Tenant, rule_id: int, ticket_id: int, change: str) -> bool:
    """Claim rule `rule_id` acting on ticket `ticket_id` for `change` (a unique row); False when
    it was claimed before, by this worker or another."""
    try:
        with write_transaction():
            TimeClaim.create(tenant=tenant, rule=rule_id, ticket=ticket_id, change=change)
    except peewee.IntegrityError:
        return False
    return True


SETTLE = timedelta(seconds=30)


def settled(events: list[TicketEvent], cursor: int) -> int:
    """How far a reader of the event log may move its cursor after reading `events` (in id order,
    all after `cursor`). On PostgreSQL an event can become visible after one with a higher id (its
    transaction committed later), so the cursor stays before the events of the last `SETTLE` and
    the next read sees them again (readers drop repeats by a unique key). SQLite commits one
    writer at a time, in id order: the cursor moves to the last event."""
    if not is_postgres():
        return events[-1].id if events else cursor
    limit = clock.now() - SETTLE
    for event in events:
        if event.at > limit:
            break
        cursor = event.id
    return cursor


def time_rules_job() -> None:
    """Every tenant with the plugin on: its time rules (one tenant's failure does not stop the rest)."""
    host = get_host()
    for tenant in host.tenants_with(PLUGIN):
        try:
            run_time_rules(tenant)
        except Exception as exc:  # noqa: BLE001 - recorded as the plugin's failure
            host.record_failure(PLUGIN, tenant, "automation.time_rules", exc)


# --- plugin events (SLA warnings and breaches, a connector's events, ...) -----------------


def tail_plugin_events(tenant: Tenant) -> int:
    """Fire the triggers on plugin events (kinds with a dot, e.g. `sla.breach`) recorded since the
    last call, each trigger once per event (`on_event(once=...)`) however many workers read it;
    the tenant's cursor moves by a conditional update, behind the events not yet settled
    (`settled`). The first call starts at the end of the log (no history is replayed)."""
    state = RulesState.get_or_none(RulesState.tenant == tenant.id) or RulesState.create(tenant=tenant)
    newest = TicketEvent.select(peewee.fn.MAX(TicketEvent.id)).where(TicketEvent.tenant == tenant.id).scalar() or 0
    if state.last_event_id is None:
        RulesState.update(last_event_id=newest).where(RulesState.id == state.id).execute()
        return 0
    batch = list(
        TicketEvent.select()
        .where(
            (TicketEvent.tenant == tenant.id)
            & (TicketEvent.id > state.last_event_id)
            & TicketEvent.kind.contains(".")
            & TicketEvent.ticket.is_null(False)
        )
        .order_by(TicketEvent.id)
        .limit(TAIL_BATCH)
    )
    if not batch:
        return 0
    fired = 0
    for event in batch:
        if (
            event.kind == OWN_KINDS[0]
            or event.kind.startswith(OWN_KINDS[1])
            or not rules.active(tenant, "trigger", event.kind)
        ):
            continue
        ticket = Ticket.get_or_none(Ticket.id == event.ticket_id)
        if ticket is not None:
            fired += on_event(tenant, ticket, event.kind, once=f"event:{event.id}")
    cursor = settled(batch, state.last_event_id)
    if cursor != state.last_event_id:
        RulesState.update(last_event_id=cursor).where(
            (RulesState.id == state.id) & (RulesState.last_event_id == state.last_event_id)
        ).execute()
    return fired


def plugin_events_job() -> None:
    """Every tenant with the plugin on: triggers on the plugin events recorded since the last run."""
    host = get_host()
    for tenant in host.tenants_with(PLUGIN):
        try:
            tail_plugin_events(tenant)
        except Exception as exc:  # noqa: BLE001 - recorded as the plugin's failure
            host.record_failure(PLUGIN, tenant, "automation.plugin_events", exc)
