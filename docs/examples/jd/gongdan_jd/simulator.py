"""A local fake of the marketplace's API, for tests and demos: it serves on loopback and keeps
its records in memory. Make it enforce the real system's rules as you learn them."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class FakeGateway:
    """`GET /time`, `GET /records?from=&to=&page=&page_size=` (oldest change first),
    `POST /records/ID/approve`; every call needs the `X-Api-Key` header."""

    def __init__(self, api_key: str = "test-key", host: str = "127.0.0.1") -> None:
        self.api_key = api_key
        self.records: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, 0), self._handler())
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, record_id: str, minutes_ago: float = 3, **fields: Any) -> dict[str, Any]:
        """Add or change a record, stamped as changed `minutes_ago` minutes ago (the sync reads
        up to a minute behind the gateway's clock, so a change of this very second waits)."""
        changed = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        with self.lock:
            record = self.records.setdefault(record_id, {"id": record_id, "status": "waiting"})
            record.update(fields, updated_at=changed.isoformat())
            return dict(record)

    def stop(self) -> None:
        """Shut the server down."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def _page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        start, end = (datetime.fromisoformat(query[key][0]) for key in ("from", "to"))
        page, size = int(query.get("page", ["1"])[0]), int(query.get("page_size", ["50"])[0])
        with self.lock:
            found = sorted(
                (r for r in self.records.values() if start <= datetime.fromisoformat(r["updated_at"]) < end),
                key=lambda r: r["updated_at"],
            )
        return {"total": len(found), "items": found[(page - 1) * size : page * size]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self) -> tuple[int, Any]:
                if self.headers.get("X-Api-Key") != gateway.api_key:
                    return 401, {"error": "bad api key"}
                url = urlsplit(self.path)
                parts = url.path.strip("/").split("/")
                if self.command == "GET" and parts == ["time"]:
                    return 200, {"now": datetime.now(UTC).isoformat()}
                if self.command == "GET" and parts == ["records"]:
                    return 200, gateway._page(parse_qs(url.query))
                if self.command == "POST" and len(parts) == 3 and parts[0] == "records" and parts[2] == "approve":
                    if parts[1] not in gateway.records:
                        return 404, {"error": "no such record"}
                    return 200, gateway.add(parts[1], minutes_ago=0, status="approved")
                return 404, {"error": "no such route"}

            def do_GET(self) -> None:
                self._answer(*self._route())

            def do_POST(self) -> None:
                self._answer(*self._route())

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
