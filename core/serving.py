"""Serving the web app on one machine, with the scheduler embedded (`gongdan serve`)."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

from werkzeug.serving import make_server, run_simple

from gongdan import scheduler as scheduling
from gongdan.plugins import get_host
from gongdan.web import create_app

log = logging.getLogger("gongdan.serving")


def exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so `finally` blocks and atexit handlers run.

    Plugins clean up that way (the demo's gateway simulator is stopped by an atexit handler).
    """

    def _exit(*_: Any) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, _exit)


def serve(bind: str, port: int, *, scheduler: bool = True, banner: str = "") -> None:
    """Serve until interrupted; threaded, so slow clients do not block others.

    `banner` (e.g. the demo's console URL and login) is printed last, once the server listens;
    APScheduler's per-run lines are kept out of the log (warnings and errors still show).
    """
    exit_on_sigterm()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = create_app()
    background = scheduling.build(get_host(), blocking=False) if scheduler else None
    if background is not None:
        background.start()
        log.info("scheduler running %d jobs", len(background.get_jobs()))
    try:
        if banner:
            server = make_server(bind, port, app, threaded=True)
            log.info("serving on http://%s:%s (Ctrl+C stops)", bind, server.server_port)
            print(banner, flush=True)  # the last line the person starting it reads
            server.serve_forever()
        else:
            run_simple(bind, port, app, threaded=True, use_reloader=False)
    finally:
        if background is not None:
            background.shutdown(wait=False)
