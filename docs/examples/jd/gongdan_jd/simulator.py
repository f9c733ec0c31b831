"""A local fake of JD's open platform for tests and demos: serves `POST /routerjson` on loopback,
keeps service orders in memory and enforces what the real one does that the connector must get
right — the signature, Beijing times without a zone, the longest query span, the rate limit,
`error_response` with HTTP 200, and JD's `_responce` spelling."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from .gateway import BEIJING, RATE, jd_time, parse_jd_time, sign

MAX_SPAN = timedelta(days=1)


class FakeGateway:
    """JD's methods `jingdong.system.time.get`, `jingdong.afs.service.list` (oldest change first)
    and `jingdong.afs.service.audit`, for one app (`app_key`, `app_secret`, `access_token`)."""

    def __init__(
        self,
        app_key: str = "jd-app",
        app_secret: str = "jd-secret",  # noqa: S107 - the fake's own test credentials
        access_token: str = "jd-token",  # noqa: S107
        host: str = "127.0.0.1",
    ) -> None:
        self.app_key, self.app_secret, self.access_token = app_key, app_secret, access_token
        self.services: dict[str, dict[str, Any]] = {}
        self.audits: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self._recent: deque[float] = deque()
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, 0), self._handler())
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, service_id: str, minutes_ago: float = 3, **fields: Any) -> dict[str, Any]:
        """Add or change a service order, stamped as updated `minutes_ago` minutes ago (the sync
        reads up to a minute behind JD's clock, so a change of this very second waits)."""
        changed = datetime.now(BEIJING) - timedelta(minutes=minutes_ago)
        with self.lock:
            record = self.services.setdefault(
                service_id,
                {
                    "afsServiceId": service_id,
                    "orderId": f"9{service_id}",
                    "customerPin": f"jd_{service_id}",
                    "customerName": "京东买家",
                    "questionTypeCode": "10",
                    "questionDesc": "",
                    "applyAmount": 0,
                    "afsServiceStep": "10",
                },
            )
            record.update(fields, updateTime=jd_time(changed))
            return dict(record)

    def stop(self) -> None:
        """Shut the server down."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, params: dict[str, str]) -> dict[str, Any]:
        """JD's answer to one request's parameters."""
        if params.get("app_key") != self.app_key or params.get("access_token") != self.access_token:
            return _error("19", "token 无效", "Invalid access token")
        if params.get("sign") != sign(params, self.app_secret):
            return _error("14", "签名无效", "Invalid signature")
        now = time.monotonic()
        with self.lock:
            while self._recent and now - self._recent[0] > RATE[1]:
                self._recent.popleft()
            if len(self._recent) >= RATE[0]:
                return _error("21", "调用频率超限", "Call limit exceeded")
            self._recent.append(now)
        method = params.get("method", "")
        self.calls.append(method)
        business = json.loads(params.get("360buy_param_json") or "{}")
        if method == "jingdong.system.time.get":
            result: Any = {"time": jd_time(datetime.now(BEIJING))}
        elif method == "jingdong.afs.service.list":
            start, end = parse_jd_time(business["updateTimeBegin"]), parse_jd_time(business["updateTimeEnd"])
            if end - start > MAX_SPAN:
                return _error("60", "查询时间跨度不能超过1天", "The time span may not exceed 1 day")
            page, size = int(business["pageIndex"]), int(business["pageSize"])
            with self.lock:
                found = sorted(
                    (s for s in self.services.values() if start <= parse_jd_time(s["updateTime"]) <= end),
                    key=lambda s: s["updateTime"],
                )
            result = {"totalCount": len(found), "serviceList": found[(page - 1) * size : page * size]}
        elif method == "jingdong.afs.service.audit":
            service = self.services.get(str(business.get("afsServiceId")))
            if service is None:
                return _error("404", "服务单不存在", "No such service order")
            self.audits.append(business)
            step = "31" if business.get("approveResult") == 1 else "20"
            result = {"success": True, "service": self.add(service["afsServiceId"], minutes_ago=0, afsServiceStep=step)}
        else:
            return _error("40", "方法不存在", "No such method")
        return {method.replace(".", "_") + "_responce": {"code": "0", "result": result}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path != "/routerjson":
                    body, status = {"error": "no such route"}, 404
                else:
                    length = int(self.headers.get("Content-Length") or 0)
                    form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                    body, status = gateway.answer({k: v[0] for k, v in form.items()}), 200
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def _error(code: str, zh: str, en: str) -> dict[str, Any]:
    return {"error_response": {"code": code, "zh_desc": zh, "en_desc": en}}
