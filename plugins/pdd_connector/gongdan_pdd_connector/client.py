"""The gateway client: signed calls to `/api/router` and what each error code means for them.

`PddClient.call(api, params)` signs and sends one call and returns the API's success body
(the envelope key removed). Behaviour per error code follows `protocol.ERROR_CODES`:

* `refresh_token` (10019): ask `refresh_token()` for a new access token, retry once;
* `retry` (50000, 50002, 52101-52103, 70031), timeouts and broken connections on reads:
  exponential back-off with jitter, up to `max_retries`;
* `resync_clock` (10001 on the timestamp): re-read the gateway clock, retry once;
* everything else fails at once with a `GatewayError` saying what the admin must fix.

Every call first waits for the shop's and the app's rate-limit slot (`ratelimit.LIMITER`).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from gongdan import outbound
from gongdan_pdd_connector import protocol
from gongdan_pdd_connector.ratelimit import LIMITER, Limiter

log = logging.getLogger("gongdan.pdd")

# APIs that change something on the platform: never resent after a timeout (it may have happened).
WRITE_APIS = frozenset(
    {"pdd.refund.agree", "pdd.refund.returngoods.agree", "pdd.refund.exchange.shipping", "pdd.order.note.update"}
)
CHINA = timedelta(hours=8)


class GatewayError(Exception):
    """The gateway refused a call (or could not be reached): `code`, `message`, what to do."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        api: str = "",
        sub_msg: str = "",
        request_id: str = "",
        transient: bool = False,
    ) -> None:
        known = protocol.ERROR_CODES.get(code)
        self.code = code
        self.api = api
        self.error_msg = message
        self.sub_msg = sub_msg or ""
        self.request_id = request_id or ""
        self.action = known.action if known else ("retry" if transient else "fail")
        self.hint = known.hint if known else ""
        text = f"{api}: [{code}] {message}"
        if self.sub_msg:
            text += f" ({self.sub_msg})"
        if self.hint:
            text += f" — {self.hint}"
        super().__init__(text)

    @property
    def needs_admin(self) -> bool:
        """Whether only an admin can fix this (permissions, IP whitelist, re-authorisation)."""
        return self.action in ("admin", "reauthorize")

    def as_dict(self) -> dict[str, Any]:
        """The error as recorded on events and shown in the console."""
        return {
            "code": self.code,
            "message": self.error_msg,
            "sub_msg": self.sub_msg,
            "request_id": self.request_id,
            "action": self.action,
            "hint": self.hint,
        }


NETWORK_ERROR = -1  # our code for "no usable answer" (timeout, refused connection, not JSON, blocked)
# one text for every way a gateway fails to answer, so the error tells nothing about what listens there
NO_ANSWER = "no usable answer from the gateway (unreachable, timed out, or not a Pinduoduo API answer)"
NETWORK_RETRIES = 2  # an unreachable gateway rarely comes back within seconds: the next run retries


def router_url(gateway_url: str) -> str:
    """The `/api/router` URL of a gateway given as a base URL or as the router URL itself."""
    parts = urlsplit(gateway_url.strip())
    path = parts.path.rstrip("/")
    if not path.endswith(protocol.ROUTER_PATH):
        path += protocol.ROUTER_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def message_base_url(gateway_url: str) -> str:
    """The message service's base URL for a gateway (the platform's own, or ws:// beside a local one)."""
    if urlsplit(router_url(gateway_url)).netloc == urlsplit(protocol.GATEWAY_URL).netloc:
        return protocol.MESSAGE_URL
    parts = urlsplit(gateway_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, "", "", ""))


def parse_time(value: Any) -> datetime | None:
    """A platform time (`"2026-11-02 10:00:00"` in China time, or Unix seconds/ms) as aware UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        seconds = float(value)
        if seconds > 1e11:
            seconds /= 1000.0
        return datetime.fromtimestamp(seconds, UTC)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = (parsed - CHINA).replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class PddClient:
    """A signed-call client for one app and (optionally) one shop's access token."""

    def __init__(
        self,
        gateway_url: str,
        client_id: str,
        client_secret: str,
        access_token: str | None = None,
        *,
        owner_id: str | None = None,
        refresh_token: Callable[[], str] | None = None,
        limiter: Limiter | None = LIMITER,
        timeout: float = 15.0,
        max_retries: int = 6,
        backoff: float = 0.25,
        backoff_max: float = 8.0,
        clock_offset: float = 0.0,
        session: requests.Session | None = None,
    ) -> None:
        self.url = router_url(gateway_url)
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token = access_token
        self.owner_id = owner_id
        self.refresh_token = refresh_token
        self.limiter = limiter
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.clock_offset = clock_offset
        self.session = session or outbound.Session(allow_http=True)  # http only to allow-listed addresses
        self.calls = 0
        self.retries = 0
        self.waited = 0.0
        self._lock = threading.Lock()

    # --- time -----------------------------------------------------------------------------

    def gateway_now(self) -> datetime:
        """The gateway's clock as this client estimates it (local time + measured offset)."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    def sync_clock(self) -> float:
        """Measure the gateway's clock with `pdd.time.get`; returns and keeps the offset in seconds."""
        before = time.time()
        body = self.call("pdd.time.get", _clock_retry=False)
        after = time.time()
        remote = parse_time(body.get("time"))
        if remote is None:
            raise GatewayError(NETWORK_ERROR, "pdd.time.get answered without a time", api="pdd.time.get")
        self.clock_offset = remote.timestamp() - (before + after) / 2
        return self.clock_offset

    # --- calls ----------------------------------------------------------------------------

    def params(self, api: str, params: Mapping[str, Any] | None = None) -> dict[str, str]:
        """The signed, serialised form fields of one call of `api`."""
        fields: dict[str, Any] = {
            "type": api,
            "client_id": self.client_id,
            "timestamp": int(time.time() + self.clock_offset),
            "data_type": "JSON",
            "version": "V1",
        }
        if api not in protocol.APP_LEVEL_APIS and self.access_token:
            fields["access_token"] = self.access_token
        fields.update(params or {})
        sent = protocol.prepare(fields)
        sent["sign"] = protocol.sign(sent, self.client_secret)
        return sent

    def call(self, api: str, params: Mapping[str, Any] | None = None, *, _clock_retry: bool = True) -> dict[str, Any]:
        """Call `api` and return its success body; GatewayError when it finally fails."""
        refreshed = False
        clock_fixed = not _clock_retry
        attempt = 0
        while True:
            try:
                return self._once(api, params)
            except GatewayError as error:
                if error.action == "refresh_token" and not refreshed and self.refresh_token is not None:
                    refreshed = True
                    self.access_token = self.refresh_token()
                    continue
                if error.action == "resync_clock" and not clock_fixed and "timestamp" in error.error_msg:
                    clock_fixed = True
                    self.sync_clock()
                    continue
                network = error.code == NETWORK_ERROR
                retryable = error.action == "retry" and not (network and api in WRITE_APIS)
                if not retryable or attempt >= (
                    min(self.max_retries, NETWORK_RETRIES) if network else self.max_retries
                ):
                    raise
                attempt += 1
                with self._lock:
                    self.retries += 1
                pause = min(self.backoff_max, self.backoff * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
                log.info("%s failed (%s), retry %d in %.2fs", api, error.code, attempt, pause)
                time.sleep(pause)

    def _once(self, api: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        if self.limiter is not None:
            owner = None if api in protocol.APP_LEVEL_APIS else (self.owner_id or self.client_id)
            waited = self.limiter.acquire(self.client_id, owner, api)
        else:
            waited = 0.0
        form = self.params(api, params)
        with self._lock:
            self.calls += 1
            self.waited += waited
        try:
            response = self.session.post(self.url, data=form, timeout=self.timeout)
        except outbound.OutboundBlocked as exc:
            raise GatewayError(NETWORK_ERROR, exc.message, api=api) from None
        except (outbound.OutboundError, requests.RequestException):
            raise GatewayError(NETWORK_ERROR, NO_ANSWER, api=api, transient=True) from None
        try:
            body = response.json()
        except ValueError:
            raise GatewayError(NETWORK_ERROR, NO_ANSWER, api=api, transient=response.status_code >= 500) from None
        if not isinstance(body, dict):
            raise GatewayError(NETWORK_ERROR, NO_ANSWER, api=api)
        error = body.get(protocol.ERROR_KEY)
        if error is not None:
            raise GatewayError(
                int(error.get("error_code") or 0),
                str(error.get("error_msg") or ""),
                api=api,
                sub_msg=str(error.get("sub_msg") or ""),
                request_id=str(error.get("request_id") or ""),
            )
        key = protocol.RESPONSE_KEYS.get(api)
        if key is None:
            return body
        if key not in body:
            raise GatewayError(NETWORK_ERROR, f"the answer lacks {key!r}", api=api)
        return body[key] or {}
