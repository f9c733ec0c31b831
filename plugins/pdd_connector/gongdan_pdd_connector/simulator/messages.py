"""The message service: `/message/{client_id}/{ts_ms}/{digest}` over WebSocket.

Every change to a record of a permitted shop (`pdd.pmc.user.permit`) becomes a `Common` frame
with a refund topic. A message stays pending until a client answers `Ack`; an unanswered or
`Fail`ed message is sent again after `redeliver_seconds` and whenever a client connects. The
server sends `HeartBeat` frames every `heartbeat_seconds`. Frames use the sans-I/O protocol of
`websockets` on the simulator's own asyncio streams (the HTTP API shares the port).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from websockets.frames import Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from .. import protocol
from .records import Refund
from .world import Shop, World

# Status a record moved to → the topic announcing it.
TOPIC_BY_STATUS = dict.fromkeys((4, 5, 7, 10), "RefundAgreeAgreement")
TOPIC_BY_STATUS |= dict.fromkeys((9, 11, 12, 13), "RefundClosed") | {27: "RefundBuyerReturnGoods"}


def topic_for(refund: Refund, why: str) -> str:
    """The refund topic announcing a change (`why`: created, mutated, agreed, repaired)."""
    if why == "created":
        return "pdd_refund_RefundCreated"
    name = TOPIC_BY_STATUS.get(refund.status, "RefundBuyerModifyAgreement") if isinstance(refund.status, int) else ""
    return f"pdd_refund_{name or 'RefundBuyerModifyAgreement'}"


@dataclass
class Message:
    """One pushed message and its delivery state (pending, sent, acked, failed)."""

    id: int
    owner_id: str
    topic: str
    refund_id: int
    content: dict[str, Any]
    created_ms: int
    state: str = "pending"
    attempts: int = 0
    sent_at: float = 0.0
    fail_reason: str = ""
    delivered_to: list[int] = field(default_factory=list)
    """The numbers of the connections (1, 2, ... in the order they were opened) it was sent on."""

    def as_dict(self) -> dict[str, Any]:
        """The ground truth shown by `GET /_sim/messages`."""
        keys = ("id", "owner_id", "topic", "refund_id", "state", "attempts", "fail_reason", "content", "delivered_to")
        return {k: getattr(self, k) for k in keys}


class Session:
    """One connected message client."""

    def __init__(self, protocol_: ServerProtocol, writer: asyncio.StreamWriter, number: int = 0) -> None:
        self.protocol, self.writer, self.number = protocol_, writer, number

    def flush(self) -> None:
        """Write whatever the protocol has queued."""
        for chunk in self.protocol.data_to_send():
            if chunk:
                self.writer.write(chunk)
            elif self.writer.can_write_eof():
                self.writer.write_eof()

    def send(self, frame: dict[str, Any]) -> bool:
        """Send one JSON text frame; False when the connection is no longer open."""
        if self.protocol.state is not State.OPEN or self.writer.is_closing():
            return False
        self.protocol.send_text(json.dumps(frame, ensure_ascii=False).encode())
        self.flush()
        return True

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake."""
        self.writer.transport.abort()


class MessageHub:
    """Queues refund messages and delivers them to connected clients."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.messages: dict[int, Message] = {}
        self.sessions: list[Session] = []
        self._ids = itertools.count(int(world.settings.seed) * 1_000_000 + 1)
        self._turn = itertools.count()
        self.connections = 0
        """How many message clients were accepted since the start."""
        world.on_change = self.on_change

    def on_change(self, shop: Shop, refund: Refund, why: str) -> None:
        """A record changed: announce it if its shop is open for messages."""
        if shop.permitted:
            self.publish(shop, refund, topic_for(refund, why))

    def publish(self, shop: Shop, refund: Refund, topic: str) -> Message:
        """Queue a message about `refund` and send it to a connected client, if any."""
        now_ms = self.world.clock.millis()
        content = {
            "mall_id": int(shop.owner_id),
            "refund_fee": refund.refund_amount,
            "bill_type": 1 if refund.kind == 1 else 2,
            "modified": refund.updated,
            "refund_id": refund.id,
            "operation": 1000,
            "tid": refund.order_sn,
        }
        message = Message(next(self._ids), shop.owner_id, topic, refund.id, content, now_ms)
        self.messages[message.id] = message
        self._deliver(message)
        return message

    def _deliver(self, message: Message) -> None:
        self.sessions = [s for s in self.sessions if s.protocol.state is State.OPEN]
        if not self.sessions:
            return
        session = self.sessions[next(self._turn) % len(self.sessions)]
        now_ms = self.world.clock.millis()
        sent = session.send(
            {
                "id": message.id,
                "commandType": "Common",
                "time": message.created_ms,
                "sendTime": now_ms,
                "message": {
                    "type": message.topic,
                    "mallID": int(message.owner_id),
                    "content": json.dumps(message.content, ensure_ascii=False, separators=(",", ":")),
                },
            }
        )
        if sent:
            message.state, message.attempts = "sent", message.attempts + 1
            message.delivered_to.append(session.number)
            message.sent_at = asyncio.get_running_loop().time()

    def undelivered(self) -> list[Message]:
        """Messages not acknowledged yet."""
        return [m for m in self.messages.values() if m.state != "acked"]

    async def redeliver_forever(self) -> None:
        """Send again what was not acknowledged within `redeliver_seconds`."""
        loop, every = asyncio.get_running_loop(), self.world.settings.redeliver_seconds
        while True:
            await asyncio.sleep(min(1.0, every / 2))
            for message in self.undelivered():
                if message.state == "pending" or loop.time() - message.sent_at >= every:
                    self._deliver(message)

    def open_sessions(self) -> dict[str, Any]:
        """`GET /_sim/sessions`: the numbers of the connections open now, and how many were accepted."""
        numbers = [s.number for s in self.sessions if s.protocol.state is State.OPEN]
        return {"open": numbers, "connections": self.connections}

    def disconnect_all(self) -> int:
        """Drop every client connection (clients must reconnect); the number dropped."""
        dropped = list(self.sessions)
        for session in dropped:
            session.abort()
        self.sessions.clear()
        return len(dropped)

    def accepts(self, path: str) -> tuple[bool, str]:
        """Whether `/message/{client_id}/{ts_ms}/{digest}` names this app with a valid, fresh digest."""
        parts = path.split("?", 1)[0].strip("/").split("/")
        if len(parts) != 4 or parts[0] != "message":
            return False, "path must be /message/{client_id}/{ts_ms}/{digest}"
        _, client_id, ts_ms, digest = parts
        settings = self.world.settings
        if client_id != settings.client_id:
            return False, "unknown client_id"
        tolerance_ms = protocol.TIMESTAMP_TOLERANCE_SECONDS * 1000
        if not ts_ms.isdigit() or abs(int(ts_ms) - self.world.clock.millis()) > tolerance_ms:
            return False, "timestamp (ms) is missing or more than 10 minutes off"
        if protocol.message_digest(client_id, ts_ms, settings.client_secret) != digest:
            return False, "digest mismatch"
        return True, ""

    async def serve(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Run one WebSocket connection whose raw HTTP request head is `head`."""
        ws = ServerProtocol()
        ws.receive_data(head)
        request = next((e for e in ws.events_received() if isinstance(e, Request)), None)
        if request is None:
            writer.transport.abort()
            return
        ok, reason = self.accepts(request.path)
        response = ws.accept(request) if ok else ws.reject(403, reason + "\n")
        ws.send_response(response)
        session = Session(ws, writer)
        session.flush()
        if response.status_code != 101:
            writer.close()
            return
        self.connections += 1
        session.number = self.connections
        self.sessions.append(session)
        for message in self.undelivered():
            self._deliver(message)
        beat = asyncio.create_task(self._heartbeat(session))
        try:
            await self._read(session, reader)
        finally:
            beat.cancel()
            if session in self.sessions:
                self.sessions.remove(session)
            writer.close()

    async def _heartbeat(self, session: Session) -> None:
        while True:
            await asyncio.sleep(self.world.settings.heartbeat_seconds)
            now_ms = self.world.clock.millis()
            if not session.send({"commandType": "HeartBeat", "time": now_ms, "sendTime": now_ms}):
                return

    async def _read(self, session: Session, reader: asyncio.StreamReader) -> None:
        ws = session.protocol
        while True:
            data = await reader.read(65536)
            if data:
                ws.receive_data(data)
            else:
                ws.receive_eof()
            for event in ws.events_received():
                if event.opcode is Opcode.TEXT:
                    self._on_frame(event.data)
            session.flush()
            if not data or ws.close_expected():
                return

    def _on_frame(self, raw: bytes) -> None:
        with contextlib.suppress(ValueError, AttributeError):
            frame = json.loads(raw)
            message = self.messages.get(int(frame.get("id") or 0))
            command = frame.get("commandType")
            if message is None or command not in ("Ack", "Fail"):
                return  # heartbeats and unknown frames need no answer
            if command == "Ack":
                message.state = "acked"
            elif message.state != "acked":
                message.state, message.fail_reason = "failed", str(frame.get("failReason", ""))
