"""A tenant's own switches (e.g. team visibility), changed by its admins and audited."""

from __future__ import annotations

from typing import Any

from gongdan import audit, permissions
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import ValidationError
from gongdan.models import Tenant

# the boolean columns of `Tenant` an admin may switch (add a switch here and to the console page)
SWITCHES = ("team_visibility",)


def current(tenant: Tenant) -> dict[str, bool]:
    """The tenant's switches as stored."""
    return {name: bool(getattr(tenant, name)) for name in SWITCHES}


def change(tenant: Tenant, changes: dict[str, Any], actor: Actor) -> dict[str, list[Any]]:
    """Set any of `SWITCHES` (booleans); needs `tenant.settings`. Audited as
    `tenant.settings_changed` with the diff, which is returned."""
    permissions.require(actor, "tenant.settings")
    unknown = sorted(set(changes) - set(SWITCHES))
    if unknown:
        raise ValidationError("unknown setting", {name: ["not a tenant setting"] for name in unknown})
    wrong = sorted(name for name, value in changes.items() if not isinstance(value, bool))
    if wrong:
        raise ValidationError("not a yes/no value", {name: ["must be true or false"] for name in wrong})
    before = current(tenant)
    diff = audit.diff(before, before | changes)
    if diff:
        with write_transaction():
            Tenant.update(**changes).where(Tenant.id == tenant.id).execute()
            audit.record(tenant, "tenant.settings_changed", actor, data={"changes": diff})
        for name, value in changes.items():
            setattr(tenant, name, value)
    return diff


__all__ = ["SWITCHES", "change", "current"]
