"""H4: gateway and message URLs go through `gongdan.outbound`; H3: a shop identity belongs to one tenant."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from gongdan_pdd_connector import claims, push, shops
from gongdan_pdd_connector.client import NO_ANSWER, GatewayError, PddClient
from gongdan_pdd_connector.models import PddShop, PddShopClaim
from gongdan_pdd_connector.testing import connect_all, shop_fields, truth

from gongdan.testing import RecordingServer, answer

ALLOW = "GONGDAN_OUTBOUND_ALLOW"
H4_GATEWAYS = [
    "http://169.254.169.254/latest/",
    "https://127.0.0.1:5432/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://10.0.0.7/api/router",
    "https://[fe80::1]/",
]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("url", H4_GATEWAYS)
def test_internal_gateway_urls_are_refused(
    url: str, pdd_tenant: Any, start_sim: Callable[..., Any], admin_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = start_sim(shops=1, records=1)
    monkeypatch.delenv(ALLOW)
    response = admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim, gateway_url=url))
    assert response.status_code == 422
    assert "gateway_url" in response.get_json()["error"]["fields"]
    internal = admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim, message_url="ws://169.254.169.254/"))
    assert internal.status_code == 422
    assert "message_url" in internal.get_json()["error"]["fields"]
    assert PddShop.select().count() == 0


def test_a_closed_port_and_a_non_json_answer_read_the_same(
    pdd_tenant: Any,
    start_sim: Callable[..., Any],
    admin_api: Any,
    http_server: Callable[..., RecordingServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No port scanner: whatever listens at an address, the admin reads the same words."""
    sim = start_sim(shops=1, records=1)
    web = http_server("127.0.0.1", answer(200, b"<html>an internal admin page</html>"))
    odd = http_server("127.0.0.1", answer(200, b"[1, 2, 3]"))
    targets = [f"http://127.0.0.1:{_closed_port()}", web.base, odd.base]

    monkeypatch.delenv(ALLOW)  # not allow-listed: refused before any connection, one message
    refusals = set()
    for base in targets:
        response = admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim, gateway_url=base + "/api/router"))
        assert response.status_code == 422
        refusals.add(response.get_json()["error"]["fields"]["gateway_url"][0])
    assert len(refusals) == 1
    assert web.seen == []
    assert odd.seen == []

    monkeypatch.setenv(ALLOW, "127.0.0.0/8")  # even where the operator allows it: one message
    answers = set()
    for base in targets:
        client = PddClient(base, "c", "s", limiter=None, max_retries=0)
        with pytest.raises(GatewayError) as error:
            client.call("pdd.time.get")
        answers.add(str(error.value))
    assert answers == {f"pdd.time.get: [-1] {NO_ANSWER}"}


def test_plain_http_gateways_only_where_the_operator_allows(
    pdd_tenant: Any, start_sim: Callable[..., Any], admin_api: Any
) -> None:
    sim = start_sim(shops=1, records=1)
    public_http = admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim, gateway_url="http://8.8.8.8/api/router"))
    assert public_http.status_code == 422
    assert admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim)).status_code == 201  # the simulator


def test_the_push_listener_checks_the_message_service_on_every_connection(
    pdd_tenant: Any, start_sim: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = start_sim(shops=1, records=1, heartbeat_seconds=1)
    (shop,) = connect_all(pdd_tenant, sim)
    monkeypatch.delenv(ALLOW)
    listener = push.Listener(shops.message_url(shop), sim.client_id, sim.client_secret, lambda m: None).start()
    try:
        time.sleep(1.5)
        assert listener.connections == 0
        monkeypatch.setenv(ALLOW, "127.0.0.0/8")
        assert listener.connected.wait(10)
    finally:
        listener.stop()


# --- H3 -----------------------------------------------------------------------------------


def test_another_tenant_cannot_take_a_shop_and_receives_nothing(
    pdd_tenant: Any,
    other_tenant: Any,
    enable_plugin: Callable[..., Any],
    make_user: Callable[..., Any],
    start_sim: Callable[..., Any],
    http_server: Callable[..., RecordingServer],
) -> None:
    sim = start_sim(shops=1, records=3, no_rate_limit=True)
    (shop,) = connect_all(pdd_tenant, sim)
    enable_plugin("pdd_connector", in_tenant=other_tenant)
    _, intruder = make_user("admin", in_tenant=other_tenant)
    own_gateway = http_server("127.0.0.1", answer(200, b'{"refund_information_get_response": {}}'))
    taken = intruder.post(
        "/api/v1/pdd/shops", json=shop_fields(sim, gateway_url=own_gateway.base, message_url="ws://127.0.0.1:9/")
    )
    assert taken.status_code == 409, taken.get_data(as_text=True)
    assert "owner_id" in taken.get_json()["error"]["fields"]
    zh = intruder.post("/api/v1/pdd/shops", json=shop_fields(sim), headers={"Accept-Language": "zh-CN"})
    assert zh.get_json()["error"]["message"] == claims.TAKEN_ZH
    assert PddShop.of(other_tenant).count() == 0

    record = truth(sim, shop.owner_id)[0]
    message = {
        "type": "pdd_refund_RefundCreated",
        "mallID": int(shop.owner_id),
        "content": {"mall_id": int(shop.owner_id), "refund_id": record["id"], "tid": record["order_sn"]},
    }
    assert push.handle_message(sim.client_id, message) == 1  # the owner's shop, through its own gateway
    assert own_gateway.seen == []


def test_a_shop_is_claimed_once_when_two_tenants_connect_at_the_same_moment(
    pdd_tenant: Any, other_tenant: Any, start_sim: Callable[..., Any]
) -> None:
    sim = start_sim(shops=1, records=1)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def connect(tenant: Any) -> None:
        barrier.wait()
        try:
            shops.connect(tenant, shop_fields(sim))
            outcomes.append("connected")
        except claims.ShopTaken:
            outcomes.append("taken")

    threads = [threading.Thread(target=connect, args=(t,)) for t in (pdd_tenant, other_tenant)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["connected", "taken"]
    assert PddShop.select().count() == PddShopClaim.select().count() == 1
    assert claims.owns(PddShop.get())


def test_existing_duplicate_shops_are_settled_by_the_upgrade(
    pdd_tenant: Any, other_tenant: Any, start_sim: Callable[..., Any]
) -> None:
    sim = start_sim(shops=1, records=1)
    (first,) = connect_all(pdd_tenant, sim)
    PddShopClaim.delete().execute()  # as before version 3: no claims, and a second tenant's copy
    copy = PddShop.create(
        tenant=other_tenant,
        owner_id=first.owner_id,
        client_id=first.client_id,
        client_secret="x",
        access_token="y",
        gateway_url=first.gateway_url,
    )
    claims.claim_existing(None)
    assert claims.owns(PddShop.get_by_id(first.id))
    settled = PddShop.get_by_id(copy.id)
    assert (settled.active, settled.auth_error) == (False, claims.TAKEN)
