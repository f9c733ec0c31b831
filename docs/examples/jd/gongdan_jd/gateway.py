"""The marketplace's API, called only through `gongdan.outbound` (the guard every outgoing
request goes through). Fill in the real protocol here: signing, error codes, retries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gongdan import outbound

PAGE_SIZE = 50


class Gateway:
    """One shop's API client."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"X-Api-Key": api_key}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        # allow_http: plain http only to an allow-listed host (GONGDAN_OUTBOUND_ALLOW), e.g. the fake gateway
        response = outbound.request(
            method, self.base_url + path, allow_http=True, headers=self.headers, timeout=10, **kwargs
        )
        return outbound.check_status(response).json()

    def now(self) -> datetime:
        """The gateway's clock (windows end behind it)."""
        return datetime.fromisoformat(self._call("GET", "/time")["now"])

    def records(self, start: datetime, end: datetime, page: int) -> dict[str, Any]:
        """`{"total": N, "items": [...]}`: records changed in [start, end), page `page` (from 1)."""
        params = {"from": start.isoformat(), "to": end.isoformat(), "page": page, "page_size": PAGE_SIZE}
        return self._call("GET", "/records", params=params)

    def approve_refund(self, record_id: str) -> dict[str, Any]:
        """Approve the refund of record `record_id` (a write: never resent after a timeout)."""
        return self._call("POST", f"/records/{record_id}/approve")
