"""Fixtures of the connector's tests: the real simulator over HTTP, a tenant with shops connected."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gongdan_pdd_connector.simulator.process import SimulatorProcess

PLUGIN = "pdd_connector"


@pytest.fixture
def start_sim() -> Iterator[Callable[..., SimulatorProcess]]:
    """`start_sim(shops=1, records=30, **options)`: a simulator process, stopped after the test."""
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
