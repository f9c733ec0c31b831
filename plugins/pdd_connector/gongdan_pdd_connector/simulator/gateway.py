"""`POST /api/router`: the gateway's checks, in the platform's order, then the API itself.

Checks: public parameters (`10001 公共参数错误:<name>`), the client id (10016), the
10-minute timestamp window (10001 `:timestamp`; `pdd.time.get` is exempt so a client with a
wrong clock can resync), the MD5 signature (20004), the API name, the shop's token (10019
when unknown or expired), the app's rate limit (70031) and the shop's per-API limit (52101),
then any injected fault, then the handler.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import protocol
from .apis import HANDLERS, Call
from .params import GatewayError, public_error
from .world import Shop, World


class RateLimiter:
    """Sliding-window call counting on the real (monotonic) clock."""

    def __init__(self) -> None:
        self.calls: dict[tuple[str, ...], deque[float]] = {}

    def allow(self, key: tuple[str, ...], calls: int, seconds: float) -> bool:
        """Count a call under `key` unless `calls` were already made in the last `seconds`."""
        now = time.monotonic()
        window = self.calls.setdefault(key, deque())
        while window and window[0] <= now - seconds:
            window.popleft()
        if len(window) >= calls:
            return False
        window.append(now)
        return True


@dataclass
class Faults:
    """Injected faults (`POST /_sim/faults`): for the listed APIs (all when empty), answer
    `error_code` on a `rate` share of calls, wait `slow_ms` before every answer and drop the
    connection without an answer on a `drop_rate` share."""

    error_code: int | None = None
    rate: float = 0.0
    apis: list[str] = field(default_factory=list)
    slow_ms: int = 0
    drop_rate: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The settings as JSON."""
        return asdict(self)


class Gateway:
    """Answers API calls for one `World`."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.faults = Faults()
        self.fault_rng = random.Random(world.settings.seed + 1)
        self.limiter = RateLimiter()
        self.stats: Counter[str] = Counter()
        self._request_ids = itertools.count(1)

    def set_faults(self, faults: Faults) -> None:
        """Replace the injected faults."""
        self.faults = faults

    def _faulty(self, api: str | None) -> bool:
        return not self.faults.apis or api in self.faults.apis

    def should_drop(self, api: str | None) -> bool:
        """Whether to drop this call's connection (seeded draw)."""
        return self._faulty(api) and self.fault_rng.random() < self.faults.drop_rate

    def delay_seconds(self, api: str | None) -> float:
        """How long to wait before answering this call."""
        return self.faults.slow_ms / 1000 if self._faulty(api) else 0.0

    def handle(self, params: dict[str, str]) -> dict[str, Any]:
        """The JSON body answering one call."""
        api = params.get("type", "")
        self.stats["calls"] += 1
        try:
            shop = self._check(api, params)
            handler, _ = HANDLERS[api]
            payload = handler(Call(self.world, params, shop))
        except GatewayError as error:
            self.stats[f"error:{error.code}"] += 1
            known = protocol.ERROR_CODES.get(error.code)
            message = (known.message if known else "未知错误") + (f":{error.detail}" if error.detail else "")
            request_id = f"{self.world.clock.millis()}{next(self._request_ids) % 100000:05d}"
            return protocol.error_body(error.code, message, error.sub_msg, request_id)
        self.stats["ok"] += 1
        self.stats[f"ok:{api}"] += 1
        key = protocol.RESPONSE_KEYS[api]
        return payload if key is None else {key: payload}

    def _check(self, api: str, params: dict[str, str]) -> Shop | None:
        settings, world = self.world.settings, self.world
        for name in ("type", "client_id", "timestamp", "sign"):
            if not params.get(name):
                raise public_error(name)
        if params.get("data_type", "JSON") not in ("JSON", "XML"):
            raise public_error("data_type", "data_type只能是JSON或XML")
        if params.get("version", "V1") != "V1":
            raise public_error("version", "version只能是V1")
        if params["client_id"] != settings.client_id:
            raise GatewayError(10016, "client_id不存在")
        try:
            timestamp = int(params["timestamp"])
        except ValueError:
            raise public_error("timestamp", "timestamp必须是Unix秒") from None
        skew = abs(timestamp - world.clock.now())
        if api != "pdd.time.get" and skew > protocol.TIMESTAMP_TOLERANCE_SECONDS:
            raise public_error("timestamp", "timestamp与服务器时间相差超过10分钟")
        if protocol.sign(params, settings.client_secret) != params["sign"]:
            raise GatewayError(20004, "sign不正确")
        if api not in HANDLERS:
            raise public_error("type", f"接口{api}不存在")
        shop = self._shop(api, params)
        self._limit(api, shop)
        if self.faults.error_code and self._faulty(api) and self.fault_rng.random() < self.faults.rate:
            raise GatewayError(self.faults.error_code, "模拟器注入的故障")
        return shop

    def _shop(self, api: str, params: dict[str, str]) -> Shop | None:
        if not HANDLERS[api][1]:
            return None
        access_token = params.get("access_token")
        if not access_token:
            raise public_error("access_token")
        token = self.world.tokens.get(access_token)
        if token is None:
            raise GatewayError(10019, "access_token不存在")
        if token.expires_at < self.world.clock.now():
            raise GatewayError(10019, "access_token已过期，请刷新")
        return self.world.shops[token.owner_id]

    def _limit(self, api: str, shop: Shop | None) -> None:
        if not self.world.settings.rate_limit:
            return
        settings = self.world.settings
        if not self.limiter.allow(("app",), *settings.app_rate_limit):
            raise GatewayError(70031, "应用调用频率超过限制")
        shop_limit = settings.shop_rate_limit or protocol.shop_rate_limit(api)
        if shop is not None and not self.limiter.allow((shop.owner_id, api), *shop_limit):
            raise GatewayError(52101, f"店铺调用{api}超过限制")
