"""What the ticket page's short poll costs (collision detection, issue 16).

Builds a fresh SQLite database in a temporary directory (or uses GONGDAN_DATABASE_URL when it is
a PostgreSQL URL), a tenant with `--agents` agents signed in to the console, one ticket, and
times `POST /console/tickets/ID/presence` through the app in this process (no network), each
agent in turn. With the page polling every 10 s, N agents with a ticket open send N/10 polls
a second; the figures say how much of one sync gunicorn worker that takes. Figures only.

    .venv/bin/python -m bench.presence [--agents 20] [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

POLL_SECONDS = 10


def main() -> None:
    """Print the poll's latency percentiles and the share of a worker per 100 agents."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gongdan-presence-"))
    os.environ.setdefault("GONGDAN_KEY_FILE", str(folder / "gongdan.key"))
    if not os.environ.get("GONGDAN_DATABASE_URL", "").startswith("postgresql"):
        os.environ["GONGDAN_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    from gongdan import accounts, tickets
    from gongdan.actors import Actor
    from gongdan.cli import open_db
    from gongdan.plugins import get_host
    from gongdan.schema import upgrade
    from gongdan.testing import TEST_PASSWORD, ConsoleClient
    from gongdan.web import create_app

    open_db(need_schema=False)
    upgrade(get_host())
    app = create_app()
    tenant = accounts.create_tenant(f"bench{int(time.time())}", "Bench")
    users = [
        accounts.create_user(tenant, f"a{n}@bench.example.com", "agent", f"客服{n}", TEST_PASSWORD)
        for n in range(args.agents)
    ]
    ticket, _ = tickets.create(tenant, {"subject": "并发处理"}, Actor.system("bench"))
    clients = [ConsoleClient(app, user) for user in users]
    path = f"/console/tickets/{ticket.id}/presence"
    timings = []
    for round_number in range(args.rounds):
        for n, client in enumerate(clients):
            started = time.perf_counter()
            answer = client.post(path, {"typing": "1" if (n + round_number) % 5 == 0 else "0"})
            timings.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.status_code
    timings.sort()
    p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95)]
    per_100 = 100 / POLL_SECONDS * p50 / 1000
    print(f"database: {os.environ['GONGDAN_DATABASE_URL'].split('@')[-1]}")
    print(f"{len(timings)} polls by {args.agents} agents on one ticket: p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    rate = 100 / POLL_SECONDS
    print(f"100 agents polling every {POLL_SECONDS} s: {rate:.0f} polls/s, ~{per_100:.0%} of one sync worker")


if __name__ == "__main__":
    main()
