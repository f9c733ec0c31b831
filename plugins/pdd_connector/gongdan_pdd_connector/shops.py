"""Shops: connecting them, their encrypted credentials, token refresh and a client per shop."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from gongdan import audit, clock, outbound
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import NotFound, ValidationError
from gongdan.ids import parse_id
from gongdan.models import Tenant
from gongdan.representation import iso
from gongdan_pdd_connector import claims, protocol
from gongdan_pdd_connector.client import GatewayError, PddClient, message_base_url, parse_time
from gongdan_pdd_connector.models import PddQuarantine, PddRefund, PddShop, PddSyncRun

REFRESH_AHEAD = timedelta(minutes=30)
_refresh_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def get(tenant: Tenant, shop_id: int | str) -> PddShop:
    """The tenant's shop `shop_id` (database id); NotFound for another tenant's or none."""
    shop_id = parse_id(shop_id)
    if shop_id is None:
        raise NotFound("no such shop")
    shop = PddShop.get_or_none((PddShop.id == shop_id) & (PddShop.tenant == tenant))
    if shop is None:
        raise NotFound("no such shop")
    return shop


def by_owner(tenant: Tenant, owner_id: str) -> PddShop:
    """The tenant's shop with Pinduoduo owner (mall) id `owner_id`."""
    shop = PddShop.get_or_none((PddShop.tenant == tenant) & (PddShop.owner_id == str(owner_id)))
    if shop is None:
        raise NotFound(f"no shop with owner_id {owner_id}")
    return shop


AUDITED = ("owner_name", "client_id", "gateway_url", "message_url", "active")
SECRETS = ("client_secret", "access_token", "refresh_token")


def connect(tenant: Tenant, data: dict[str, Any], actor: Actor | None = None) -> tuple[PddShop, bool]:
    """Add a shop, or update the credentials of the tenant's shop with the same `owner_id`.

    `data` carries the tokens, or an authorisation `code` to exchange for them. Returns
    `(shop, created)`. Secrets and tokens are stored encrypted. Audited as
    `pdd_connector.shop_connected` / `.shop_changed` by `actor` (the CLI when None) with the
    diff: gateway and message URLs by value, secrets only as changed.
    """
    check_urls(data)
    now = clock.now()
    if data.get("code"):
        data = {
            **data,
            **exchange_code(data.get("gateway_url"), data["client_id"], data["client_secret"], data["code"]),
        }
    values = {
        "owner_name": data.get("owner_name") or "",
        "client_id": data["client_id"],
        "client_secret": data["client_secret"],
        "access_token": data["access_token"],
        "refresh_token": data.get("refresh_token") or "",
        "gateway_url": data.get("gateway_url") or protocol.GATEWAY_URL,
        "message_url": data.get("message_url") or "",
        "access_expires_at": data.get("access_token_expires_at"),
        "auth_status": "authorized",
        "auth_error": "",
        "auth_error_code": None,
        "active": True,
    }
    shop = PddShop.get_or_none((PddShop.tenant == tenant) & (PddShop.owner_id == str(data["owner_id"])))
    before = {} if shop is None else {key: getattr(shop, key) for key in AUDITED + SECRETS}
    with write_transaction():
        claims.claim(tenant, values["client_id"], str(data["owner_id"]))
        if before and before["client_id"] != values["client_id"]:
            claims.release(tenant, before["client_id"], shop.owner_id)
        if shop is None:
            shop = PddShop.create(tenant=tenant, owner_id=str(data["owner_id"]), created_at=now, **values)
        else:
            for key, value in values.items():
                setattr(shop, key, value)
            shop.save()
        changes = audit.diff(before, {key: values[key] for key in AUDITED + SECRETS}, hidden=SECRETS)
        kind = "pdd_connector.shop_connected" if not before else "pdd_connector.shop_changed"
        if changes:
            audit.record(tenant, kind, actor or Actor.system("cli"), data={"shop": shop.owner_id, "changes": changes})
    return shop, not before


URL_SCHEMES = {"gateway_url": ("http", "https"), "message_url": ("ws", "wss")}


def check_urls(data: dict[str, Any]) -> None:
    """The gateway and message URLs an admin typed, checked by `gongdan.outbound` (plain http/ws
    only to allow-listed addresses, such as a local simulator); ValidationError names the field."""
    problems: dict[str, list[str]] = {}
    for key, schemes in URL_SCHEMES.items():
        if data.get(key):
            try:
                outbound.vet_url(data[key], allow_http=True, schemes=schemes)
            except outbound.OutboundBlocked as exc:
                problems[key] = [exc.localized()]
    if problems:
        raise ValidationError("; ".join(f"{key}: {why[0]}" for key, why in problems.items()), problems)


def exchange_code(gateway_url: str, client_id: str, client_secret: str, code: str) -> dict[str, Any]:
    """Trade a shop's authorisation code (valid 10 minutes) for its tokens (`pdd.pop.auth.token.create`).

    Returns the fields `connect` takes: owner id and name, tokens and expiry.
    """
    app = PddClient(gateway_url or protocol.GATEWAY_URL, client_id, client_secret, owner_id=None, max_retries=1)
    body = app.call("pdd.pop.auth.token.create", {"code": code})
    return {
        "owner_id": str(body["owner_id"]),
        "owner_name": body.get("owner_name") or "",
        "access_token": str(body["access_token"]),
        "refresh_token": str(body.get("refresh_token") or ""),
        "access_token_expires_at": _expiry(body, "expires_at", "expires_in", clock.now()),
    }


def client_for(shop: PddShop, **options: Any) -> PddClient:
    """A gateway client acting for `shop`; it refreshes the shop's token when the gateway asks."""
    return PddClient(
        shop.gateway_url,
        shop.client_id,
        shop.client_secret,
        shop.access_token,
        owner_id=shop.owner_id,
        refresh_token=lambda: refresh(shop),
        clock_offset=shop.clock_offset,
        **options,
    )


def message_url(shop: PddShop) -> str:
    """The message service base URL this shop's app listens on."""
    return shop.message_url or message_base_url(shop.gateway_url)


def _lock(shop: PddShop) -> threading.Lock:
    with _locks_guard:
        return _refresh_locks.setdefault(shop.id, threading.Lock())


def refresh(shop: PddShop) -> str:
    """Exchange the shop's refresh token for new tokens (`pdd.pop.auth.token.refresh`).

    Returns the new access token. On failure the shop is marked (`reauthorize` or `error`)
    with the reason and the GatewayError propagates.
    """
    with _lock(shop):
        fresh = PddShop.get_by_id(shop.id)
        if fresh.access_token != shop.access_token:  # another thread refreshed meanwhile
            _copy_tokens(fresh, shop)
            return shop.access_token
        app = PddClient(shop.gateway_url, shop.client_id, shop.client_secret, owner_id=None)
        try:
            body = app.call("pdd.pop.auth.token.refresh", {"refresh_token": shop.refresh_token})
        except GatewayError as error:
            mark_auth_problem(shop, error, default="reauthorize")
            raise
        now = clock.now()
        shop.access_token = str(body["access_token"])
        if body.get("refresh_token"):
            shop.refresh_token = str(body["refresh_token"])
        shop.access_expires_at = _expiry(body, "expires_at", "expires_in", now)
        shop.refresh_expires_at = _expiry(body, "refresh_token_expires_at", "refresh_token_expires_in", now)
        shop.auth_status, shop.auth_error = "authorized", ""
        PddShop.update(
            access_token=shop.access_token,
            refresh_token=shop.refresh_token,
            access_expires_at=shop.access_expires_at,
            refresh_expires_at=shop.refresh_expires_at,
            auth_status=shop.auth_status,
            auth_error="",
            auth_error_code=None,
        ).where(PddShop.id == shop.id).execute()
        return shop.access_token


def _copy_tokens(source: PddShop, target: PddShop) -> None:
    for name in ("access_token", "refresh_token", "access_expires_at", "refresh_expires_at", "auth_status"):
        setattr(target, name, getattr(source, name))


def _expiry(body: dict[str, Any], at_key: str, in_key: str, now: datetime) -> datetime | None:
    if body.get(at_key):
        return parse_time(body[at_key])
    if body.get(in_key):
        return now + timedelta(seconds=int(body[in_key]))
    return None


def mark_auth_problem(shop: PddShop, error: GatewayError, default: str = "error") -> None:
    """Show on the shop that only an admin can fix its calls (expired grant, IP, permission)."""
    status = "reauthorize" if error.action in ("reauthorize", "refresh_token") else default
    shop.auth_status, shop.auth_error, shop.auth_error_code = status, str(error), error.code
    PddShop.update(auth_status=status, auth_error=str(error), auth_error_code=error.code).where(
        PddShop.id == shop.id
    ).execute()


def refresh_due(now: datetime | None = None) -> list[PddShop]:
    """Active shops whose access token expires within `REFRESH_AHEAD` and can be refreshed."""
    limit = (now or clock.now()) + REFRESH_AHEAD
    return list(
        PddShop.select().where(
            (PddShop.active == True)  # noqa: E712
            & PddShop.access_expires_at.is_null(False)
            & (PddShop.access_expires_at < limit)
            & (PddShop.refresh_token != "")
            & (PddShop.auth_status != "reauthorize")
        )
    )


def as_dict(shop: PddShop, *, now: datetime | None = None) -> dict[str, Any]:
    """A shop as the API shows it: sync state and authorisation, never secrets or tokens."""
    now = now or clock.now()
    run = PddSyncRun.select().where(PddSyncRun.shop == shop).order_by(PddSyncRun.id.desc()).first()
    lag = (now - shop.cursor).total_seconds() if shop.cursor else None
    return {
        "id": shop.id,
        "owner_id": shop.owner_id,
        "owner_name": shop.owner_name,
        "client_id": shop.client_id,
        "gateway_url": shop.gateway_url,
        "active": shop.active,
        "authorization": {
            "status": shop.auth_status,
            "error": shop.auth_error or None,
            "error_code": shop.auth_error_code,
            "access_token_expires_at": iso(shop.access_expires_at),
            "refresh_token_expires_at": iso(shop.refresh_expires_at),
        },
        "sync": {
            "cursor": iso(shop.cursor),
            "last_window": {"start": iso(shop.last_window_start), "end": iso(shop.last_window_end)}
            if shop.last_window_end
            else None,
            "lag_seconds": round(lag, 1) if lag is not None else None,
            "last_sync_at": iso(shop.last_sync_at),
            "last_error": shop.last_error or None,
            "last_error_code": shop.last_error_code,
            "last_error_at": iso(shop.last_error_at),
            "last_run": run_dict(run) if run else None,
            "records": PddRefund.select().where(PddRefund.shop == shop).count(),
            "quarantined": PddQuarantine.select()
            .where((PddQuarantine.shop == shop) & (PddQuarantine.status == "open"))
            .count(),
        },
        "created_at": iso(shop.created_at),
    }


def run_dict(run: PddSyncRun) -> dict[str, Any]:
    """One sync run as the API shows it."""
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "since": iso(run.since),
        "until": iso(run.until),
        "windows_total": run.windows_total,
        "windows_done": run.windows_done,
        "seen": run.seen,
        "stored": run.stored,
        "created": run.created,
        "quarantined": run.quarantined,
        "calls": run.calls,
        "error": run.error or None,
        "error_code": run.error_code,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
    }
