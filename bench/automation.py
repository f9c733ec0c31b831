"""What automation costs a ticket event: 200 active triggers against none.

    .venv/bin/python -m bench.automation               # 2,000 events per case
    .venv/bin/python -m bench.automation --events 300  # a quick run

On a throw-away SQLite file, with the automation plugin enabled in one tenant: (1) the trigger
evaluation alone per event (`engine.matching`: the rules-stamp read, the facts, 200 compiled
rules of three conditions each, none of which matches, as on most events) on the ticket as the
hooks get it (no relation loaded), in a tenant with no rules (the baseline), for a ticket in a
category no rule names and for one in a category 10 rules name (those 10 are evaluated whole),
and the same 200 rules with the equality index switched off (every rule evaluated: the cost
before the index); (2) the whole ticket change (`tickets.update`, which fires
`gongdan_ticket_updated`) with 200 triggers and with none. Prints p50/p95/p99 of wall time and,
for the evaluation, of the thread's CPU time (what a busy machine's scheduling does not
inflate); never passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import tempfile

from gongdan_automation import engine, rules

from gongdan import accounts, categories, tickets
from gongdan.actors import Actor
from gongdan.db import open_database
from gongdan.models import Ticket
from gongdan.plugins import get_host
from gongdan.schema import upgrade

from .common import cpu_latencies, latencies, percentile

SYSTEM = Actor.system("bench")
RULES = 200


def _load() -> str:
    """The machine's 1/5/15-minute load averages (the figures' context on a shared machine)."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _as_hooks_get(ticket: Ticket) -> Ticket:
    """A copy of `ticket` with no relation loaded, as the ticket service hands one to the hooks
    (reusing one instance would hide the reads of its category, team or customer)."""
    return Ticket(**ticket.__data__)


def _p(samples: list[float]) -> str:
    return " ".join(f"p{q} {percentile(samples, q) * 1000:.3f} ms" for q in (50, 95, 99))


def _rule(i: int) -> dict:
    """A realistic trigger: a category level, a tier and a word (never all true here)."""
    return {
        "name": f"rule {i}",
        "event": "updated",
        "position": i,
        "match": "all",
        "conditions": [
            {"field": "category_2", "op": "is", "value": f"场景{i % 20}"},
            {"field": "tier", "op": "in", "value": "vip,svip"},
            {"field": "text", "op": "contains", "value": f"关键词{i}"},
        ],
        "actions": [{"action": "set_tags", "inputs": {"tags": [f"r{i}"], "mode": "add"}}],
    }


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events per case (default 2000)")
    args = parser.parse_args()
    open_database(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    host = get_host()
    upgrade(host)
    busy = accounts.create_tenant("busy", "200 rules")
    idle = accounts.create_tenant("idle", "no rules")
    for tenant in (busy, idle):
        host.set_enabled(tenant, "automation", enabled=True)
        categories.ensure(tenant, "售后/场景99/问题")
    for i in range(RULES):
        rules.create(busy, "trigger", _rule(i))
    categories.ensure(busy, "售后/场景5/问题")
    ticket = {
        t.slug: tickets.create(
            t,
            {"subject": "物流太慢", "category": "售后/场景99/问题", "customer": {"name": "王", "tier": "vip"}},
            SYSTEM,
        )[0]
        for t in (busy, idle)
    }
    named = tickets.create(
        busy, {"subject": "物流太慢", "category": "售后/场景5/问题", "customer": {"name": "李", "tier": "vip"}}, SYSTEM
    )[0]
    engine.matching(busy, ticket["busy"], "updated")  # compile once (as the first event after a change does)
    engine.matching(idle, ticket["idle"], "updated")
    print(f"load average before: {_load()}")
    cases = [
        (
            "a tenant with no rules (baseline)",
            lambda i: engine.matching(idle, _as_hooks_get(ticket["idle"]), "updated"),
        ),
        (
            f"{RULES} triggers, category no rule names",
            lambda i: engine.matching(busy, _as_hooks_get(ticket["busy"]), "updated"),
        ),
        (f"{RULES} triggers, category 10 rules name", lambda i: engine.matching(busy, _as_hooks_get(named), "updated")),
    ]
    for label, fn in cases:
        wall, cpu = latencies(fn, args.events), cpu_latencies(fn, args.events)
        print(f"trigger evaluation, {label}: wall {_p(wall)} | cpu {_p(cpu)}")
    found = rules.active(busy, "trigger", "updated")
    unindexed = rules.RuleSet(list(found))
    unindexed.by_field, unindexed.rest = {}, list(range(len(found)))
    original = rules.active
    rules.active = lambda tenant, kind, key: unindexed  # type: ignore[assignment]
    try:
        fn = cases[1][1]
        wall, cpu = latencies(fn, args.events), cpu_latencies(fn, args.events)
    finally:
        rules.active = original  # type: ignore[assignment]
    print(f"trigger evaluation, {RULES} triggers, without the index: wall {_p(wall)} | cpu {_p(cpu)}")
    priorities = ("low", "normal", "high", "urgent")
    for slug, label in (("idle", "no rules"), ("busy", f"{RULES} triggers")):
        t, tenant = ticket[slug], busy if slug == "busy" else idle
        whole = latencies(
            lambda i, t=t, tenant=tenant: tickets.update(tenant, t, {"priority": priorities[i % 4]}, SYSTEM),
            args.events,
        )
        print(f"ticket event (tickets.update), {label}: {_p(whole)}")
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
