"""The equality index of compiled rules only narrows: for any rules and any ticket, the rules
that match among the index's candidates are exactly the rules that match among all, in order."""

from __future__ import annotations

import random

from gongdan_automation.conditions import compile_rule
from gongdan_automation.rules import Compiled, RuleSet

VALUES = {
    "status": ["new", "open", "pending", "resolved"],
    "channel": ["email", "web", "pdd", " web "],
    "category_2": ["物流", "退款", "质量", None],
    "tier": ["vip", "svip", None],
    "priority": ["low", "normal", "urgent"],
}
OPS = ("is", "is", "is", "is_not", "in", "contains")


class FakeFacts:
    """Facts as a plain mapping (conditions only call `get`)."""

    def __init__(self, values: dict) -> None:
        self.values = values

    def get(self, name: str):
        return self.values.get(name)


def _condition(rng: random.Random) -> dict:
    field = rng.choice(list(VALUES))
    op = rng.choice(OPS)
    value = rng.choice([v for v in VALUES[field] if v is not None])
    if op == "in":
        value = ",".join(rng.sample([v.strip() for v in VALUES[field] if v], 2))
    return {"field": field, "op": op, "value": value}


def _rule(i: int, rng: random.Random) -> Compiled:
    match = rng.choice(("all", "all", "any"))
    conditions = tuple(_condition(rng) for _ in range(rng.randint(0, 3)))
    predicate = compile_rule(match, list(conditions))
    return Compiled(i, 1, f"r{i}", "trigger", "updated", predicate, (), "supervisor", 24, conditions, None, match)


def test_candidates_then_predicates_equal_every_predicate():
    rng = random.Random(20261130)
    rules = RuleSet([_rule(i, rng) for i in range(300)])
    assert rules.by_field, "the generated rules have equality conditions to index"
    narrowed = 0
    for _ in range(500):
        facts = FakeFacts({field: rng.choice(values) for field, values in VALUES.items()})
        expected = [r.id for r in rules if r.matches(facts)]
        candidates = rules.candidates(facts)
        assert [r.id for r in candidates if r.matches(facts)] == expected
        narrowed += len(rules) - len(candidates)
    assert narrowed > 0, "the index never left a rule out: it does nothing"


def test_any_of_several_conditions_is_never_filed_under_one():
    conditions = ({"field": "channel", "op": "is", "value": "email"}, {"field": "tier", "op": "is", "value": "vip"})
    rule = Compiled(
        1, 1, "r", "trigger", "updated", compile_rule("any", list(conditions)), (), "", 24, conditions, None, "any"
    )
    rules = RuleSet([rule])
    assert rules.rest == [0]
    assert [r.id for r in rules.candidates(FakeFacts({"channel": "web", "tier": "vip"}))] == [1]
