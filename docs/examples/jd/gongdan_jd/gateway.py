"""JD's (京东) open-platform API as this connector uses it, called only through `gongdan.outbound`.

What is JD-specific (and what an author fills in for another marketplace):

* one endpoint (`POST {gateway}/routerjson`) for every method, named by `method`
  (`jingdong.afs.service.list`, ...); the business parameters travel as one JSON string,
  `360buy_param_json`;
* every request is signed: `sign` = upper-case hex MD5 of `app_secret + k1v1k2v2... + app_secret`
  over the parameters sorted by name (JD's published scheme);
* times are written `yyyy-MM-dd HH:mm:ss` in Beijing time, without a zone: convert both ways;
* answers are wrapped as `{"<method with _>_responce": {"result": ...}}` (JD's spelling) and
  failures as `{"error_response": {"code", "zh_desc", "en_desc"}}` with HTTP 200;
* a published rate limit per app: this client waits before it would exceed it
  (`gongdan.connectors.SlidingWindow`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from gongdan import outbound
from gongdan.connectors import SlidingWindow
from gongdan.errors import GongdanError

PAGE_SIZE = 50
BEIJING = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
RATE = (20, 10.0)  # calls per seconds, per app (the fake gateway enforces it too)


class GatewayError(GongdanError):
    """JD answered with an `error_response`: its code and its own words (zh / en)."""

    code = "gateway_error"
    status = 502

    def __init__(self, jd_code: str, zh: str, en: str) -> None:
        super().__init__(f"JD {jd_code}: {zh} / {en}")
        self.jd_code = jd_code


def jd_time(value: datetime) -> str:
    """An aware datetime as JD writes times (Beijing, no zone)."""
    return value.astimezone(BEIJING).strftime(TIME_FORMAT)


def parse_jd_time(text: str) -> datetime:
    """JD's `yyyy-MM-dd HH:mm:ss` (Beijing) as an aware datetime."""
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING)


def sign(params: dict[str, str], secret: str) -> str:
    """JD's request signature over every parameter but `sign`."""
    joined = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")
    return hashlib.md5(f"{secret}{joined}{secret}".encode()).hexdigest().upper()  # noqa: S324 - JD's scheme


class Gateway:
    """One JD shop's API client (keep one per shop: its limiter counts the shop's calls)."""

    def __init__(self, base_url: str, app_key: str, app_secret: str, access_token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_key, self.app_secret, self.access_token = app_key, app_secret, access_token
        self.limiter = SlidingWindow(*RATE)

    def call(self, method: str, business: dict[str, Any]) -> Any:
        """Call `method` with its business parameters; its `result`, or GatewayError."""
        params = {
            "method": method,
            "app_key": self.app_key,
            "access_token": self.access_token,
            "timestamp": jd_time(datetime.now(BEIJING)),
            "v": "2.0",
            "360buy_param_json": json.dumps(business, ensure_ascii=False, separators=(",", ":")),
        }
        params["sign"] = sign(params, self.app_secret)
        self.limiter.acquire()
        # allow_http: plain http only to an allow-listed host (GONGDAN_OUTBOUND_ALLOW), e.g. the fake gateway
        try:
            response = outbound.request("POST", f"{self.base_url}/routerjson", allow_http=True, data=params, timeout=10)
            body = outbound.check_status(response).json()
        except outbound.OutboundError as exc:  # unreachable, an error status: a GatewayError too, never a 500
            raise GatewayError("-", exc.message_zh, exc.message) from exc
        if "error_response" in body:
            error = body["error_response"]
            raise GatewayError(str(error.get("code")), error.get("zh_desc", ""), error.get("en_desc", ""))
        return body[method.replace(".", "_") + "_responce"]["result"]

    def now(self) -> datetime:
        """The gateway's clock (windows end behind it)."""
        return parse_jd_time(self.call("jingdong.system.time.get", {})["time"])

    def services(self, start: datetime, end: datetime, page: int) -> tuple[int, list[dict[str, Any]]]:
        """After-sales service orders (服务单) updated in [start, end], page `page` (from 1)."""
        business = {
            "updateTimeBegin": jd_time(start),
            "updateTimeEnd": jd_time(end),
            "pageIndex": page,
            "pageSize": PAGE_SIZE,
        }
        result = self.call("jingdong.afs.service.list", business)
        return int(result["totalCount"]), list(result["serviceList"])

    def audit(self, service_id: str, approve: bool, remark: str = "") -> dict[str, Any]:
        """Approve (审核通过) or refuse a service order. A write: never resent after a timeout."""
        business = {"afsServiceId": service_id, "approveResult": 1 if approve else 2, "remark": remark}
        return self.call("jingdong.afs.service.audit", business)
