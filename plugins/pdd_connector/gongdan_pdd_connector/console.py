"""Console pages and the ticket panel (filled in once the API is done)."""

from __future__ import annotations

from typing import Any


def ticket_panel(tenant: Any, ticket: Any, user: Any) -> Any:
    """The panel on a Pinduoduo ticket's page (None for other tickets)."""
    return None


def console_views() -> list[Any]:
    """The connector's console pages."""
    return []
