"""Console: rules (builders as forms), macros, approvals, and the ticket page's automation panel."""

from __future__ import annotations

from typing import Any

from gongdan.contributions import ConsoleView, TicketPanel


def ticket_panels(tenant: Any, ticket: Any, user: Any) -> list[TicketPanel]:
    """Filled in below."""
    return []


def console_views() -> list[ConsoleView]:
    """Filled in below."""
    return []
