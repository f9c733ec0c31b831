"""The connector's scheduled jobs: incremental sync, token refresh, push listeners."""

from __future__ import annotations

import logging

from gongdan.plugins import get_host
from gongdan_pdd_connector import push, shops, store, sync
from gongdan_pdd_connector.client import GatewayError

log = logging.getLogger("gongdan.pdd.jobs")


def sync_due() -> int:
    """Sync every due shop of every tenant with the connector enabled; returns how many ran."""
    targets = [shop for tenant in get_host().tenants_with(store.PLUGIN) for shop in sync.due_shops(tenant)]
    return len(sync.sync_many(targets)) if targets else 0


def refresh_tokens() -> int:
    """Refresh the access tokens that expire soon; returns how many were refreshed."""
    done = 0
    enabled = {t.id for t in get_host().tenants_with(store.PLUGIN)}
    for shop in shops.refresh_due():
        if shop.tenant_id not in enabled:
            continue
        try:
            shops.refresh(shop)
            done += 1
        except GatewayError as error:
            log.warning("token refresh of shop %s failed: %s", shop.owner_id, error)
    return done


def keep_listening() -> int:
    """Start a message listener for each app that has none running in this process."""
    return len(push.ensure_listeners())
