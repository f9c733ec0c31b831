"""`gongdan-pdd-sim`: run the local Pinduoduo gateway simulator.

On start it prints one JSON line per shop to stdout (`owner_id`, `owner_name`,
`access_token`, `refresh_token`) and one line `listening on http://HOST:PORT` to stderr,
then serves until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence

from .app import Simulator
from .world import Settings


def rate_limit(text: str) -> tuple[int, float]:
    """`100/10` → (100, 10.0): at most 100 calls in any 10 seconds."""
    try:
        calls, seconds = text.split("/")
        limit = (int(calls), float(seconds))
    except ValueError:
        raise argparse.ArgumentTypeError("expected CALLS/SECONDS, e.g. 100/10") from None
    if limit[0] < 1 or limit[1] <= 0:
        raise argparse.ArgumentTypeError("CALLS must be >= 1 and SECONDS > 0")
    return limit


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, Settings]:
    """The command line as (network options, simulator settings)."""
    defaults = Settings()
    parser = argparse.ArgumentParser(prog="gongdan-pdd-sim", description="Local Pinduoduo Open Platform gateway.")
    parser.add_argument("--port", type=int, required=True, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--client-id", default=defaults.client_id, help=f"the app's client id ({defaults.client_id})")
    parser.add_argument("--client-secret", default=defaults.client_secret, help="the app's client secret")
    parser.add_argument("--shops", type=int, default=defaults.shops, help="number of shops (2)")
    parser.add_argument("--records", type=int, default=defaults.records, help="after-sales records per shop (200)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed for data and faults")
    parser.add_argument("--no-rate-limit", action="store_true", help="do not enforce the published rate limits")
    parser.add_argument(
        "--shop-rate-limit",
        type=rate_limit,
        metavar="CALLS/SECONDS",
        help="per shop and API (default: the published limits, 100/10)",
    )
    parser.add_argument("--app-rate-limit", type=rate_limit, metavar="CALLS/SECONDS", help="per app (default: 500/1)")
    parser.add_argument("--token-ttl", type=int, default=defaults.token_ttl, help="access token lifetime, seconds")
    parser.add_argument(
        "--refresh-token-ttl", type=int, default=defaults.refresh_token_ttl, help="refresh token lifetime, seconds"
    )
    parser.add_argument(
        "--spread-days", type=float, default=defaults.spread_days, help="records' update times span this many days"
    )
    parser.add_argument("--heartbeat-seconds", type=float, default=defaults.heartbeat_seconds)
    parser.add_argument(
        "--redeliver-seconds", type=float, default=defaults.redeliver_seconds, help="resend unacknowledged messages"
    )
    args = parser.parse_args(argv)
    settings = Settings(
        client_id=args.client_id,
        client_secret=args.client_secret,
        shops=args.shops,
        records=args.records,
        seed=args.seed,
        rate_limit=not args.no_rate_limit,
        shop_rate_limit=args.shop_rate_limit,
        app_rate_limit=args.app_rate_limit or defaults.app_rate_limit,
        token_ttl=args.token_ttl,
        refresh_token_ttl=args.refresh_token_ttl,
        spread_days=args.spread_days,
        heartbeat_seconds=args.heartbeat_seconds,
        redeliver_seconds=args.redeliver_seconds,
    )
    return args, settings


async def serve(host: str, port: int, settings: Settings) -> None:
    """Build the simulator, announce the shops and serve until SIGINT/SIGTERM."""
    simulator = Simulator(settings)
    server = await simulator.start(host, port)
    bound = server.sockets[0].getsockname()[1]
    for line in simulator.shop_lines():
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    sys.stderr.write(f"gongdan-pdd-sim listening on http://{host}:{bound}\n")
    sys.stderr.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await simulator.stop(server)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `gongdan-pdd-sim` console script."""
    args, settings = parse_args(argv)
    asyncio.run(serve(args.host, args.port, settings))
