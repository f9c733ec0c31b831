"""The simulator's message service over a real WebSocket: digest, Common/Ack/Fail/HeartBeat, redelivery."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

import pytest
import requests
from gongdan_pdd_connector.simulator.process import SimulatorProcess
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

CLIENT_ID, SECRET = "gongdan-sim-client", "gongdan-sim-secret"


def digest(client_id: str, ts_ms: int, secret: str) -> str:
    """The documented digest: base64 of the lower-case hex MD5 of id + ms + secret."""
    return base64.b64encode(hashlib.md5(f"{client_id}{ts_ms}{secret}".encode()).hexdigest().encode()).decode()


@pytest.fixture(scope="module")
def sim():
    options = {"heartbeat_seconds": 0.3, "redeliver_seconds": 0.6}
    with SimulatorProcess(2, 30, 5, "--no-rate-limit", **options) as process:
        assert process.call("pdd.pmc.user.permit", shop=0) == {"pmc_user_permit_response": {"is_success": True}}
        yield process


def open_socket(sim: SimulatorProcess, secret: str = SECRET, skew_ms: int = 0) -> ClientConnection:
    ts_ms = int(time.time() * 1000) + skew_ms
    url = f"{sim.base.replace('http://', 'ws://')}/message/{CLIENT_ID}/{ts_ms}/{digest(CLIENT_ID, ts_ms, secret)}"
    return connect(url, open_timeout=10)


def next_common(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["commandType"] == "Common":
            return frame
        assert frame["commandType"] == "HeartBeat"


def answer(ws: ClientConnection, frame: dict[str, Any], command: str = "Ack", **extra: Any) -> None:
    now = int(time.time() * 1000)
    reply = {"id": frame["id"], "commandType": command, "time": now, "sendTime": frame["sendTime"]}
    reply |= {"type": frame["message"]["type"], "mallID": frame["message"]["mallID"]} | extra
    ws.send(json.dumps(reply))


def state_of(sim: SimulatorProcess, message_id: int) -> dict[str, Any]:
    return next(m for m in sim.control("GET", "messages")["messages"] if m["id"] == message_id)


def wait_for(check, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def drain(sim: SimulatorProcess) -> None:
    """Acknowledge everything pending from earlier tests."""
    with open_socket(sim) as ws:
        while any(m["state"] != "acked" for m in sim.control("GET", "messages")["messages"]):
            answer(ws, next_common(ws))


@pytest.mark.parametrize(("secret", "skew_ms"), [("wrong-secret", 0), (SECRET, 11 * 60 * 1000)])
def test_a_bad_digest_or_stale_timestamp_is_refused(sim, secret, skew_ms):
    with pytest.raises(InvalidStatus) as refused:
        open_socket(sim, secret, skew_ms)
    assert refused.value.response.status_code == 403


def test_a_pushed_message_arrives_as_a_common_frame_and_is_acknowledged(sim):
    drain(sim)
    owner = sim.shops[0]["owner_id"]
    record = sim.control("GET", "records", owner_id=owner)["records"][0]
    with open_socket(sim) as ws:
        pushed = sim.control(
            "POST", "push", {"owner_id": owner, "refund_id": record["id"], "type": "pdd_refund_RefundCreated"}
        )
        frame = next_common(ws)
        assert frame["id"] == pushed["message_id"]
        assert set(frame) == {"id", "commandType", "time", "sendTime", "message"}
        assert frame["message"]["type"] == "pdd_refund_RefundCreated"
        assert frame["message"]["mallID"] == int(owner)
        content = json.loads(frame["message"]["content"])
        assert (content["refund_id"], content["tid"], content["mall_id"]) == (
            record["id"],
            record["order_sn"],
            int(owner),
        )
        assert {"refund_fee", "bill_type", "modified", "operation"} <= set(content)
        answer(ws, frame)
        wait_for(lambda: state_of(sim, frame["id"])["state"] == "acked")


def test_a_failed_message_is_sent_again(sim):
    drain(sim)
    owner = sim.shops[0]["owner_id"]
    record = sim.control("GET", "records", owner_id=owner)["records"][1]
    with open_socket(sim) as ws:
        pushed = sim.control(
            "POST", "push", {"owner_id": owner, "refund_id": record["id"], "type": "pdd_refund_RefundClosed"}
        )
        first = next_common(ws)
        answer(ws, first, "Fail", failReason="database busy")
        wait_for(lambda: state_of(sim, pushed["message_id"])["fail_reason"] == "database busy")
        again = next_common(ws)
        assert again["id"] == first["id"]
        answer(ws, again)
        wait_for(lambda: state_of(sim, pushed["message_id"])["state"] == "acked")
        assert state_of(sim, pushed["message_id"])["attempts"] == 2


def test_the_server_sends_heartbeats(sim):
    with open_socket(sim) as ws:
        deadline = time.monotonic() + 3
        while True:
            frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame["commandType"] == "HeartBeat":
                assert {"time", "sendTime"} <= set(frame)
                break
            answer(ws, frame)


def test_changes_to_a_permitted_shop_are_pushed_and_other_shops_stay_quiet(sim):
    drain(sim)
    quiet = sim.shops[1]
    record = sim.control("GET", "records", owner_id=quiet["owner_id"])["records"][0]
    refused = requests.post(
        sim.base + "/_sim/push", json={"owner_id": quiet["owner_id"], "refund_id": record["id"]}, timeout=10
    )
    assert refused.status_code == 409
    with open_socket(sim) as ws:
        sim.control("POST", "mutate", {"count": 3, "owner_id": quiet["owner_id"]})
        changed = sim.control("POST", "mutate", {"count": 3, "owner_id": sim.shops[0]["owner_id"]})["changed"]
        frames = [next_common(ws) for _ in changed]
        pushed_ids = {json.loads(f["message"]["content"])["refund_id"] for f in frames}
        assert pushed_ids == {r["id"] for r in changed}
        assert all(f["message"]["type"].startswith("pdd_refund_") for f in frames)
        for frame in frames:
            answer(ws, frame)


def read_until_closed(ws: ClientConnection) -> None:
    while True:
        ws.recv(timeout=5)


def test_unacknowledged_messages_survive_a_dropped_connection(sim):
    drain(sim)
    owner = sim.shops[0]["owner_id"]
    with open_socket(sim) as ws:
        added = sim.control("POST", "records", {"owner_id": owner, "count": 1})["records"][0]
        frame = next_common(ws)
        assert frame["message"]["type"] == "pdd_refund_RefundCreated"
        assert sim.control("POST", "disconnect")["dropped"] == 1
        with pytest.raises(ConnectionClosed):
            read_until_closed(ws)
    assert state_of(sim, frame["id"])["state"] == "sent"
    with open_socket(sim) as again:
        frame = next_common(again)
        assert json.loads(frame["message"]["content"])["refund_id"] == added["id"]
        answer(again, frame)
        wait_for(lambda: state_of(sim, frame["id"])["state"] == "acked")


def test_a_merchants_agreement_is_pushed_as_refund_agree_agreement(sim):
    drain(sim)
    owner = sim.shops[0]["owner_id"]
    record = next(r for r in sim.control("GET", "records", owner_id=owner)["records"] if r["status"] in (2, 3))
    with open_socket(sim) as ws:
        request = {"after_sales_id": record["id"], "order_sn": record["order_sn"]}
        assert sim.call("pdd.refund.agree", shop=0, request=request)["response"]["result"]["succ"] is True
        frame = next_common(ws)
        assert frame["message"]["type"] == "pdd_refund_RefundAgreeAgreement"
        assert json.loads(frame["message"]["content"])["refund_id"] == record["id"]
        answer(ws, frame)
