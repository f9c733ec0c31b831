"""`make demo`: start the local gateway simulator and connect its shops (filled in later)."""

from __future__ import annotations

from typing import Any


def prepare(tenant: Any) -> None:
    """Start the simulator and connect its shops to the demo tenant."""
