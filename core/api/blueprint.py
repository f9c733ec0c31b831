"""The blueprint every core REST route hangs on: `/api/v1`."""

from __future__ import annotations

from flask import Blueprint

api = Blueprint("api", __name__, url_prefix="/api/v1")
