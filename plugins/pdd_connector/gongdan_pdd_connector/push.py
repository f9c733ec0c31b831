"""Push messages: a client of the platform's message service that turns refund topics into updates.

One `Listener` per app (client id and message service): it connects to
`{base}/message/{client_id}/{ts_ms}/{digest}`, answers the server's heartbeats and sends its
own, and reconnects (with back-off) after an error or `silence_seconds` without a frame. Each
`Common` frame is handled, then acknowledged with `Ack`, or with `Fail` and the reason when the
handler raised, so the platform sends it again.

The handler never trusts the message's content: it reads the record again through the API
(`pdd.refund.information.get`) and stores that (see `sync.reread`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from gongdan import outbound
from gongdan.db import db
from gongdan.lease import Lease
from gongdan.plugins import get_host
from gongdan_pdd_connector import claims, protocol, shops, store, sync
from gongdan_pdd_connector.models import PddShop

log = logging.getLogger("gongdan.pdd.push")

Handler = Callable[[dict[str, Any]], None]


def _ms() -> int:
    return int(time.time() * 1000)


def socket_url(base: str, client_id: str, secret: str, ts_ms: int | None = None) -> str:
    """The message service URL with the digest for this moment."""
    ts_ms = ts_ms or _ms()
    return f"{base.rstrip('/')}/message/{client_id}/{ts_ms}/{protocol.message_digest(client_id, ts_ms, secret)}"


def reply(frame: dict[str, Any], error: str | None = None) -> dict[str, Any]:
    """The `Ack` (or, with `error`, `Fail`) frame answering a `Common` frame."""
    message = frame.get("message") or {}
    out = {
        "id": frame.get("id"),
        "commandType": "Fail" if error else "Ack",
        "time": _ms(),
        "sendTime": frame.get("sendTime"),
        "type": message.get("type"),
        "mallID": message.get("mallID"),
    }
    if error:
        out["failReason"] = error[:500]
    return out


class Listener:
    """A reconnecting message-service client for one app; `start()` runs it in a daemon thread."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        handler: Handler,
        *,
        heartbeat_seconds: float = 8.0,
        silence_seconds: float = 180.0,
        max_backoff: float = 30.0,
    ) -> None:
        self.base_url, self.client_id, self.client_secret = base_url, client_id, client_secret
        self.handler = handler
        self.heartbeat_seconds = heartbeat_seconds
        self.silence_seconds = silence_seconds
        self.max_backoff = max_backoff
        self.handled = 0
        self.failed = 0
        self.connections = 0
        self.connected = threading.Event()
        self._last_frame = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Listener:
        """Run in a daemon thread until `stop()`."""
        self._thread = threading.Thread(target=self._run, name=f"pdd-push-{self.client_id}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the listener to finish and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether its thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            asyncio.run(self._forever())
        finally:
            if not db.is_closed():
                db.close()

    async def _forever(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                await self._session()
                backoff = 0.5
            except outbound.OutboundBlocked as exc:
                log.warning("message service %s refused: %s; retrying in %.1fs", self.base_url, exc, backoff)
            except (OSError, WebSocketException, TimeoutError) as exc:
                log.info("message service %s: %s; reconnecting in %.1fs", self.base_url, exc, backoff)
            self.connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(self.max_backoff, backoff * 2)

    # --- one connection -------------------------------------------------------------------

    async def _session(self) -> None:
        url = socket_url(self.base_url, self.client_id, self.client_secret)
        parts = urlsplit(url)
        port = parts.port or outbound.DEFAULT_PORTS[parts.scheme]
        # checked on every connection; the socket goes to the checked address (TLS still for the name)
        address = await asyncio.to_thread(
            outbound.vet_host, parts.hostname or "", port, plaintext=parts.scheme != "wss"
        )
        options = {"host": address, "port": port, "proxy": None, "open_timeout": 10, "ping_interval": None}
        async with connect(url, max_size=2**22, **options) as socket:
            self.connections += 1
            self.connected.set()
            beat = asyncio.create_task(self._heartbeat(socket))
            try:
                while not self._stop.is_set():
                    try:
                        raw = await asyncio.wait_for(socket.recv(), timeout=min(1.0, self.silence_seconds))
                    except TimeoutError:
                        if time.monotonic() - self._last_frame > self.silence_seconds:
                            raise TimeoutError("no frame for too long") from None
                        continue
                    self._last_frame = time.monotonic()
                    await self._on_frame(socket, raw)
            finally:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat

    async def _heartbeat(self, socket: Any) -> None:
        self._last_frame = time.monotonic()
        while True:
            await socket.send(json.dumps({"commandType": "HeartBeat", "time": _ms()}))
            await asyncio.sleep(self.heartbeat_seconds)

    async def _on_frame(self, socket: Any, raw: str | bytes) -> None:
        try:
            frame = json.loads(raw)
        except ValueError:
            log.warning("message service sent a frame that is not JSON: %r", raw[:200])
            return
        if frame.get("commandType") != "Common":
            return
        try:
            await asyncio.to_thread(self.handler, frame.get("message") or {})
        except Exception as exc:  # noqa: BLE001 - the reason goes back to the platform as Fail
            self.failed += 1
            log.warning("message %s failed: %s", frame.get("id"), exc)
            await socket.send(json.dumps(reply(frame, f"{type(exc).__name__}: {exc}"), ensure_ascii=False))
            return
        self.handled += 1
        await socket.send(json.dumps(reply(frame), ensure_ascii=False))


def handle_message(client_id: str, message: dict[str, Any], base_url: str | None = None) -> int:
    """Turn one refund message of app `client_id` into ticket updates; returns how many shops it touched.

    The message goes only to the shop whose tenant holds the identity `(client_id, mall)` (see
    `claims`) and, with `base_url` (the listener's message service), only when that shop listens
    there. The record is read again through the API before it is trusted. Other topics are ignored.
    """
    if message.get("type") not in protocol.REFUND_TOPICS:
        return 0
    content = message.get("content") or {}
    if isinstance(content, str):
        content = json.loads(content)
    owner_id = str(content.get("mall_id") or message.get("mallID") or "")
    refund_id, order_sn = content.get("refund_id"), content.get("tid")
    if not (owner_id and refund_id and order_sn):
        raise ValueError(f"a refund message without mall_id, refund_id or tid: {content}")
    host = get_host()
    touched = 0
    try:
        targets = PddShop.select().where(
            (PddShop.owner_id == owner_id) & (PddShop.client_id == client_id) & (PddShop.active == True)  # noqa: E712
        )
        for shop in targets:
            if not claims.owns(shop) or (base_url is not None and shops.message_url(shop) != base_url):
                continue
            if host.is_enabled(shop.tenant, store.PLUGIN):
                sync.reread(shop.tenant, shop, str(order_sn), str(refund_id))
                touched += 1
    finally:
        if threading.current_thread() is not threading.main_thread() and not db.is_closed():
            db.close()
    return touched


def permit(shop: PddShop) -> None:
    """Open the shop for messages (`pdd.pmc.user.permit`); safe to repeat."""
    shops.client_for(shop).call("pdd.pmc.user.permit", {"topics": ",".join(sorted(protocol.REFUND_TOPICS))})


_listeners: dict[tuple[str, str], Listener] = {}
_guard = threading.Lock()
# one process of the installation listens at a time; another takes over within a minute when
# it dies (the lease lapses after LEASE_SECONDS, and the job asks every 30 s, `gongdan pdd listen`
# every LEASE_SECONDS / 2); GONGDAN_PDD_LEASE_SECONDS shortens it (tests) or lengthens it
LEASE_SECONDS = float(os.environ.get("GONGDAN_PDD_LEASE_SECONDS") or 20.0)
listener_lease = Lease("pdd_connector.push", ttl=LEASE_SECONDS)


def _stop_all() -> None:
    with _guard:
        for key in list(_listeners):
            _listeners.pop(key).stop(timeout=0)


def ensure_listeners() -> list[Listener]:
    """Keep one running listener per app of the active shops of tenants with the plugin on.

    Called by the scheduled job `pdd_connector.push`; new shops are permitted first. Only the
    process holding the lease `pdd_connector.push` listens (`gongdan.lease`); the others start
    nothing, and a holder that loses the lease stops its listeners.
    """
    if not listener_lease.acquire():
        _stop_all()
        return []
    listener_lease.keep(on_lost=_stop_all)
    host = get_host()
    wanted: dict[tuple[str, str], PddShop] = {}
    for tenant in host.tenants_with(store.PLUGIN):
        for shop in PddShop.of(tenant).where(PddShop.active == True):  # noqa: E712
            wanted.setdefault((shops.message_url(shop), shop.client_id), shop)
    started = []
    with _guard:
        for key, shop in wanted.items():
            listener = _listeners.get(key)
            if listener is not None and listener.alive:
                continue
            for same_app in PddShop.select().where((PddShop.client_id == shop.client_id) & (PddShop.active == True)):  # noqa: E712
                with contextlib.suppress(Exception):
                    permit(same_app)
            client_id = shop.client_id
            listener = Listener(
                key[0], client_id, shop.client_secret, lambda m, c=client_id, u=key[0]: handle_message(c, m, u)
            )
            _listeners[key] = listener.start()
            started.append(listener)
        for key in [k for k in _listeners if k not in wanted]:
            _listeners.pop(key).stop(timeout=0)
    return started
