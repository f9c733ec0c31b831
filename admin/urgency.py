"""Reading urgency from a ticket: the SLA plugin's block when it is on, else priority and age.

The SLA block's exact shape belongs to the SLA plugin; the console reads it defensively: a
`next_due_at` (or the earliest `*due_at` of a clock not yet met) and any truthy `breached`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


def _clocks(block: dict[str, Any]) -> list[dict[str, Any]]:
    return [block, *(v for v in block.values() if isinstance(v, dict))]


def sla_due(block: dict[str, Any] | None) -> datetime | None:
    """The next SLA due time in an SLA block, or None."""
    if not isinstance(block, dict):
        return None
    nxt = _parse(block.get("next_due_at"))
    if nxt is not None:
        return nxt
    found = []
    for part in _clocks(block):
        if part.get("met_at") or part.get("met") is True or part.get("paused") is True:
            continue
        for key, value in part.items():
            if key.endswith("due_at"):
                moment = _parse(value)
                if moment is not None:
                    found.append(moment)
    return min(found) if found else None


def sla_breached(block: dict[str, Any]) -> bool:
    """Whether any clock of an SLA block reports a breach."""
    return any(bool(part.get(key)) for part in _clocks(block) for key in part if "breach" in key)


def urgency_key(ticket: Any, sla_block: dict[str, Any] | None, use_sla: bool) -> tuple:
    """Sort key: SLA due time first (when on), then priority, then age (oldest first)."""
    due = sla_due(sla_block) if use_sla else None
    due_key = (0, due.timestamp()) if due is not None else (1, 0.0)
    return (due_key, PRIORITY_RANK.get(ticket.priority, 9), ticket.created_at.timestamp())
