"""The gateway client's parts that need no gateway: rate limiting, URLs, errors."""

from __future__ import annotations

import threading
import time

from gongdan_pdd_connector import protocol
from gongdan_pdd_connector.client import GatewayError, message_base_url, router_url
from gongdan_pdd_connector.ratelimit import SlidingWindow


def test_sliding_window_never_exceeds_its_limit_in_any_window():
    window = SlidingWindow(20, 0.5)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(15):
            window.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert len(stamps) == 60
    for i, start in enumerate(stamps):
        inside = [s for s in stamps[i:] if s - start < 0.5]
        assert len(inside) <= 20
    # it stays close to the limit: 60 calls at ~19 per 0.6 s take about 1.2-2 s, not much more
    assert stamps[-1] - stamps[0] < 2.5


def test_router_and_message_urls():
    assert router_url("http://127.0.0.1:8123") == "http://127.0.0.1:8123/api/router"
    assert router_url("http://127.0.0.1:8123/api/router") == "http://127.0.0.1:8123/api/router"
    assert router_url(protocol.GATEWAY_URL) == protocol.GATEWAY_URL
    assert message_base_url(protocol.GATEWAY_URL) == protocol.MESSAGE_URL
    assert message_base_url("http://127.0.0.1:8123") == "ws://127.0.0.1:8123"


def test_gateway_errors_say_what_to_do():
    error = GatewayError(20005, "ip无权访问接口，请加入ip白名单", api="pdd.refund.list.increment.get")
    assert error.needs_admin
    assert "whitelist" in str(error)
    assert GatewayError(52101, "限流").action == "retry"
    assert GatewayError(10019, "过期").action == "refresh_token"
    assert GatewayError(12345, "未知").action == "fail"
