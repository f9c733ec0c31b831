"""Per-tenant data that plugins read for every ticket, cached in each process per tenant revision.

Policies, routing rules and similar configuration change rarely and are read for every ticket.
`cached(tenant, name, load)` keeps what `load()` returned, keyed by the tenant's revision
(`Tenant.plugins_rev`, the number that also keys the plugins' settings cache). A change calls
`changed(tenant)` in its transaction: the revision becomes a fresh random number in the
database, so every process sees it on the next `Tenant` row it reads (each request, each job
run) and loads again; a rolled-back change leaves a number nobody will reuse. Callers must
treat what they get as read-only: it is shared by every caller in the process.

    from gongdan import tenant_cache

    def policies_of(tenant):
        return tenant_cache.cached(tenant, "sla.policies", lambda: list(SlaPolicy.of(tenant)))

    def save_policies(tenant, ...):
        with write_transaction():
            ...
            tenant_cache.changed(tenant)
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from gongdan.db import db
from gongdan.models import Tenant

T = TypeVar("T")

_cache: dict[tuple[int, str, int], tuple[Any, Any]] = {}
_lock = threading.Lock()


def _stamp(tenant: Tenant) -> tuple[int, Any]:
    # the creation time tells apart two tenants with one id in two databases (tests open many)
    return (tenant.plugins_rev, tenant.created_at)


def cached(tenant: Tenant, name: str, load: Callable[[], T]) -> T:
    """What `load()` returns for `tenant`, computed once per tenant revision in this process.

    `name` tells one cached thing from another ("<plugin>.<what>").
    """
    key = (id(db.obj), name, tenant.id)
    stamp = _stamp(tenant)
    found = _cache.get(key)
    if found is not None and found[0] == stamp:
        return found[1]
    value = load()
    with _lock:
        _cache[key] = (stamp, value)
    return value


def changed(tenant: Tenant) -> None:
    """Say that `tenant`'s cached data changed: every process loads it again.

    Call it inside the transaction that makes the change; it writes the tenant's new revision
    (and sets it on `tenant`).
    """
    current = tenant.plugins_rev
    fresh = current
    while fresh == current:
        fresh = secrets.randbelow(2**31 - 1) + 1
    Tenant.update(plugins_rev=fresh).where(Tenant.id == tenant.id).execute()
    tenant.plugins_rev = fresh
    forget(tenant)


def forget(tenant: Tenant | None = None) -> None:
    """Drop this process's cached data of `tenant` (of every tenant when None)."""
    with _lock:
        for key in [k for k in _cache if tenant is None or k[2] == tenant.id]:
            del _cache[key]
