"""Fixtures of the connector's tests: the real simulator over HTTP, a tenant with shops connected."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from gongdan_pdd_connector import push, shops, sync
from gongdan_pdd_connector.simulator.process import SimulatorProcess
from gongdan_pdd_connector.testing import connect_all

from gongdan import clock

PLUGIN = "pdd_connector"


@pytest.fixture
def start_sim(outbound_loopback: str) -> Iterator[Callable[..., SimulatorProcess]]:
    """`start_sim(shops=1, records=30, **options)`: a simulator process on loopback (allow-listed
    for the test), stopped after the test."""
    started: list[SimulatorProcess] = []

    def start(shops: int = 1, records: int = 30, seed: int = 11, **options: Any) -> SimulatorProcess:
        options.setdefault("spread_days", 0.1)
        sim = SimulatorProcess(shops, records, seed, **options).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def pdd_tenant(tenant: Any, enable_plugin: Callable[..., Any]) -> Any:
    """`tenant` with the connector enabled."""
    enable_plugin(PLUGIN)
    return tenant


@pytest.fixture
def synced(pdd_tenant: Any, start_sim: Callable[..., SimulatorProcess]) -> tuple[SimulatorProcess, Any]:
    """A simulator (rate limits off) with one shop, fully synced into `pdd_tenant`: `(sim, shop)`."""
    sim = start_sim(shops=1, records=20, seed=5, no_rate_limit=True)
    (shop,) = connect_all(pdd_tenant, sim)
    run = sync.sync_shop(shop, since=clock.now() - timedelta(days=0.2), client=shops.client_for(shop, limiter=None))
    assert run.status == "done", run.error
    return sim, shop


@pytest.fixture
def listening(pdd_tenant: Any, start_sim: Callable[..., SimulatorProcess]) -> Iterator[Callable[..., Any]]:
    """`listening(**faults)` → `(sim, shop, listener)`: a shop opened for messages and a connected listener."""
    started: list[push.Listener] = []

    def start(**faults: Any) -> tuple[SimulatorProcess, Any, push.Listener]:
        sim = start_sim(shops=1, records=5, heartbeat_seconds=1, redeliver_seconds=1)
        (shop,) = connect_all(pdd_tenant, sim)
        push.permit(shop)
        if faults:
            sim.control("POST", "faults", faults)
        listener = push.Listener(
            shops.message_url(shop),
            sim.client_id,
            sim.client_secret,
            lambda message: push.handle_message(sim.client_id, message, shops.message_url(shop)),
            heartbeat_seconds=1.0,
            silence_seconds=5.0,
        ).start()
        started.append(listener)
        assert listener.connected.wait(10)
        return sim, shop, listener

    yield start
    for listener in started:
        listener.stop()
