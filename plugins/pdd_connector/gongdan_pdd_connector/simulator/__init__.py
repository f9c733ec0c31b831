"""A local Pinduoduo Open Platform gateway for tests, demos and benchmarks.

`gongdan-pdd-sim --port P` serves the after-sales, order, write-back, token and message-service
APIs over real HTTP (and WebSocket) on loopback, enforcing the platform's rules: signatures,
public parameters, the 10-minute timestamp window, token expiry, per-shop rate limits, the
30-minute window and 90-day history, `page_size` ≤ 100, newest-first ordering. `/_sim/...`
endpoints inject faults, move records and the clock, and show the ground truth.
See `docs/pdd-simulator.md`.
"""

from .app import Simulator
from .world import Settings

__all__ = ["Settings", "Simulator"]
