"""Erlang C (M/M/N queue): the chance to wait, the service level, and the agents a target needs.

`A = λ × AHT` is the offered load in erlangs. The chance that an arrival waits is computed from
Erlang B by its numerically stable recurrence, `B(0) = 1, B(n) = A·B(n-1) / (n + A·B(n-1))`, then
`C = N·B / (N − A·(1 − B))`; the share answered within `T` is `1 − C·exp(−(N − A)·T / AHT)`.
Tests check it against published values (see tests/test_erlang.py).
"""

from __future__ import annotations

import math

MAX_AGENTS = 10_000


def erlang_b(agents: int, load: float) -> float:
    """Erlang B: the chance that all `agents` are busy with offered load `load` (no queue)."""
    blocked = 1.0
    for n in range(1, agents + 1):
        blocked = load * blocked / (n + load * blocked)
    return blocked


def erlang_c(agents: int, load: float) -> float:
    """Erlang C: the chance that an arrival has to wait (1.0 when `agents` cannot carry `load`)."""
    if load <= 0:
        return 0.0
    if agents <= load:
        return 1.0
    blocked = erlang_b(agents, load)
    return agents * blocked / (agents - load * (1 - blocked))


def service_level(agents: int, load: float, handle: float, answer: float) -> float:
    """The share of arrivals answered within `answer` (same time unit as the handling time `handle`)."""
    if load <= 0:
        return 1.0
    if agents <= load:
        return 0.0
    return 1 - erlang_c(agents, load) * math.exp(-(agents - load) * answer / handle)


def required_agents(per_hour: float, handle_minutes: float, target: float, answer_minutes: float) -> int:
    """The fewest agents answering `target` (e.g. 0.8) of `per_hour` arrivals within `answer_minutes`,
    each taking `handle_minutes` of work."""
    if per_hour <= 0 or handle_minutes <= 0:
        return 0
    load = per_hour * handle_minutes / 60
    agents = max(1, math.floor(load) + 1)
    while agents < MAX_AGENTS and service_level(agents, load, handle_minutes, answer_minutes) < target:
        agents += 1
    return agents
