"""Periodic repair of what a crash between a commit and its hooks leaves behind."""

from __future__ import annotations

from datetime import timedelta

from gongdan import clock, hooks, tickets
from gongdan.models import Tenant

GRACE = timedelta(seconds=60)


def reconcile_tenant(tenant: Tenant) -> int:
    """Re-dispatch the tenant's undelivered events, then let its plugins repair; returns the count."""
    count = tickets.dispatch_pending(tenant, clock.now() - GRACE)
    hooks.reconcile(tenant)
    return count


def reconcile_all() -> int:
    """`reconcile_tenant` for every tenant; returns how many events were re-dispatched."""
    return sum(reconcile_tenant(tenant) for tenant in Tenant.select().order_by(Tenant.id))
