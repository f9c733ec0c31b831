"""The core REST API v1 under `/api/v1` (see docs/api.md)."""

from __future__ import annotations

from flask import Blueprint

from gongdan import __version__
from gongdan.api.common import api_route
from gongdan.db import db

api = Blueprint("api", __name__, url_prefix="/api/v1")


@api_route(api, "/health", auth=False, summary="Liveness and database check", tags=("meta",))
def health() -> dict:
    """Whether the server is up and its database answers; needs no token."""
    db.execute_sql("SELECT 1").fetchone()
    return {"status": "ok", "version": __version__}
