"""The simulator as one object: the world, the gateway, the message service and their routes."""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from typing import Any

from .. import protocol
from .clock import SimClock
from .control import Control
from .gateway import Gateway
from .httpserver import BadRequest, HttpRequest, HttpResponse, connection_handler
from .messages import MessageHub
from .world import Settings, World
from .xmlbody import to_xml


class Simulator:
    """A local Pinduoduo gateway: `POST /api/router`, the message WebSocket and `/_sim/...`."""

    def __init__(self, settings: Settings, clock: SimClock | None = None) -> None:
        self.world = World(settings, clock)
        self.gateway = Gateway(self.world)
        self.hub = MessageHub(self.world)
        self.control = Control(self.gateway, self.hub)

    def shop_lines(self) -> list[dict[str, Any]]:
        """What the CLI prints on start: one object per shop with its first tokens."""
        out = []
        for shop in self.world.shops.values():
            token = self.world.first_token(shop.owner_id)
            out.append(
                {
                    "owner_id": shop.owner_id,
                    "owner_name": shop.owner_name,
                    "access_token": token.access_token,
                    "refresh_token": token.refresh_token,
                }
            )
        return out

    async def handle(self, request: HttpRequest) -> HttpResponse:
        """Route one plain HTTP request."""
        try:
            if request.path == protocol.ROUTER_PATH:
                if request.method != "POST":
                    return HttpResponse(405, {"error": "use POST"})
                return await self._router(request.form())
            if request.path.startswith("/_sim/"):
                return self.control.handle(request)
        except BadRequest as error:
            return HttpResponse(400, {"error": str(error)})
        return HttpResponse(404, {"error": f"no route {request.path}"})

    async def _router(self, params: dict[str, str]) -> HttpResponse:
        api = params.get("type")
        if self.gateway.should_drop(api):
            return HttpResponse(drop=True)
        delay = self.gateway.delay_seconds(api)
        if delay:
            await asyncio.sleep(delay)
        try:
            body = self.gateway.handle(params)
        except Exception:  # noqa: BLE001 - a simulator bug answers like the platform's own failures
            traceback.print_exc()
            body = protocol.error_body(50000, sub_msg="模拟器内部错误")
        if params.get("data_type") == "XML":
            return HttpResponse(200, to_xml(body), content_type="text/xml; charset=utf-8")
        return HttpResponse(200, body)

    async def start(self, host: str, port: int) -> asyncio.Server:
        """Listen on host:port (0: any free port) and start the message redelivery loop."""
        server = await asyncio.start_server(connection_handler(self.handle, self.hub.serve), host, port)
        self._redeliver = asyncio.create_task(self.hub.redeliver_forever())
        return server

    async def stop(self, server: asyncio.Server) -> None:
        """Stop listening and drop the message clients."""
        self._redeliver.cancel()
        self.hub.disconnect_all()
        server.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._redeliver
