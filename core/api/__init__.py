"""The core REST API v1 under `/api/v1` (see docs/api.md).

Importing the route modules registers their routes on the `api` blueprint (and in
`gongdan.api.common.ROUTES`, which the OpenAPI document is generated from).
"""

from __future__ import annotations

from gongdan.api import actions, attachments, categories, customers, meta, plugins, tickets, users, workspace
from gongdan.api.blueprint import api

__all__ = [
    "actions",
    "api",
    "attachments",
    "categories",
    "customers",
    "meta",
    "plugins",
    "tickets",
    "users",
    "workspace",
]
