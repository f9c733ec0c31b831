"""The sync: a window behind the gateway's clock, overlapping the last, read page by page with
`gongdan.connectors.read_backwards`, and a cursor per shop moved only when the window is stored.

Harden it for the real system with gongdan's docs/writing-connectors.md: windows no longer than
the API allows (`gongdan.connectors.plan_windows`), quarantine bad records, keep agents' edits
(`keep_agent_edits`), walk statuses (`walk_to`), rate-limit yourself (`SlidingWindow`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gongdan import categories, tickets
from gongdan.actors import Actor
from gongdan.connectors import read_backwards
from gongdan.plugins import get_host

from .gateway import PAGE_SIZE, Gateway
from .mapping import Malformed, to_ticket
from .models import Cursor
from .settings import NAME

LAG = timedelta(minutes=1)  # recent changes may not be queryable yet
OVERLAP = timedelta(minutes=5)  # reading a record twice is harmless (external_ref)
FIRST = timedelta(days=1)  # how far back the first run reads
ACTOR = Actor.system(f"plugin:{NAME}")


def gateway(tenant: Any) -> Gateway | None:
    """The tenant's gateway client, or None before an admin set its URL."""
    settings = get_host().settings(tenant, NAME)
    return Gateway(settings["gateway_url"], settings["api_key"] or "") if settings["gateway_url"] else None


def store(tenant: Any, record: dict[str, Any]) -> Any:
    """One record → its ticket (created, or updated when seen before)."""
    payload = to_ticket(record)
    categories.ensure(tenant, payload["category"])
    ticket, _ = tickets.create(tenant, payload, ACTOR)
    return ticket


def sync_tenant(tenant: Any) -> int:
    """Read every record changed since the cursor; returns how many were stored."""
    client = gateway(tenant)
    if client is None:
        return 0
    shop = get_host().settings(tenant, NAME)["shop_id"]
    end = client.now() - LAG
    cursor = Cursor.of(tenant).where(Cursor.shop == shop).first()
    start = cursor.until - OVERLAP if cursor else end - FIRST

    def fetch(page: int) -> tuple[int, list[dict[str, Any]]]:
        answer = client.records(start, end, page)
        return answer["total"], answer["items"]

    # pages from the last to the first: records that change while read are neither missed nor doubled
    records = read_backwards(fetch, PAGE_SIZE, key=lambda r: str(r.get("id") or ""), version=lambda r: r["updated_at"])
    stored = 0
    for record in records:
        try:
            store(tenant, record)
            stored += 1
        except Malformed as exc:  # one bad record never stops the sync
            get_host().record_failure(NAME, tenant, f"{NAME}.record", exc)
    if cursor is None:
        Cursor.create(tenant=tenant, shop=shop, until=end)
    else:
        Cursor.update(until=end).where(Cursor.id == cursor.id).execute()
    return stored


def sync_all() -> None:
    """The scheduled job: every tenant with the plugin on, each on its own."""
    for tenant in get_host().tenants_with(NAME):
        try:
            sync_tenant(tenant)
        except Exception as exc:  # noqa: BLE001 - one tenant's failure is recorded, the others sync
            get_host().record_failure(NAME, tenant, f"{NAME}.sync", exc)
