"""Reading urgency from a ticket: the SLA plugin's block when it is on, else priority and age.

The SLA block belongs to the SLA plugin (docs/sla.md): `state` (ok, warning, breached, paused,
met) and `targets` `{name: {"due", "met_at", "breached", ...}}` where `due` is set while that
clock runs. The console reads only those keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

SLA_PLUGIN = "sla"
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _targets(block: dict[str, Any]) -> list[dict[str, Any]]:
    targets = block.get("targets")
    return [t for t in targets.values() if isinstance(t, dict)] if isinstance(targets, dict) else []


def sla_due(block: dict[str, Any] | None) -> datetime | None:
    """The earliest due time among the block's running clocks, or None."""
    if not isinstance(block, dict):
        return None
    found = [_parse(t.get("due")) for t in _targets(block) if not t.get("met_at")]
    found = [moment for moment in found if moment is not None]
    return min(found) if found else None


def sla_outcome(block: dict[str, Any] | None) -> str | None:
    """`breached` if any target was breached, `met` when every clock was met, else None (running)."""
    if not isinstance(block, dict):
        return None
    if block.get("state") == "breached" or any(t.get("breached") for t in _targets(block)):
        return "breached"
    return "met" if block.get("state") == "met" else None


def urgency_key(ticket: Any, sla_block: dict[str, Any] | None, use_sla: bool) -> tuple:
    """Sort key: SLA due time first (when on), then priority, then age (oldest first)."""
    due = sla_due(sla_block) if use_sla else None
    due_key = (0, due.timestamp()) if due is not None else (1, 0.0)
    return (due_key, PRIORITY_RANK.get(ticket.priority, 9), ticket.created_at.timestamp())
