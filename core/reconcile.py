"""Periodic repair of what a crash between a commit and its hooks leaves behind."""

from __future__ import annotations

from datetime import timedelta

from gongdan import clock, hooks, tickets
from gongdan.models import Tenant
from gongdan.plugins import CORE, get_host

GRACE = timedelta(seconds=60)


def reconcile_tenant(tenant: Tenant) -> int:
    """Re-dispatch the tenant's undelivered events, then let its plugins repair; returns the count."""
    count = tickets.dispatch_pending(tenant, clock.now() - GRACE)
    hooks.reconcile(tenant)
    return count


def reconcile_all() -> int:
    """`reconcile_tenant` for every tenant; returns how many events were re-dispatched.

    The tenants are read in full before any write: on SQLite a half-read cursor holds a read
    snapshot, and a write from that snapshot after another connection committed fails with
    "database is locked" at once, whatever the busy timeout. One tenant's failure is recorded
    (in a transaction of its own) and the others are still repaired.
    """
    count = 0
    for tenant in list(Tenant.select().order_by(Tenant.id)):
        try:
            count += reconcile_tenant(tenant)
        except Exception as exc:  # noqa: BLE001 - recorded as the core's failure; the next run repairs again
            get_host().record_failure(CORE, tenant, "reconcile", exc)
    return count
