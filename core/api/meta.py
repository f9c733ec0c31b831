"""Routes about the API itself: health and the OpenAPI document (no token needed)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from gongdan import __version__
from gongdan.api.blueprint import api
from gongdan.api.common import api_route
from gongdan.api.openapi import spec_for
from gongdan.api.schemas import HealthSchema
from gongdan.db import db

TAGS = ("meta",)


@api_route(api, "/health", auth=False, response=HealthSchema, summary="Liveness and database check", tags=TAGS)
def health() -> dict[str, Any]:
    """Whether the server is up and its database answers; needs no token."""
    db.execute_sql("SELECT 1").fetchone()
    return {"status": "ok", "version": __version__}


@api_route(api, "/openapi.json", auth=False, tags=TAGS)
def openapi() -> dict[str, Any]:
    """The OpenAPI 3 document of every route, the core's and the enabled plugins'."""
    return spec_for(current_app)
