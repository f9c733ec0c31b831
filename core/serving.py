"""Serving the web app on one machine, with the scheduler embedded (`gongdan serve`)."""

from __future__ import annotations

import logging

from werkzeug.serving import run_simple

from gongdan import scheduler as scheduling
from gongdan.plugins import get_host
from gongdan.web import create_app

log = logging.getLogger("gongdan.serving")


def serve(bind: str, port: int, *, scheduler: bool = True) -> None:
    """Serve until interrupted; threaded, so slow clients do not block others."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    background = scheduling.build(get_host(), blocking=False) if scheduler else None
    if background is not None:
        background.start()
        log.info("scheduler running %d jobs", len(background.get_jobs()))
    try:
        run_simple(bind, port, app, threaded=True, use_reloader=False)
    finally:
        if background is not None:
            background.shutdown(wait=False)
