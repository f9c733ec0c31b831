"""gongdan.tenant_cache: per-tenant data cached per tenant revision, seen changed by every process."""

from __future__ import annotations

import pytest

from gongdan import tenant_cache
from gongdan.db import db, write_transaction
from gongdan.models import Tenant


def test_loaded_once_per_revision_and_again_after_a_change(tenant, other_tenant):
    loads = []

    def load(value):
        def loader():
            loads.append(value)
            return value

        return loader

    assert tenant_cache.cached(tenant, "t.rules", load("a")) == "a"
    assert tenant_cache.cached(tenant, "t.rules", load("b")) == "a"  # cached
    assert tenant_cache.cached(other_tenant, "t.rules", load("c")) == "c"  # per tenant
    assert loads == ["a", "c"]
    # another process holds a Tenant row read before the change: it keeps its snapshot until it
    # reads the tenant again (each request and job run does), then loads the new data
    elsewhere = Tenant.get_by_id(tenant.id)
    with write_transaction():
        tenant_cache.changed(tenant)
    assert Tenant.get_by_id(tenant.id).plugins_rev == tenant.plugins_rev != elsewhere.plugins_rev
    assert tenant_cache.cached(Tenant.get_by_id(tenant.id), "t.rules", load("d")) == "d"
    assert tenant_cache.cached(other_tenant, "t.rules", load("e")) == "c"  # the other tenant untouched


def _change_then_fail(tenant):
    with db.atomic():
        tenant_cache.changed(tenant)
        assert tenant_cache.cached(tenant, "t.policies", lambda: "uncommitted") == "uncommitted"
        raise RuntimeError("rolled back")


def test_a_rolled_back_change_leaves_no_revision_behind(tenant):
    tenant_cache.cached(tenant, "t.policies", lambda: "before")
    with pytest.raises(RuntimeError):
        _change_then_fail(tenant)
    stored = Tenant.get_by_id(tenant.id)
    assert stored.plugins_rev != tenant.plugins_rev  # the rolled-back number is never current
    assert tenant_cache.cached(stored, "t.policies", lambda: "after") == "after"
