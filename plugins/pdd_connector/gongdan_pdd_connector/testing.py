"""Helpers for tests that drive the connector against the real simulator (used by this plugin's tests).

A connector author can copy the pattern: start the simulator as a subprocess, connect its
shops, sync, and compare what was stored with the simulator's ground truth.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gongdan.models import Ticket
from gongdan_pdd_connector import shops
from gongdan_pdd_connector.models import PddRefund, PddShop
from gongdan_pdd_connector.simulator.process import SimulatorProcess


def shop_fields(sim: SimulatorProcess, index: int = 0, **overrides: Any) -> dict[str, Any]:
    """The body of `POST /api/v1/pdd/shops` for the simulator's shop number `index`."""
    line = sim.shops[index]
    return {
        "owner_id": str(line["owner_id"]),
        "owner_name": line["owner_name"],
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
        "access_token": line["access_token"],
        "refresh_token": line["refresh_token"],
        "gateway_url": sim.base,
        **overrides,
    }


def connect_all(tenant: Any, sim: SimulatorProcess, **overrides: Any) -> list[PddShop]:
    """Connect every shop the simulator printed to `tenant`."""
    return [shops.connect(tenant, shop_fields(sim, i, **overrides))[0] for i in range(len(sim.shops))]


def truth(sim: SimulatorProcess, owner_id: str | None = None) -> list[dict[str, Any]]:
    """The simulator's ground truth: every record with its status and update time."""
    return sim.control("GET", "records", **({"owner_id": owner_id} if owner_id else {}))["records"]


def stored(tenant: Any) -> dict[str, PddRefund]:
    """Every stored record of `tenant` by after-sales id."""
    return {row.after_sales_id: row for row in PddRefund.of(tenant)}


def pdd_tickets(tenant: Any) -> list[Ticket]:
    """The tenant's tickets from Pinduoduo."""
    return list(Ticket.of(tenant).where(Ticket.external_system == "pdd"))


def wait_for(check: Callable[[], Any], timeout: float = 20.0, every: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {check}")
        time.sleep(every)
