"""Console pieces: the SLA panel on the ticket page, and the views to edit policies and calendars."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup


def ticket_panel(block: dict[str, Any]) -> str:
    """The ticket page's SLA panel: policy, state, and each target's due time."""
    rows = [
        Markup("<tr><th>{}</th><td>{}</td><td>{}</td></tr>").format(
            name, state["status"], state["due"] or state["met_at"] or ""
        )
        for name, state in block["targets"].items()
    ]
    return str(
        Markup('<div class="sla-panel sla-{}"><p>{} · <strong>{}</strong> · {}</p><table>{}</table></div>').format(
            block["state"],
            block["policy"] or "—",
            block["state"],
            "" if block["remaining_minutes"] is None else f"{block['remaining_minutes']} min",
            Markup("").join(rows),
        )
    )


def console_views() -> list[Any]:
    """Views for the console (filled in once the console's base view is in place)."""
    return []
