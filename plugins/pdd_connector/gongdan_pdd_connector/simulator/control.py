"""The `/_sim/...` control endpoints tests and benchmarks drive the simulator with.

| route | body / query | effect |
|---|---|---|
| `POST /_sim/faults` | `{"error_code", "rate", "apis", "slow_ms", "drop_rate"}` | replace injected faults |
| `POST /_sim/mutate` | `{"count", "owner_id"?}` | move records to a next status, updated now |
| `POST /_sim/clock` | `{"offset_seconds"}` | shift the gateway clock |
| `POST /_sim/push` | `{"owner_id", "refund_id", "type"}` | push a message (shop must be permitted) |
| `GET /_sim/records` | `?owner_id=` | ground truth: every record's id, status, updated time |
| `POST /_sim/records` | `{"owner_id", "count", "malformed"}` | add records, updated now |
| `POST /_sim/repair` | `{"owner_id", "refund_id"}` | fix a malformed record, updated now |
| `POST /_sim/auth_code` | `{"owner_id"}` | an authorisation code for `pdd.pop.auth.token.create` |
| `GET /_sim/shops` | | shops with their current tokens |
| `GET /_sim/messages` | | pushed messages and their delivery state |
| `POST /_sim/disconnect` | | drop every message-service connection |
| `GET /_sim/stats` | | call counters (calls, ok, errors by code) and the process's CPU seconds |
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .clock import china_time
from .gateway import Faults, Gateway
from .httpserver import HttpRequest, HttpResponse
from .messages import MessageHub
from .records import MALFORMED_KINDS, Refund
from .world import Shop


class ControlError(Exception):
    """A bad control request: answered with `status` and `{"error": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def record_truth(owner_id: str, refund: Refund) -> dict[str, Any]:
    """One record as `GET /_sim/records` lists it."""
    return {
        "id": refund.id,
        "owner_id": owner_id,
        "order_sn": refund.order_sn,
        "status": refund.status,
        "after_sales_type": refund.kind,
        "updated_time": china_time(refund.updated),
        "updated_at": refund.updated,
        "malformed": refund.malformed,
    }


class Control:
    """Dispatches `/_sim/...` requests."""

    def __init__(self, gateway: Gateway, hub: MessageHub) -> None:
        self.gateway, self.hub, self.world = gateway, hub, gateway.world
        self.routes: dict[tuple[str, str], Callable[[HttpRequest], Any]] = {
            ("POST", "faults"): self.faults,
            ("GET", "faults"): lambda _: self.gateway.faults.as_dict(),
            ("POST", "mutate"): self.mutate,
            ("POST", "clock"): self.clock,
            ("POST", "push"): self.push,
            ("GET", "records"): self.records,
            ("POST", "records"): self.add_records,
            ("POST", "repair"): self.repair,
            ("POST", "auth_code"): lambda r: {"code": self.world.auth_code(self._shop(r.json()).owner_id)},
            ("GET", "shops"): self.shops,
            ("GET", "messages"): lambda _: {"messages": [m.as_dict() for m in self.hub.messages.values()]},
            ("POST", "disconnect"): lambda _: {"dropped": self.hub.disconnect_all()},
            ("GET", "sessions"): lambda _: self.hub.open_sessions(),
            ("GET", "stats"): lambda _: dict(self.gateway.stats) | {"cpu_seconds": time.process_time()},
        }

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one control request."""
        route = self.routes.get((request.method, request.path.removeprefix("/_sim/").strip("/")))
        if route is None:
            return HttpResponse(404, {"error": f"no control route {request.method} {request.path}"})
        try:
            return HttpResponse(200, route(request))
        except ControlError as error:
            return HttpResponse(error.status, {"error": str(error)})
        except (TypeError, ValueError, KeyError) as error:
            return HttpResponse(422, {"error": f"bad request: {error!r}"})

    def _shop(self, body: dict[str, Any]) -> Shop:
        shop = self.world.shops.get(str(body.get("owner_id", "")))
        if shop is None:
            raise ControlError(404, f"unknown owner_id {body.get('owner_id')!r}")
        return shop

    def _refund(self, body: dict[str, Any]) -> tuple[Shop, Refund]:
        shop = self._shop(body)
        refund = shop.refunds.get(int(body.get("refund_id") or 0))
        if refund is None:
            raise ControlError(404, f"unknown refund_id {body.get('refund_id')!r}")
        return shop, refund

    def faults(self, request: HttpRequest) -> dict[str, Any]:
        """Replace the injected faults."""
        body = request.json()
        faults = Faults(
            error_code=int(body["error_code"]) if body.get("error_code") else None,
            rate=float(body.get("rate", 0)),
            apis=[str(a) for a in body.get("apis") or []],
            slow_ms=int(body.get("slow_ms", 0)),
            drop_rate=float(body.get("drop_rate", 0)),
        )
        if not (0 <= faults.rate <= 1 and 0 <= faults.drop_rate <= 1 and faults.slow_ms >= 0):
            raise ControlError(422, "rate and drop_rate must be within 0..1, slow_ms >= 0")
        self.gateway.set_faults(faults)
        return faults.as_dict()

    def mutate(self, request: HttpRequest) -> dict[str, Any]:
        """Move records on."""
        body = request.json()
        owner_id = self._shop(body).owner_id if body.get("owner_id") else None
        changed = self.world.mutate(int(body.get("count", 1)), owner_id)
        return {"changed": [record_truth(r.owner_id, r) for r in changed]}

    def clock(self, request: HttpRequest) -> dict[str, Any]:
        """Shift the gateway clock."""
        self.world.clock.offset = float(request.json()["offset_seconds"])
        return {"offset_seconds": self.world.clock.offset, "now": self.world.clock.seconds()}

    def push(self, request: HttpRequest) -> dict[str, Any]:
        """Push one message about a record."""
        body = request.json()
        shop, refund = self._refund(body)
        if not shop.permitted:
            raise ControlError(409, "shop not opened for messages: call pdd.pmc.user.permit first")
        topic = str(body.get("type") or "pdd_refund_RefundCreated")
        return {"message_id": self.hub.publish(shop, refund, topic).id}

    def records(self, request: HttpRequest) -> dict[str, Any]:
        """Ground truth: every record, oldest first."""
        owner_id = self._shop(request.query).owner_id if request.query.get("owner_id") else None
        return {"records": [record_truth(shop.owner_id, r) for shop, r in self.world.all_refunds(owner_id)]}

    def add_records(self, request: HttpRequest) -> dict[str, Any]:
        """Add records, updated now."""
        body = request.json()
        malformed = body.get("malformed", False)
        if not isinstance(malformed, bool) and malformed not in MALFORMED_KINDS:
            raise ControlError(422, f"malformed must be true, false or one of {', '.join(MALFORMED_KINDS)}")
        added = self.world.add_records(self._shop(body).owner_id, int(body.get("count", 1)), malformed)
        return {"records": [record_truth(r.owner_id, r) for r in added]}

    def repair(self, request: HttpRequest) -> dict[str, Any]:
        """Fix a malformed record."""
        shop, refund = self._refund(request.json())
        self.world.repair(shop, refund)
        return record_truth(shop.owner_id, refund)

    def shops(self, _request: HttpRequest) -> dict[str, Any]:
        """Shops, their newest tokens and whether they are open for messages."""
        out = []
        for shop in self.world.shops.values():
            tokens = [t for t in self.world.tokens.values() if t.owner_id == shop.owner_id]
            newest = max(tokens, key=lambda t: t.expires_at)
            out.append(
                {
                    "owner_id": shop.owner_id,
                    "owner_name": shop.owner_name,
                    "access_token": newest.access_token,
                    "refresh_token": newest.refresh_token,
                    "expires_at": newest.expires_at,
                    "permitted": shop.permitted,
                    "records": len(shop.refunds),
                }
            )
        return {"shops": out}
