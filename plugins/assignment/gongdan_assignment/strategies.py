"""The built-in strategies. Each `choose(ticket, candidates, options)` returns `(candidate, reason)`.

Candidates are never empty and all can take the ticket (see `candidates.available`); a
strategy only orders them. Ties in load are broken at random, so several processes deciding
at once spread over the tied agents instead of all picking the same one.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from gongdan.contributions import AssignmentStrategy
from gongdan.models import Ticket
from gongdan_assignment.candidates import Candidate

NEVER = datetime.min.replace(tzinfo=UTC)


def _least(candidates: list[Candidate]) -> Candidate:
    lowest = min(c.load for c in candidates)
    return random.choice([c for c in candidates if c.load == lowest])


def least_loaded(ticket: Ticket, candidates: list[Candidate], options: dict[str, Any]) -> tuple[Candidate, str]:
    """The agent with the fewest open tickets relative to capacity."""
    chosen = _least(candidates)
    return chosen, f"least_loaded: load {chosen.load_text}"


def round_robin(ticket: Ticket, candidates: list[Candidate], options: dict[str, Any]) -> tuple[Candidate, str]:
    """The agent who has waited longest since their last ticket (never assigned: first)."""
    chosen = min(candidates, key=lambda c: (c.last_assigned_at or NEVER, c.user_id))
    return chosen, f"round_robin: longest without a new ticket; load {chosen.load_text}"


def weighted(ticket: Ticket, candidates: list[Candidate], options: dict[str, Any]) -> tuple[Candidate, str]:
    """Tickets in proportion to weights: the agent furthest behind their share goes next."""
    chosen = min(candidates, key=lambda c: ((c.assigned_total + 1) / c.weight, c.load, c.user_id))
    return chosen, f"weighted: weight {chosen.weight}, {chosen.assigned_total} assigned so far; load {chosen.load_text}"


def skills(ticket: Ticket, candidates: list[Candidate], options: dict[str, Any]) -> tuple[Candidate, str]:
    """The best match of the ticket's skills (sum of levels), ties broken by load."""
    best = max(sum(c.skills.values()) for c in candidates)
    if best == 0:
        chosen = _least(candidates)
        return chosen, f"skills: no available agent has a skill this ticket names; load {chosen.load_text}"
    chosen = _least([c for c in candidates if sum(c.skills.values()) == best])
    matched = ", ".join(f"{name} level {level}" for name, level in sorted(chosen.skills.items()))
    return chosen, f"skills: {matched}; load {chosen.load_text}"


def tier(ticket: Ticket, candidates: list[Candidate], options: dict[str, Any]) -> tuple[Candidate, str]:
    """The most senior agent (highest level in the ticket's skills), ties broken by load."""
    best = max(c.level for c in candidates)
    chosen = _least([c for c in candidates if c.level == best])
    return chosen, f"tier: level {chosen.level}; load {chosen.load_text}"


BUILTIN: list[AssignmentStrategy] = [
    AssignmentStrategy("least_loaded", least_loaded, "Least loaded", least_loaded.__doc__ or "", "负载最低"),
    AssignmentStrategy("round_robin", round_robin, "Round robin", round_robin.__doc__ or "", "轮流分配"),
    AssignmentStrategy("weighted", weighted, "Weighted", weighted.__doc__ or "", "按权重"),
    AssignmentStrategy("skills", skills, "Skills", skills.__doc__ or "", "按技能"),
    AssignmentStrategy("tier", tier, "Tier (most senior)", tier.__doc__ or "", "按级别（最资深）"),
]
