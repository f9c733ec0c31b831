"""A small HTTP/1.1 server on asyncio streams: keep-alive, Content-Length and chunked bodies,
and a hand-off of WebSocket upgrades (so the API and the message service share one port).

`websockets`' own server refuses request bodies, so the simulator reads requests itself and
gives the message service the raw request head of an upgrade.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MAX_HEAD = 64 * 1024
MAX_BODY = 8 * 1024 * 1024
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict"}
REASONS |= {413: "Payload Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Entity"}


class BadRequest(Exception):
    """The request cannot be read; answered with 400."""


@dataclass
class HttpRequest:
    """One parsed request."""

    method: str
    target: str
    headers: dict[str, str]
    head: bytes
    body: bytes = b""
    query: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The path without the query string."""
        return urlsplit(self.target).path

    def json(self) -> Any:
        """The body as JSON (an empty body is `{}`)."""
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            raise BadRequest("body is not JSON") from None

    def form(self) -> dict[str, str]:
        """Parameters from the query string and the body (form-encoded, multipart or JSON)."""
        params = dict(self.query)
        kind = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            body = self.json()
            if not isinstance(body, dict):
                raise BadRequest("JSON body must be an object")
            params |= {k: _as_text(v) for k, v in body.items() if v is not None}
        elif kind == "multipart/form-data":
            params |= _multipart(self.headers["content-type"], self.body)
        elif self.body:
            params |= dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return params


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.is_multipart():
        raise BadRequest("malformed multipart body")
    out = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            out[str(name)] = payload.decode(part.get_content_charset() or "utf-8", "replace")
    return out


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """The next request on the connection, or None when the client closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise BadRequest("request head too large") from None
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        raise BadRequest("bad request line") from None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    request = HttpRequest(method.upper(), target, headers, head, query=dict(parse_qsl(urlsplit(target).query)))
    request.body = await _read_body(reader, headers)
    return request


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length") or 0)
    if length > MAX_BODY:
        raise BadRequest("body too large")
    return await reader.readexactly(length) if length else b""


@dataclass
class HttpResponse:
    """What a route answers: a status and a JSON body (or bytes of `content_type`); `drop`
    closes the connection unanswered."""

    status: int = 200
    body: Any = None
    drop: bool = False
    content_type: str = "application/json; charset=utf-8"


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]
Upgrade = Callable[[bytes, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def write_response(writer: asyncio.StreamWriter, response: HttpResponse, keep_alive: bool) -> None:
    """Serialise `response` as JSON onto the connection."""
    payload = (
        response.body if isinstance(response.body, bytes) else json.dumps(response.body, ensure_ascii=False).encode()
    )
    head = (
        f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'OK')}\r\n"
        f"Content-Type: {response.content_type}\r\n"
        f"Content-Length: {len(payload)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    writer.write(head.encode("ascii") + payload)


def connection_handler(handle: Handler, upgrade: Upgrade) -> Callable[..., Awaitable[None]]:
    """An `asyncio.start_server` callback serving `handle` and passing WebSocket upgrades on."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    request = await read_request(reader)
                except BadRequest as error:
                    write_response(writer, HttpResponse(400, {"error": str(error)}), keep_alive=False)
                    break
                if request is None:
                    break
                if request.headers.get("upgrade", "").lower() == "websocket":
                    await upgrade(request.head, reader, writer)
                    return
                response = await handle(request)
                if response.drop:
                    writer.transport.abort()
                    return
                keep_alive = request.headers.get("connection", "").lower() != "close"
                write_response(writer, response, keep_alive)
                await writer.drain()
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        with contextlib.suppress(ConnectionError):
            writer.close()
            await writer.wait_closed()

    return serve
