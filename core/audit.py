"""The security audit trail: who did what to accounts, keys, settings and data, with a diff.

Every security-relevant action is recorded here by its real actor (`record`). Events are
tenant-level rows of the append-only event log (`TicketEvent` without a ticket).
"""

from __future__ import annotations

from typing import Any

from gongdan.actors import Actor
from gongdan.models import Tenant


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for every field whose value differs between `before` and `after`."""
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def record(
    tenant: Tenant, kind: str, actor: Actor, *, data: dict[str, Any] | None = None, ip: str | None = None
) -> None:
    """Append one audit event of `kind` (e.g. `auth.login_failed`, `user.role_changed`).

    `data` must be JSON-serialisable and must never hold a secret in clear; `ip` is the
    client address when the action came over the web.
    """
    from gongdan import tickets

    payload = dict(data or {})
    if ip:
        payload["ip"] = ip
    tickets.record_event(tenant, None, kind, payload, actor)
