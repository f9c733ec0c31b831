"""The sync, built from `gongdan.connectors`:

* windows of at most a day (JD's longest query span) from the shop's cursor to a minute behind
  JD's clock, each overlapping the last (`plan_windows`);
* each window read from its last page to its first (`read_backwards`), so service orders that
  change while read are neither missed nor doubled; the newest `updateTime` wins;
* each order stored with `upsert`: a version already stored is skipped, a re-read sends only what
  JD changed, never undoing what an agent changed since (`keep_agent_edits`), walks the ticket to
  the status JD's step calls for through legal transitions (`walk_to`) and mirrors the order;
* a malformed order is quarantined with its reason (`Quarantine`), recorded as the plugin's
  failure, and the others are stored;
* the cursor moves after each window is stored, so a failure re-reads one window, not all.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gongdan import clock
from gongdan.actors import Actor
from gongdan.connectors import plan_windows, read_backwards, upsert
from gongdan.models import Ticket
from gongdan.plugins import get_host

from .gateway import PAGE_SIZE, Gateway
from .mapping import Malformed, target_status, to_ticket, updated_at
from .models import Cursor, Mirror, Quarantine
from .settings import NAME

LAG = timedelta(minutes=1)  # recent changes may not be queryable yet
OVERLAP = timedelta(minutes=5)  # reading a record twice is harmless (external_ref)
SPAN = timedelta(days=1)  # JD's longest update-time span per query
FIRST = timedelta(days=1)  # how far back the first run reads
ACTOR = Actor.system(f"plugin:{NAME}")
_clients: dict[tuple[int, str], Gateway] = {}


def gateway(tenant: Any) -> Gateway | None:
    """The tenant's client (one per shop and credentials, kept: its rate limiter counts the
    shop's calls), or None before an admin set the gateway's address."""
    settings = get_host().settings(tenant, NAME)
    if not settings["gateway_url"]:
        return None
    key = (
        tenant.id,
        "|".join(str(settings[k] or "") for k in ("gateway_url", "app_key", "app_secret", "access_token")),
    )
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = Gateway(
            settings["gateway_url"], settings["app_key"], settings["app_secret"] or "", settings["access_token"] or ""
        )
    return client


def forget(tenant: Any) -> None:
    """Drop the tenant's cached clients (the plugin was switched off or on)."""
    for key in [k for k in _clients if k[0] == tenant.id]:
        _clients.pop(key, None)


def store(tenant: Any, record: dict[str, Any]) -> Ticket | None:
    """One service order → its ticket (created, or updated keeping agents' edits) and its mirror;
    None when this version was stored before. Raises `Malformed` for an order that cannot be a ticket."""
    ticket = upsert(
        tenant,
        to_ticket(record),
        mirror=Mirror,
        version=updated_at(record),
        target=target_status(record),
        state=str(record.get("afsServiceStep") or ""),
        actor=ACTOR,
    )
    Quarantine.release(tenant, str(record["afsServiceId"]))
    return ticket


def sync_tenant(tenant: Any) -> int:
    """Read every service order changed since the shop's cursor; returns how many were stored."""
    client = gateway(tenant)
    if client is None:
        return 0
    shop = get_host().settings(tenant, NAME)["vender_id"]
    end = client.now() - LAG
    since = Cursor.position(tenant, shop)
    stored = 0
    for window in plan_windows(since or end - FIRST, end, span=SPAN, overlap=OVERLAP, first_overlap=since is not None):

        def fetch(page: int, window: Any = window) -> tuple[int, list[dict[str, Any]]]:
            return client.services(window.start, window.end, page)

        records = read_backwards(fetch, PAGE_SIZE, key=lambda r: str(r.get("afsServiceId") or ""), version=_version)
        for record in records:
            try:
                stored += store(tenant, record) is not None
            except Malformed as exc:  # one bad order never stops the sync: kept with its reason
                Quarantine.hold(tenant, str(record.get("afsServiceId") or "?"), record, str(exc))
                get_host().record_failure(NAME, tenant, f"{NAME}.record", exc)
        Cursor.advance(tenant, shop, window.end)  # every order of the window is stored or quarantined
    return stored


def _version(record: dict[str, Any]) -> Any:
    try:
        return updated_at(record)
    except (KeyError, ValueError):
        return clock.now()  # malformed: kept, and refused by the mapping with its reason


def sync_all() -> None:
    """The scheduled job: every tenant with the plugin on, each on its own."""
    for tenant in get_host().tenants_with(NAME):
        try:
            sync_tenant(tenant)
        except Exception as exc:  # noqa: BLE001 - one tenant's failure is recorded, the others sync
            get_host().record_failure(NAME, tenant, f"{NAME}.sync", exc)
