"""Console pages: reports, the week at a glance, forecast and staffing."""

from __future__ import annotations

from gongdan.contributions import ConsoleView


def console_views() -> list[ConsoleView]:
    """Placeholder."""
    return []
