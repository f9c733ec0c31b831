"""Ordering rules and macros: a new order as a whole list of ids, or one row up or down.

The console's drag and drop sends the whole list (`reorder`); its up/down buttons, which work
from the keyboard and without JavaScript, move one row (`move`). Positions are rewritten as
10, 20, 30, ... so numbers typed by hand can still slot a row between two others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gongdan.db import write_transaction
from gongdan.errors import Conflict, ValidationError
from gongdan.ids import parse_id
from gongdan.models import Tenant

from . import rules
from .models import RULE_KINDS, Macro, Rule

STEP = 10


def parse_ids(raw: Any) -> list[int]:
    """`[3, 1, 2]` or `"3,1,2"` as ids; ValidationError (field `ids`) when any is not one or repeats."""
    items = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else None
    if items is None:
        raise ValidationError("invalid order", {"ids": ["must be a list of ids"]})
    ids = [parse_id(item) for item in items if str(item).strip()]
    if not ids or None in ids:
        raise ValidationError("invalid order", {"ids": ["must be a list of ids"]})
    if len(set(ids)) != len(ids):
        raise ValidationError("invalid order", {"ids": ["an id appears twice"]})
    return ids  # type: ignore[return-value]


def _renumber(model: Any, tenant: Tenant, current: Sequence[int], wanted: Sequence[int]) -> dict[int, int]:
    if sorted(current) != sorted(wanted):
        raise Conflict("the list changed since it was shown: reload it and try again")
    positions = {row_id: STEP * (i + 1) for i, row_id in enumerate(wanted)}
    for row_id, position in positions.items():
        model.update(position=position).where((model.tenant == tenant) & (model.id == row_id)).execute()
    return positions


def rule_ids(tenant: Tenant, kind: str) -> list[int]:
    """The ids of the tenant's rules of `kind`, in their order."""
    query = Rule.select(Rule.id).where((Rule.tenant == tenant) & (Rule.kind == kind))
    return [r.id for r in query.order_by(Rule.position, Rule.id)]


def reorder_rules(tenant: Tenant, kind: str, ids: Any) -> dict[int, int]:
    """Put the tenant's rules of `kind` in the order of `ids` (every one of them, once).

    Returns `{id: position}`; 422 for a bad list, 409 when it is not exactly the kind's rules.
    """
    if kind not in RULE_KINDS:
        raise ValidationError("invalid order", {"kind": [f"must be one of: {', '.join(RULE_KINDS)}"]})
    wanted = parse_ids(ids)
    with write_transaction():
        positions = _renumber(Rule, tenant, rule_ids(tenant, kind), wanted)
        rules.touch(tenant)
    return positions


def _moved(current: list[int], row_id: int, direction: str) -> list[int]:
    if direction not in ("up", "down"):
        raise ValidationError("invalid move", {"direction": ["must be up or down"]})
    if row_id not in current:
        raise Conflict("the list changed since it was shown: reload it and try again")
    i = current.index(row_id)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(current):
        current[i], current[j] = current[j], current[i]
    return current


def move_rule(tenant: Tenant, rule: Rule, direction: str) -> dict[int, int]:
    """Move `rule` one place `up` or `down` among its kind (at an end it stays)."""
    return reorder_rules(tenant, rule.kind, _moved(rule_ids(tenant, rule.kind), rule.id, direction))


def macro_ids(tenant: Tenant) -> list[int]:
    """The ids of the tenant's macros, in their order (position, then name)."""
    query = Macro.select(Macro.id).where(Macro.tenant == tenant)
    return [m.id for m in query.order_by(Macro.position, Macro.name, Macro.id)]


def reorder_macros(tenant: Tenant, ids: Any) -> dict[int, int]:
    """Put the tenant's macros in the order of `ids`: every macro the caller can see, once
    (personal macros of others keep their place after them)."""
    wanted = parse_ids(ids)
    with write_transaction():
        everyone = macro_ids(tenant)
        known = set(wanted)
        if not known <= set(everyone):
            raise Conflict("the list changed since it was shown: reload it and try again")
        rest = [i for i in everyone if i not in known]
        return _renumber(Macro, tenant, everyone, [*wanted, *rest])


def move_macro(tenant: Tenant, visible: list[int], macro_id: int, direction: str) -> dict[int, int]:
    """Move a macro one place up or down among `visible` (the ids the caller sees, in order)."""
    return reorder_macros(tenant, _moved(list(visible), macro_id, direction))
