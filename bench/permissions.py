"""What the permission check costs the ticket service's hot path.

    .venv/bin/python -m bench.permissions              # 1,500 assignments per round, 3 rounds
    .venv/bin/python -m bench.permissions --count 300  # a quick run

`tickets.assign` by an agent (the service asks `permissions.require(actor, "ticket.assign",
ticket)` on the row it already locked) against the same by the system (checks nothing), on a
throw-away SQLite file, interleaved rounds, medians; then `require` alone. Prints figures;
never passes or fails on time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile

from gongdan import accounts, permissions, tickets
from gongdan.actors import Actor
from gongdan.db import open_database
from gongdan.plugins import get_host
from gongdan.schema import upgrade

from .common import timed

SYSTEM = Actor.system("plugin:assignment")


def main() -> None:
    """Run the rounds and print assignments per second and the cost of one check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1500, help="assignments per round (default 1500)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per actor (default 3)")
    args = parser.parse_args()
    open_database(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    upgrade(get_host())
    tenant = accounts.create_tenant("bench", "Bench")
    agent = accounts.create_user(tenant, "agent@bench.example.com", "agent")
    actors = {"system": SYSTEM, "agent (checked)": Actor.of(agent)}
    rates: dict[str, list[float]] = {name: [] for name in actors}
    for _ in range(args.rounds):
        for name, actor in actors.items():
            rows = [tickets.create(tenant, {"subject": f"bench {i}"}, SYSTEM)[0] for i in range(args.count)]
            seconds = timed(lambda rows=rows, actor=actor: [tickets.assign(tenant, t, agent.id, actor) for t in rows])
            rates[name].append(args.count / seconds)
    for name, values in rates.items():
        print(f"tickets.assign by {name}: {statistics.median(values):,.0f}/s (median of {args.rounds})")
    ticket, checks = tickets.get(tenant, 1), 100_000
    seconds = timed(
        lambda: [permissions.require(actors["agent (checked)"], "ticket.assign", ticket) for _ in range(checks)]
    )
    print(f"permissions.require: {seconds / checks * 1e6:.2f} µs per check, no query")


if __name__ == "__main__":
    main()
