"""`make demo`: start the local gateway simulator and connect its shops to the demo tenant.

The simulator runs as a child process on a free loopback port for as long as the demo server
does (it is stopped when the demo exits). Its shops are connected with the simulator's
documented default app credentials; the scheduled job `pdd_connector.sync` then syncs them
(a new shop's first sync reaches `initial_days` back, which covers the simulated history) and
`pdd_connector.push` listens to its message service.
"""

from __future__ import annotations

import atexit
import logging
from typing import Any

from gongdan_pdd_connector.simulator.process import SimulatorProcess
from gongdan_pdd_connector.testing import connect_all

log = logging.getLogger("gongdan.pdd.demo")

DEMO_SHOPS = 2
DEMO_RECORDS = 150
DEMO_DAYS = 0.9  # within the default initial_days (1) of a new shop's first sync


def prepare(tenant: Any) -> SimulatorProcess:
    """Start the simulator and connect its shops to `tenant`; returns the process."""
    sim = SimulatorProcess(DEMO_SHOPS, DEMO_RECORDS, 7, spread_days=DEMO_DAYS).start()
    atexit.register(sim.stop)
    connect_all(tenant, sim)
    log.info("Pinduoduo simulator on %s: %d shops connected", sim.base, DEMO_SHOPS)
    return sim
