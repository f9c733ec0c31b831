"""HTTP benchmark of the REST API in its production set-up.

Starts `gunicorn -c python:gongdan.web.gunicorn_conf "gongdan.web:create_app()"` (the production
settings: 2 workers by default, 4 threads each, connections kept alive; `--server sync` for
gunicorn's default sync worker instead) on a fresh SQLite database in a temporary directory,
made with the CLI (`gongdan init`, a tenant, an agent and a token), and drives it over loopback
from separate client processes:

* full load: `--clients` closed-loop clients, each sending its next request as soon as the
  previous one is answered; requests/s is the server's maximum for that request.
* half load: open loop at half the measured maximum, requests sent on a fixed schedule;
  latency counts from the scheduled send time, so queueing is not hidden.

for `POST /api/v1/tickets` and `GET /api/v1/tickets?assignee=me` (a page of 25 tickets of
the agent's), once with no plugin enabled and once, on a second fresh database, with every
first-party plugin enabled for the tenant, with `GET /api/v1/health` (no token, no query) as
the baseline measured in the same run. The rate limit is raised for the bench
(`GONGDAN_RATE_LIMIT_PER_MINUTE=0` switches the shared limiter off, to measure what its
statement costs).

The creates at full load, the figure issue 15 compares, run in `--rounds` interleaved rounds
(no plugin, every plugin, the peer, again and again; the median round is printed) with every
server up at once, so a noisy neighbour slows them alike. The peer is **django-helpdesk**'s REST
API (`POST /api/tickets/`) served by gunicorn with as many workers and the same worker
settings, on SQLite, with DRF token authentication, from its own virtual environment (see
`bench.peer_helpdesk`; skipped, and said so, when none is installed). Unless `--no-compare-sync`,
every plugin and the peer are also served by sync workers in the same rounds (`all-sync`,
`peer-sync`): the peer's ratio is taken against whichever of its two set-ups was faster (Django on
SQLite is slower with threads), and `all-sync` shows what the production settings change.
`--before FOLDER` serves
no plugin and every plugin a second time from an older `gongdan` package (FOLDER/gongdan) in the
same rounds, and prints the before/after ratios of rate and server CPU: a change's effect measured
under the same load. The folder, from an earlier commit (the plugins stay the current tree's):

    mkdir -p /tmp/old /tmp/before && git archive OLD core admin | tar -x -C /tmp/old
    ln -s /tmp/old/admin /tmp/old/core/admin && ln -s /tmp/old/core /tmp/before/gongdan
    .venv/bin/python -m bench.http --rounds 3 --before /tmp/before

Figures only; nothing passes or fails.

    .venv/bin/python -m bench.http [--duration 5] [--clients 4] [--workers 2] [--assigned 200]
                                   [--rounds 3] [--peer-venv /tmp/dh-venv] [--server production|sync]
                                   [--no-compare-sync] [--before FOLDER]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import peer_helpdesk
from gongdan.web import gunicorn_conf

BIN = Path(sys.executable).parent
# gunicorn's arguments for gongdan and for the peer: the production settings module, and the same
# settings spelled out for the peer; or gunicorn's default sync worker for both
SERVERS = {
    "production": (("-c", "python:gongdan.web.gunicorn_conf"), gunicorn_conf.SERVER_ARGS),
    "sync": (("--worker-class", "sync"), ("--worker-class", "sync")),
}


@dataclass
class Result:
    """What one phase measured."""

    name: str
    load: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        """Answered requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """The `p`-th percentile latency in milliseconds."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- the server ---------------------------------------------------------------------------------


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "gongdan"), *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_party() -> list[str]:
    """The plugins shipped with gongdan (folders of plugins/) that are installed here."""
    ours = {p.name for p in (Path(__file__).resolve().parent.parent / "plugins").iterdir() if p.is_dir()}
    from importlib.metadata import entry_points

    return sorted(ep.name for ep in entry_points(group="gongdan.plugins") if ep.name in ours)


def start_server(
    workdir: Path,
    workers: int,
    plugins: list[str] = (),
    name: str = "bench",
    server: str = "production",
    source: str | None = None,
) -> tuple[subprocess.Popen, int, str, dict[str, str]]:
    """A fresh database made with the CLI, `plugins` enabled for its tenant, and gunicorn serving
    it with the `server` settings (`SERVERS`); returns (process, port, token, env).

    `source`: a folder put first on the server's (and its CLI's) `PYTHONPATH`, holding an older
    `gongdan` package (see `--before`).
    """
    env = dict(os.environ)
    if source:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env.setdefault("GONGDAN_RATE_LIMIT_PER_MINUTE", "100000000")  # 0: no limiter (to measure its cost)
    env.update(GONGDAN_DATABASE_URL=f"sqlite:///{workdir / f'{name}.db'}", GONGDAN_SECRET_KEY="bench")
    env.setdefault("GONGDAN_KEY_FILE", str(workdir / "bench.key"))
    _cli(env, "init")
    _cli(env, "tenant", "create", "bench", "--name", "压测店铺")
    _cli(env, "user", "create", "agent@bench.example.com", "--tenant", "bench", "--role", "agent", "--name", "压测客服")
    for plugin in plugins:
        _cli(env, "plugins", "enable", plugin, "--tenant", "bench")
    token = _cli(env, "token", "create", "agent@bench.example.com")
    port = _free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            *SERVERS[server][0],
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "gongdan.web:create_app()",
        ],
        env=env,
        cwd=workdir,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = request(port, "GET", "/api/v1/health")
            if status == 200:
                return server, port, token, env
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 30 s")


def request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
    conn: Any = None,
    scheme: str = "Bearer",
) -> tuple[int, bytes]:
    """One HTTP request over loopback; returns (status, body)."""
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"{scheme} {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


# --- the clients --------------------------------------------------------------------------------


def _call_for(kind: str, port: int, token: str, client: int, extra: Any = None) -> Callable[[int], int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    if kind == "peer":  # django-helpdesk: `extra` is its queue's id
        return lambda n: request(
            port, "POST", "/api/tickets/", peer_helpdesk.create_body(extra, client, n), token, conn, "Token"
        )[0]
    if kind == "create":
        return lambda n: request(
            port,
            "POST",
            "/api/v1/tickets",
            {"subject": f"收到的商品破损 #{client}-{n}", "description": "外包装完好，但杯子碎了", "tags": ["破损"]},
            token,
            conn,
        )[0]
    if kind == "list":
        return lambda n: request(port, "GET", "/api/v1/tickets?assignee=me", None, token, conn)[0]
    return lambda n: request(port, "GET", "/api/v1/health", None, None, conn)[0]


def _client(
    kind: str, port: int, token: str, client: int, seconds: float, rate: float | None, out: Any, extra: Any = None
) -> None:
    """One client process: closed loop when `rate` is None, else one request every 1/rate s."""
    call = _call_for(kind, port, token, client, extra)
    ok = {"create": (200, 201), "peer": (201,)}.get(kind, (200,))
    latencies, errors, n = [], 0, 0
    start = time.perf_counter()
    end = start + seconds
    while True:
        if rate is None:
            sent = time.perf_counter()
            if sent >= end:
                break
        else:
            sent = start + n / rate
            if sent >= end:
                break
            pause = sent - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        status = call(n)
        n += 1
        if status in ok:
            latencies.append((time.perf_counter() - sent) * 1000)
        else:
            errors += 1
    out.put((latencies, errors, time.perf_counter() - start))


def drive(
    kind: str, port: int, token: str, clients: int, seconds: float, rate: float | None, extra: Any = None
) -> Result:
    """Run `clients` client processes for `seconds`; `rate` (total requests/s) for an open loop."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    per_client = None if rate is None else rate / clients
    processes = [
        context.Process(target=_client, args=(kind, port, token, c, seconds, per_client, out, extra))
        for c in range(clients)
    ]
    for process in processes:
        process.start()
    answers = [out.get() for _ in processes]
    for process in processes:
        process.join()
    latencies = [ms for got, _, _ in answers for ms in got]
    return Result(
        name=kind,
        load="full" if rate is None else f"half ({rate:.0f}/s)",
        requests=len(latencies),
        errors=sum(e for _, e, _ in answers),
        seconds=max(s for _, _, s in answers),
        latencies_ms=latencies,
    )


def assign_some(port: int, token: str, count: int) -> None:
    """Give the agent `count` tickets through the API, so `assignee=me` lists a full page."""
    me = json.loads(request(port, "GET", "/api/v1/users/me", None, token)[1])["id"]
    for n in range(count):
        _, body = request(port, "POST", "/api/v1/tickets", {"subject": f"我的工单 {n}"}, token)
        ticket = json.loads(body)["id"]
        request(port, "POST", f"/api/v1/tickets/{ticket}/assign", {"assignee_id": me}, token)


# --- the report ---------------------------------------------------------------------------------


def table(results: list[tuple[str, Result]], baseline: Result) -> str:
    """The figures as a text table, with each rate as a share of the baseline's."""
    lines = [
        f"{'request':<34} {'plugins':<11} {'load':<16} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        f" {'vs health':>10}",
        "-" * 109,
    ]
    labels = {
        "health": "GET /api/v1/health (baseline)",
        "create": "POST /api/v1/tickets",
        "list": "GET /api/v1/tickets?assignee=me",
        "peer": "django-helpdesk POST /api/tickets/",
    }
    for setup, r in results:
        lines.append(
            f"{labels[r.name]:<34} {setup:<11} {r.load:<16} {r.rate:>8.0f} {r.percentile(50):>8.1f}"
            f" {r.percentile(99):>8.1f} {r.errors:>7} {r.rate / baseline.rate:>9.2f}x"
        )
    return "\n".join(lines)


@dataclass
class Server:
    """One server under test: gongdan with some plugins, or the peer."""

    setup: str
    process: subprocess.Popen
    port: int
    token: str
    kind: str = "create"
    extra: Any = None


def _health(port: int) -> bool:
    try:
        return request(port, "GET", "/api/v1/health")[0] == 200
    except OSError:
        return False


def _peer_ready(port: int) -> bool:
    try:
        return request(port, "GET", "/api/tickets/")[0] in (200, 401, 403)
    except OSError:
        return False


def server_cpu(process: subprocess.Popen) -> float:
    """CPU seconds gunicorn's worker processes (the children of `process`) have used so far
    (Linux /proc; 0.0 elsewhere). Unlike the wall-clock rate, it hardly depends on the load."""
    ticks = 0
    for children in Path(f"/proc/{process.pid}/task").glob("*/children"):
        for child in children.read_text().split():
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
            except (OSError, IndexError, ValueError):
                continue
    return ticks / os.sysconf("SC_CLK_TCK")


def create_rounds(servers: list[Server], args: Any) -> tuple[dict[str, list[Result]], dict[str, list[float]]]:
    """Creates at full load on each server, interleaved over `args.rounds` rounds; with the
    server's CPU milliseconds per create in each round."""
    found: dict[str, list[Result]] = {s.setup: [] for s in servers}
    cpu: dict[str, list[float]] = {s.setup: [] for s in servers}
    for _ in range(args.rounds):
        for s in servers:
            before = server_cpu(s.process)
            result = drive(s.kind, s.port, s.token, args.clients, args.duration, None, s.extra)
            found[s.setup].append(result)
            cpu[s.setup].append(1000 * (server_cpu(s.process) - before) / max(result.requests + result.errors, 1))
    return found, cpu


def median_round(results: list[Result]) -> Result:
    """The round with the median rate."""
    return sorted(results, key=lambda r: r.rate)[len(results) // 2]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark with no plugin, with every first-party plugin and the peer; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per phase")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--assigned", type=int, default=200, help="tickets assigned to the agent before listing")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of full-load creates")
    parser.add_argument("--peer-venv", default=None, help="virtual environment with django-helpdesk and gunicorn")
    parser.add_argument(
        "--server", choices=sorted(SERVERS), default="production", help="gunicorn settings of gongdan and the peer"
    )
    parser.add_argument(
        "--before",
        metavar="FOLDER",
        default=None,
        help="also serve no plugin and every plugin from the `gongdan` package in FOLDER (an older"
        " checkout's core/, linked as FOLDER/gongdan) in the same rounds, for before/after ratios",
    )
    parser.add_argument(
        "--compare-sync",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run every plugin and the peer on sync workers in the same rounds (the peer's ratio is"
        " taken against its faster set-up)",
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="gongdan-bench-"))
    plugins = first_party()
    peer_venv = peer_helpdesk.find_venv(args.peer_venv)
    servers: list[Server] = []
    modes = [args.server] + (["sync"] if args.compare_sync and args.server != "sync" else [])
    try:
        settings = " ".join(SERVERS[args.server][1])
        print(f"gunicorn -w {args.workers} {settings} (gongdan and the peer), SQLite in {workdir}")
        if len(modes) > 1:
            print("-sync: every plugin and the peer also served by gunicorn's default sync workers, same rounds")
        print(f"{args.clients} client processes, each keeping its connection open when the server allows")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the run")
        print(f"all: {', '.join(plugins)} enabled for the tenant (no worker runs: deferred work waits in its queue)")
        wanted = [("none", [], args.server), ("all", plugins, args.server)]
        wanted += [("all-sync", plugins, "sync")] if len(modes) > 1 else []
        for setup, enabled, mode in wanted:
            process, port, token, _ = start_server(workdir, args.workers, enabled, f"bench-{setup}", mode)
            servers.append(Server(setup, process, port, token))
        if args.before:
            print(f"before: no plugin and every plugin also served from {args.before} (none-before, all-before)")
            for setup, enabled in (("none-before", []), ("all-before", plugins)):
                started = start_server(workdir, args.workers, enabled, f"bench-{setup}", args.server, args.before)
                servers.append(Server(setup, *started[:3]))
        if peer_venv is not None:
            for mode in modes:
                port = _free_port()
                process, queue, token = peer_helpdesk.start(
                    peer_venv, workdir / mode, args.workers, port, _peer_ready, SERVERS[mode][1]
                )
                setup = "peer" if mode == args.server else "peer-sync"
                servers.append(Server(setup, process, port, token, kind="peer", extra=queue))
            print(f"peer: django-helpdesk {peer_helpdesk.version(peer_venv)} from {peer_venv}")
        else:
            print("peer: django-helpdesk not installed (see bench/peer_helpdesk.py): no peer figure")
        before = server_cpu(servers[0].process)
        baseline = drive("health", servers[0].port, "", args.clients, args.duration, None)
        health_cpu = 1000 * (server_cpu(servers[0].process) - before) / max(baseline.requests, 1)
        rounds, cpu = create_rounds(servers, args)
        creates = {setup: median_round(found) for setup, found in rounds.items()}
        results: list[tuple[str, Result]] = [("-", baseline)]
        results += [(setup, r) for setup, r in creates.items() if not setup.startswith("peer")]
        for s in servers[:2]:
            full = creates[s.setup]
            results.append((s.setup, drive("create", s.port, s.token, args.clients, args.duration, full.rate / 2)))
            assign_some(s.port, s.token, args.assigned)
            full = drive("list", s.port, s.token, args.clients, args.duration, None)
            results += [
                (s.setup, full),
                (s.setup, drive("list", s.port, s.token, args.clients, args.duration, full.rate / 2)),
            ]
        results += [(setup, r) for setup, r in creates.items() if setup.startswith("peer")]
        print(table(results, baseline))
        cpu_each = {setup: statistics.median(ms) for setup, ms in cpu.items()}
        _summary(rounds, creates, results, {**cpu_each, "health": health_cpu})
    finally:
        for s in servers:
            s.process.terminate()
            s.process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def _summary(
    rounds: dict[str, list[Result]],
    creates: dict[str, Result],
    results: list[tuple[str, Result]],
    cpu: dict[str, float],
) -> None:
    """The ratios issue 15 asks for, from the median rounds and the servers' CPU per create."""
    each = "; ".join(f"{setup} " + ", ".join(f"{r.rate:.0f}" for r in found) for setup, found in rounds.items())
    print(f"\ncreates at full load, each round (req/s): {each}")
    none, every = creates["none"].rate, creates["all"].rate
    half = next(r for setup, r in results if setup == "all" and r.name == "create" and r.load != "full")
    print(
        f"median round: {none:.0f}/s with no plugin, {every:.0f}/s with every first-party plugin"
        f" ({every / none:.0%} of it); all plugins at half load p99 {half.percentile(99):.1f} ms"
    )
    print(
        f"server CPU a create (gunicorn workers, median round): {cpu['none']:.2f} ms with no plugin,"
        f" {cpu['all']:.2f} ms with every plugin ({cpu['none'] / cpu['all']:.0%} of the rate it allows);"
        f" {cpu['health']:.2f} ms a health request (gunicorn, HTTP and Flask with no work: every request's floor)"
    )
    for setup in ("none", "all"):
        if f"{setup}-before" in creates:
            then, now = creates[f"{setup}-before"].rate, creates[setup].rate
            print(
                f"{setup}: before {then:.0f}/s, {cpu[f'{setup}-before']:.2f} ms CPU a create; now {now:.0f}/s"
                f" ({now / then:.2f}x), {cpu[setup]:.2f} ms ({cpu[f'{setup}-before'] / cpu[setup]:.2f}x less CPU)"
            )
    if "all-sync" in creates:
        synced = creates["all-sync"].rate
        print(
            f"every plugin on sync workers: {synced:.0f}/s, {cpu['all-sync']:.2f} ms CPU a create"
            f" (the production settings: {every / synced:.2f}x the rate)"
        )
    peers = {setup: r for setup, r in creates.items() if setup.startswith("peer")}
    if peers:
        for setup, r in peers.items():
            print(
                f"django-helpdesk ({setup}): {r.rate:.0f}/s (p50 {r.percentile(50):.1f} ms),"
                f" {cpu[setup]:.2f} ms server CPU a create"
            )
        best = max(peers, key=lambda setup: peers[setup].rate)  # the peer as its best set-up serves it
        peer, peer_cpu = peers[best].rate, min(cpu[setup] for setup in peers)
        print(
            f"against the peer's faster set-up ({best}): gongdan with every plugin {every / peer:.1f}x the rate"
            f" ({peer_cpu / cpu['all']:.1f}x by CPU), with none {none / peer:.1f}x ({peer_cpu / cpu['none']:.1f}x)"
        )
        health = results[0][1].rate  # the baseline: no token, no query, no body
        print(
            f"ceiling: GET /api/v1/health, which does no work, answers {health:.0f}/s with these clients and"
            f" workers, {health / peer:.1f}x the peer's creates; 20x the peer needs creates at"
            f" {20 * peer / health:.0%} of the health rate (every plugin now: {every / health:.0%})"
        )
    print(f"load average {os.getloadavg()[0]:.1f} after the run")


if __name__ == "__main__":
    main()
