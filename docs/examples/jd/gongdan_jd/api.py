"""REST routes under /api/v1/jd/: authenticated, validated, 404 where the plugin is off."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from gongdan.api.common import api_route, current_tenant
from gongdan.plugins import get_host

from .settings import NAME

bp = Blueprint(NAME, __name__, url_prefix="/api/v1/jd")


@api_route(bp, "/status", ("GET",), plugin=NAME, tags=(NAME,))
def status() -> dict[str, Any]:
    """The plugin's settings for the caller's tenant (secrets only as set or not)."""
    shown, secrets = get_host().shown_settings(current_tenant(), NAME)
    return {"settings": shown, "secrets": secrets}
