"""Incremental sync of after-sales records (`pdd.refund.list.increment.get`), and backfills.

How no record is missed or stored twice:

* windows of update time are at most 30 minutes long, each reaching `overlap_minutes` back
  into the previous one, and the last ends at least `lag_minutes` (≥ 3) behind the gateway's
  clock (measured with `pdd.time.get`);
* the gateway lists newest first, so a record updated while we read leaves the window and the
  records behind it move one place forward: pages are therefore read from the last to the
  first (a moved record is met twice, never skipped); if the window's total grew meanwhile the
  window is read again;
* every record is upserted by its after-sales id (the core's idempotent `external_ref`);
* the shop's cursor moves to a window's end only once every record of it is stored or
  quarantined; a failure leaves the cursor where it was, and the next run reads the window again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from gongdan import clock, tickets
from gongdan.connectors import Window, WindowKeptGrowing, plan_windows, read_backwards
from gongdan.db import db
from gongdan.locks import try_lock
from gongdan.models import Tenant
from gongdan_pdd_connector import mapping, protocol, shops, store
from gongdan_pdd_connector.client import GatewayError, PddClient
from gongdan_pdd_connector.models import PddQuarantine, PddRefund, PddShop, PddSyncRun

log = logging.getLogger("gongdan.pdd.sync")

LIST_API = "pdd.refund.list.increment.get"
DETAIL_API = "pdd.refund.information.get"
MAX_REREADS = 3
# records of a window stored at once: a detail call's round trip must not leave the shop's rate unused
RECORD_WORKERS = 4
Progress = Callable[[PddSyncRun], None]
INTERRUPTED = "interrupted"  # the error of a run its process did not live to finish


class ShopBusy(RuntimeError):
    """Another sync of this shop is running (in this process or another)."""


def plan(cursor: datetime, end_limit: datetime, *, overlap: timedelta, first_overlap: bool) -> list[Window]:
    """Windows from `cursor` to `end_limit`: ≤ 30 minutes, each overlapping the previous one."""
    span = timedelta(seconds=protocol.MAX_WINDOW_SECONDS)
    return plan_windows(cursor, end_limit, span=span, overlap=overlap, first_overlap=first_overlap)


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def read_window(client: PddClient, window: Window) -> list[dict[str, Any]]:
    """Every record of one window: the total first, then pages from the last to the first.

    A record met more than once (it moved between pages) is kept once, its newest version.
    """
    base = {
        "after_sales_status": 1,
        "after_sales_type": 1,
        "start_updated_at": _unix(window.start),
        "end_updated_at": _unix(window.end),
        "page_size": protocol.MAX_PAGE_SIZE,
    }

    def fetch(page: int) -> tuple[int, list[dict[str, Any]]]:
        body = client.call(LIST_API, {**base, "page": page})
        return int(body.get("total_count") or 0), list(body.get("refund_list") or [])

    try:
        return read_backwards(
            fetch,
            protocol.MAX_PAGE_SIZE,
            key=lambda item: str(item.get("id") or ""),
            version=lambda item: str(item.get("updated_time")),
            rereads=MAX_REREADS,
        )
    except WindowKeptGrowing:
        log.info("window %s..%s kept growing while it was read", window.start, window.end)
        raise GatewayError(-1, "the window kept growing while it was read", api=LIST_API, transient=True) from None


def _process(ctx: store.Context, client: PddClient, item: dict[str, Any], known: PddRefund | None) -> str:
    """Store one list item (with its detail); returns `current`, `quarantined`, `stored` or `created`.

    Ingestion: the tickets' hooks (assignment, SLA, ...) are left to the worker's batches
    (`tickets.ingesting`; entered here, in the record's thread).
    """
    with tickets.ingesting():
        return _store_item(ctx, client, item, known)


def _detail_unavailable(error: GatewayError) -> mapping.Malformed:
    """The quarantine reason of a record whose details the gateway would not give."""
    return mapping.Malformed(f"detail unavailable: {error}", "detail", code=error.code)


def _store_item(ctx: store.Context, client: PddClient, item: dict[str, Any], known: PddRefund | None) -> str:
    if store.is_current(known, item):
        return "current"
    detail: dict[str, Any] | None = None
    try:
        record = mapping.normalize(item)
        if ctx.conf.get("fetch_detail", True):
            try:
                params = {"order_sn": record["order_sn"], "after_sales_id": record["after_sales_id"]}
                detail = client.call(DETAIL_API, params)
            except GatewayError as error:
                if error.action == "retry":
                    raise
                raise _detail_unavailable(error) from None
            record = mapping.normalize(item, detail)
        _ticket, created = store.store(ctx, record, known)
    except mapping.Malformed as problem:
        store.quarantine(ctx, {"item": item, "detail": detail}, problem)
        return "quarantined"
    return "created" if created else "stored"


def each(items: list[Any], fn: Callable[[Any], Any], workers: int) -> list[Any]:
    """`fn(item)` for every item on up to `workers` threads; results in order, the first error raised.

    Each worker closes its own database connection when it is done.
    """
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    results: list[Any] = [None] * len(items)
    errors: list[BaseException] = []
    order = iter(range(len(items)))
    guard = threading.Lock()

    def work() -> None:
        try:
            while not errors:
                with guard:
                    index = next(order, None)
                if index is None:
                    return
                try:
                    results[index] = fn(items[index])
                except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                    errors.append(exc)
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=work, name="pdd-record") for _ in range(min(workers, len(items)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _gateway_now(shop: PddShop, client: PddClient) -> datetime:
    shop.clock_offset = client.sync_clock()
    return client.gateway_now()


def sync_shop(
    shop: PddShop,
    *,
    since: datetime | None = None,
    kind: str = "increment",
    progress: Progress | None = None,
    client: PddClient | None = None,
) -> PddSyncRun:
    """Sync one shop up to `lag_minutes` behind the gateway clock; returns the finished run.

    `since` (a backfill) starts there instead of at the cursor (at most 90 days back). Raises
    ShopBusy when another sync of the shop holds its lock; gateway failures end the run as
    `failed` (recorded on the run and the shop) without moving the cursor past the last
    complete window.
    """
    with try_lock(_lock_name(shop)) as got:
        if not got:
            raise ShopBusy(f"shop {shop.owner_id} is already syncing")
        close_interrupted(shop)
        return _sync_locked(shop, since=since, kind=kind, progress=progress, client=client)


def _lock_name(shop: PddShop) -> str:
    return f"pdd_connector:shop:{shop.id}"


def close_interrupted(shop: PddShop) -> int:
    """Mark the shop's runs still `running` as failed with reason `interrupted`; how many.

    Call it holding the shop's lock: a process that dies (even `kill -9`) loses the lock with
    it, so a run still `running` while the lock is free was left by a crash.
    """
    return (
        PddSyncRun.update(status="failed", error=INTERRUPTED, finished_at=clock.now())
        .where((PddSyncRun.shop == shop.id) & (PddSyncRun.status == "running"))
        .execute()
    )


def reconcile(tenant: Tenant) -> int:
    """Close the runs of `tenant`'s shops left `running` by a crash (shops syncing now are skipped)."""
    closed = 0
    stale = PddSyncRun.select(PddSyncRun.shop).where((PddSyncRun.tenant == tenant) & (PddSyncRun.status == "running"))
    for shop in list(PddShop.of(tenant).where(PddShop.id.in_(stale))):  # read in full before writing
        with try_lock(_lock_name(shop)) as got:
            if got:
                closed += close_interrupted(shop)
    return closed


def _sync_locked(
    shop: PddShop, *, since: datetime | None, kind: str, progress: Progress | None, client: PddClient | None
) -> PddSyncRun:
    shop = PddShop.get_by_id(shop.id)
    tenant = shop.tenant
    ctx = store.Context.of(shop)
    conf = ctx.conf
    client = client or shops.client_for(shop)
    run = PddSyncRun.create(tenant=tenant, shop=shop, kind=kind, since=since, started_at=clock.now())
    try:
        gateway_now = _gateway_now(shop, client)
        end_limit = gateway_now - timedelta(minutes=max(3, conf["lag_minutes"]))
        oldest = gateway_now - timedelta(days=protocol.HISTORY_DAYS) + timedelta(minutes=5)
        if since is not None:
            start, first_overlap = max(since, oldest), False
        elif shop.cursor is not None:
            start, first_overlap = max(shop.cursor, oldest), True
        else:
            start, first_overlap = max(end_limit - timedelta(days=conf["initial_days"]), oldest), False
        windows = plan(
            start, end_limit, overlap=timedelta(minutes=conf["overlap_minutes"]), first_overlap=first_overlap
        )
        run.until = end_limit
        run.since = run.since or start
        run.windows_total = len(windows)
        run.save()
        for window in windows:
            items = read_window(client, window)
            ids = [str(item["id"]) for item in items if item.get("id")]
            known = {row.after_sales_id: row for row in PddRefund.of(tenant).where(PddRefund.after_sales_id.in_(ids))}
            pairs = [(item, known.get(str(item.get("id") or ""))) for item in items]
            outcomes = each(pairs, lambda pair: _process(ctx, client, *pair), RECORD_WORKERS)
            run.seen += len(outcomes)
            run.stored += sum(o in ("stored", "created") for o in outcomes)
            run.created += outcomes.count("created")
            run.quarantined += outcomes.count("quarantined")
            run.windows_done += 1
            run.calls = client.calls
            run.save()
            _advance(shop, window)
            if progress is not None:
                progress(run)
        run.status = "done"
    except Exception as exc:
        run.status, run.error = "failed", str(exc)[:2000]
        run.error_code = exc.code if isinstance(exc, GatewayError) else None
        PddShop.update(last_error=run.error, last_error_code=run.error_code, last_error_at=clock.now()).where(
            PddShop.id == shop.id
        ).execute()
        if isinstance(exc, GatewayError) and exc.needs_admin:
            shops.mark_auth_problem(shop, exc)
        if not isinstance(exc, GatewayError):
            log.exception("sync of shop %s failed", shop.owner_id)
    run.calls = client.calls
    run.finished_at = clock.now()
    run.save()
    PddShop.update(last_sync_at=run.finished_at, clock_offset=shop.clock_offset).where(PddShop.id == shop.id).execute()
    if run.status == "done":
        PddShop.update(last_error="", last_error_code=None).where(PddShop.id == shop.id).execute()
    return run


def _advance(shop: PddShop, window: Window) -> None:
    """Move the cursor to the end of a completely stored window (never backwards)."""
    fresh = PddShop.get_by_id(shop.id)
    cursor = fresh.cursor if fresh.cursor and fresh.cursor > window.end else window.end
    PddShop.update(cursor=cursor, last_window_start=window.start, last_window_end=window.end).where(
        PddShop.id == shop.id
    ).execute()
    shop.cursor, shop.last_window_start, shop.last_window_end = cursor, window.start, window.end


def _in_thread(fn: Callable[[], PddSyncRun | None]) -> PddSyncRun | None:
    try:
        return fn()
    finally:
        if threading.current_thread() is not threading.main_thread() and not db.is_closed():
            db.close()


def sync_many(
    targets: list[PddShop], *, since: datetime | None = None, kind: str = "increment", progress: Progress | None = None
) -> list[PddSyncRun]:
    """Sync several shops at once (one thread each: the per-shop rate limit is the bottleneck)."""

    def one(shop: PddShop) -> PddSyncRun | None:
        try:
            return sync_shop(shop, since=since, kind=kind, progress=progress)
        except ShopBusy:
            return None

    if len(targets) == 1:
        found = [one(targets[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(16, len(targets)), thread_name_prefix="pdd-sync") as pool:
            found = list(pool.map(lambda s: _in_thread(lambda: one(s)), targets))
    return [run for run in found if run is not None]


_background: set[int] = set()
_background_guard = threading.Lock()


def start_in_background(shop_id: int, since: datetime | None = None) -> bool:
    """Sync (with `since`: backfill) one shop in a daemon thread; False if one is already running here."""
    with _background_guard:
        if shop_id in _background:
            return False
        _background.add(shop_id)

    def work() -> None:
        kind = "backfill" if since else "increment"
        try:
            _in_thread(lambda: next(iter(sync_many([PddShop.get_by_id(shop_id)], since=since, kind=kind)), None))
        finally:
            with _background_guard:
                _background.discard(shop_id)

    threading.Thread(target=work, name=f"pdd-sync-{shop_id}", daemon=True).start()
    return True


def due_shops(tenant: Tenant) -> list[PddShop]:
    """The tenant's active, authorised shops whose last sync is older than the sync interval."""
    interval = timedelta(seconds=store.settings(tenant)["sync_interval_seconds"])
    now = clock.now()
    return [
        shop
        for shop in PddShop.of(tenant).where((PddShop.active == True) & (PddShop.auth_status == "authorized"))  # noqa: E712
        if shop.last_sync_at is None or now - shop.last_sync_at >= interval * 0.9
    ]


def reread(tenant: Tenant, shop: PddShop, order_sn: str, after_sales_id: str, client: PddClient | None = None) -> Any:
    """Read one record again through the API (after a push message or an action) and store it.

    Returns the ticket, or None when the record went to quarantine.
    """
    client = client or shops.client_for(shop)
    detail = client.call(DETAIL_API, {"order_sn": order_sn, "after_sales_id": after_sales_id})
    ctx = store.Context.of(shop)
    try:
        ticket, _ = store.store(ctx, mapping.normalize(None, detail))
    except mapping.Malformed as problem:
        store.quarantine(ctx, {"item": None, "detail": detail}, problem)
        return None
    return ticket


def retry_quarantined(entry: PddQuarantine) -> bool:
    """Try a quarantined record again (after a fix: new settings, a corrected record, new code).

    The record is read again through the API when its ids are known, otherwise the stored copy
    is used. Returns True when it is stored now; otherwise the entry keeps the new reason.
    """
    ctx = store.Context.of(entry.shop)
    shop = entry.shop
    raw = entry.record or {}
    detail = raw.get("detail")
    if entry.after_sales_id and entry.order_sn:
        try:
            detail = shops.client_for(shop).call(
                DETAIL_API, {"order_sn": entry.order_sn, "after_sales_id": entry.after_sales_id}
            )
        except GatewayError as error:
            if error.action == "retry":
                raise
            store.quarantine(ctx, raw, _detail_unavailable(error))
            return False
    try:
        store.store(ctx, mapping.normalize(raw.get("item"), detail))
    except mapping.Malformed as problem:
        store.quarantine(ctx, {"item": raw.get("item"), "detail": detail}, problem)
        return False
    now = clock.now()
    PddQuarantine.update(status="resolved", resolved_at=now, updated_at=now).where(
        PddQuarantine.id == entry.id
    ).execute()
    return True
