"""The gateway simulator over real HTTP: every rule a client must follow, checked with requests
signed by hand from the platform's documentation (not with the code under test)."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
import requests
from gongdan_pdd_connector import protocol
from gongdan_pdd_connector.simulator.gateway import RateLimiter
from gongdan_pdd_connector.simulator.process import SimulatorProcess

CLIENT_ID, SECRET = "gongdan-sim-client", "gongdan-sim-secret"
ALL = {"after_sales_status": 1, "after_sales_type": 1}
YUAN = re.compile(r"^\d+\.\d\d$")
ENVELOPE_KEYS = {"error_code", "error_msg", "sub_code", "sub_msg", "request_id"}


def reference_sign(params: dict[str, str], secret: str) -> str:
    """The documented algorithm, written out: sorted key+value pairs between the secret, MD5, upper hex."""
    body = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")
    return hashlib.md5(f"{secret}{body}{secret}".encode()).hexdigest().upper()


class Client:
    """A hand-rolled gateway client: form-encoded POSTs signed with `reference_sign`."""

    def __init__(self, sim: SimulatorProcess, secret: str = SECRET, client_id: str = CLIENT_ID) -> None:
        self.sim, self.secret, self.client_id, self.session = sim, secret, client_id, requests.Session()

    def params(self, api: str, token: str | None = None, **params: Any) -> dict[str, str]:
        """Every parameter of a call, stringified as sent, signed."""
        sent = {"type": api, "client_id": self.client_id, "timestamp": str(int(time.time() + self.sim.clock_offset))}
        if token:
            sent["access_token"] = token
        sent |= {k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for k, v in params.items()}
        sent["sign"] = reference_sign(sent, self.secret)
        return sent

    def post(self, sent: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        """POST already-built parameters form-encoded (or as given by kwargs)."""
        response = self.session.post(self.sim.url, **(kwargs or {"data": sent}), timeout=30)
        assert response.status_code == 200
        return response.json()

    def call(self, api: str, token: str | None = None, **params: Any) -> dict[str, Any]:
        """Sign and send one call."""
        return self.post(self.params(api, token, **params))


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    """The error envelope, checked for its exact shape."""
    assert set(body) == {"error_response"}, body
    error = body["error_response"]
    assert set(error) == ENVELOPE_KEYS
    assert isinstance(error["error_code"], int)
    return error


@pytest.fixture(scope="module")
def sim():
    with SimulatorProcess(2, 120, 11, "--no-rate-limit") as process:
        yield process


@pytest.fixture
def gw(sim):
    yield Client(sim)
    sim.set_clock(0)
    sim.control("POST", "faults", {})


@pytest.fixture
def token(sim):
    return sim.shops[0]["access_token"]


@pytest.fixture
def owner(sim):
    return sim.shops[0]["owner_id"]


def truth(sim, owner_id: str) -> list[dict[str, Any]]:
    return sim.control("GET", "records", owner_id=owner_id)["records"]


def window_list(gw: Client, token: str, start: int, end: int, **params: Any) -> dict[str, Any]:
    return gw.call("pdd.refund.list.increment.get", token, start_updated_at=start, end_updated_at=end, **ALL | params)


def test_signing_matches_the_official_worked_example():
    params = {
        "access_token": "asd78172s8ds9a921j9qqwda12312w1w21211",
        "client_id": "1",
        "data_type": "XML",
        "order_status": "1",
        "page": "1",
        "page_size": "10",
        "timestamp": "1480411125",
        "type": "pdd.order.number.list.get",
    }
    assert reference_sign(params, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"
    assert protocol.sign(params, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"


def test_start_prints_one_json_line_per_shop(sim):
    assert len(sim.shops) == 2
    for line in sim.shops:
        assert set(line) == {"owner_id", "owner_name", "access_token", "refresh_token"}
        assert line["owner_id"].isdigit()
        assert re.search(r"[\u4e00-\u9fff]", line["owner_name"])
    assert len({line["access_token"] for line in sim.shops}) == 2


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(sim):
    with SimulatorProcess(2, 120, 11, "--no-rate-limit") as same, SimulatorProcess(2, 120, 12) as other:
        assert same.shops == sim.shops
        assert other.shops != sim.shops
        ids = [r["id"] for r in truth(same, same.shops[1]["owner_id"])]
        assert ids == [r["id"] for r in truth(sim, sim.shops[1]["owner_id"])]


def test_time_get_answers_the_gateway_clock_in_beijing_time(gw):
    body = gw.call("pdd.time.get")
    stamp = body["time_get_response"]["time"]
    expected = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() + 8 * 3600))
    assert stamp.startswith(expected[:13])


@pytest.mark.parametrize("name", ["type", "client_id", "timestamp", "sign"])
def test_a_missing_public_parameter_is_10001_naming_it(gw, name):
    sent = gw.params("pdd.time.get")
    del sent[name]
    if name != "sign":
        sent["sign"] = reference_sign(sent, SECRET)
    error = error_of(gw.post(sent))
    assert error["error_code"] == 10001
    assert error["error_msg"] == f"公共参数错误:{name}"


def test_bad_data_type_version_or_unknown_api_are_public_parameter_errors(gw, token):
    assert error_of(gw.call("pdd.time.get", data_type="json"))["error_msg"] == "公共参数错误:data_type"
    assert error_of(gw.call("pdd.time.get", version="V2"))["error_msg"] == "公共参数错误:version"
    assert error_of(gw.call("pdd.no.such.api", token))["error_msg"] == "公共参数错误:type"
    assert "time_get_response" in gw.call("pdd.time.get", data_type="JSON", version="V1")


def test_a_wrong_signature_is_20004(gw):
    sent = gw.params("pdd.time.get")
    for bad in (sent["sign"].lower(), reference_sign(sent, "not-the-secret"), "0" * 32):
        assert error_of(gw.post(sent | {"sign": bad}))["error_code"] == 20004
    tampered = sent | {"timestamp": str(int(sent["timestamp"]) - 1)}
    assert error_of(gw.post(tampered))["error_code"] == 20004


def test_an_unknown_client_id_is_10016(gw):
    sent = gw.params("pdd.time.get") | {"client_id": "someone-else"}
    sent["sign"] = reference_sign(sent, SECRET)
    assert error_of(gw.post(sent))["error_code"] == 10016


def test_the_timestamp_must_be_within_ten_minutes_of_the_gateway_clock(gw, sim, token):
    def at(offset: int) -> dict[str, Any]:
        sent = gw.params("pdd.refund.address.list.get", token)
        sent["timestamp"] = str(int(time.time()) + offset)
        sent["sign"] = reference_sign(sent, SECRET)
        return gw.post(sent)

    for offset in (-660, 660):
        error = error_of(at(offset))
        assert (error["error_code"], error["error_msg"]) == (10001, "公共参数错误:timestamp")
    assert "refund_address_list_get_response" in at(-540)
    assert "refund_address_list_get_response" in at(540)
    millis = gw.params("pdd.refund.address.list.get", token) | {"timestamp": str(int(time.time() * 1000))}
    millis["sign"] = reference_sign(millis, SECRET)
    assert error_of(gw.post(millis))["error_msg"] == "公共参数错误:timestamp"
    # The gateway's clock, not ours, decides; pdd.time.get works with any timestamp so a client can resync.
    sim.set_clock(3600)
    sent = gw.params("pdd.time.get") | {"timestamp": str(int(time.time()))}
    sent["sign"] = reference_sign(sent, SECRET)
    assert "time_get_response" in gw.post(sent)
    assert "refund_address_list_get_response" in gw.call("pdd.refund.address.list.get", token)


def test_form_multipart_and_json_bodies_are_all_accepted(gw, token):
    now = int(time.time())
    sent = gw.params("pdd.refund.list.increment.get", token, start_updated_at=now - 1800, end_updated_at=now, **ALL)
    form = gw.post(sent)
    multipart = gw.post(sent, files={k: (None, v) for k, v in sent.items()})
    as_json = gw.post(sent, json=sent)
    assert form == multipart == as_json
    assert "refund_increment_get_response" in form


def test_xml_is_answered_in_xml(gw, token):
    now = int(time.time())
    window = {"start_updated_at": now - 1800, "end_updated_at": now, **ALL}
    as_json = gw.call("pdd.refund.list.increment.get", token, **window)["refund_increment_get_response"]
    sent = gw.params("pdd.refund.list.increment.get", token, data_type="XML", **window)
    response = gw.session.post(gw.sim.url, data=sent, timeout=30)
    assert response.headers["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "refund_increment_get_response"
    assert int(root.findtext("total_count")) == as_json["total_count"]
    assert [int(i.findtext("id")) for i in root.find("refund_list")] == [i["id"] for i in as_json["refund_list"]]
    sent["sign"] = "0" * 32
    error = ElementTree.fromstring(gw.session.post(gw.sim.url, data=sent, timeout=30).content)
    assert (error.tag, error.findtext("error_code")) == ("error_response", "20004")


def test_tokens_are_checked_expire_and_refresh(gw, sim, token):
    assert error_of(gw.call("pdd.refund.address.list.get"))["error_msg"] == "公共参数错误:access_token"
    assert error_of(gw.call("pdd.refund.address.list.get", "f" * 32))["error_code"] == 10019
    sim.set_clock(86400 + 60)  # the default lifetime is a day
    assert error_of(gw.call("pdd.refund.address.list.get", token))["error_code"] == 10019
    refreshed = gw.call("pdd.pop.auth.token.refresh", refresh_token=sim.shops[0]["refresh_token"])
    grant = refreshed["pop_auth_token_refresh_response"]
    assert grant["owner_id"] == sim.shops[0]["owner_id"]
    assert grant["owner_name"] == sim.shops[0]["owner_name"]
    assert grant["expires_in"] == 86400
    assert grant["expires_at"] > time.time() + 86400
    assert {"refresh_token", "refresh_token_expires_in", "refresh_token_expires_at", "scope"} <= set(grant)
    assert "refund_address_list_get_response" in gw.call("pdd.refund.address.list.get", grant["access_token"])
    sim.set_clock(40 * 86400)  # past the refresh token's 30 days: the shop must authorise again
    assert error_of(gw.call("pdd.pop.auth.token.refresh", refresh_token=grant["refresh_token"]))["error_code"] == 20032


def test_an_authorisation_code_is_exchanged_once_for_tokens(gw, sim, owner):
    code = sim.control("POST", "auth_code", {"owner_id": owner})["code"]
    grant = gw.call("pdd.pop.auth.token.create", code=code)["pop_auth_token_create_response"]
    assert grant["owner_id"] == owner
    assert "refund_address_list_get_response" in gw.call("pdd.refund.address.list.get", grant["access_token"])
    assert error_of(gw.call("pdd.pop.auth.token.create", code=code))["error_code"] == 10000


def test_the_window_is_at_most_30_minutes_and_90_days_back(gw, token):
    now = int(time.time())
    error = error_of(window_list(gw, token, now - 1801, now))
    assert (error["error_code"], error["error_msg"]) == (10000, "参数错误")
    assert "30" in error["sub_msg"]
    assert "refund_increment_get_response" in window_list(gw, token, now - 1800, now)
    old = now - 91 * 86400
    assert "90" in error_of(window_list(gw, token, old, old + 600))["sub_msg"]
    assert error_of(window_list(gw, token, now, now - 60))["error_code"] == 10000
    missing = gw.call("pdd.refund.list.increment.get", token, start_updated_at=now - 60, end_updated_at=now)
    assert "after_sales_status" in error_of(missing)["sub_msg"]


def test_page_size_is_at_most_100(gw, token):
    now = int(time.time())
    assert "page_size" in error_of(window_list(gw, token, now - 600, now, page_size=101))["sub_msg"]
    assert error_of(window_list(gw, token, now - 600, now, page=0))["error_code"] == 10000
    assert "refund_increment_get_response" in window_list(gw, token, now - 600, now, page_size=100)


def test_a_seven_day_backfill_finds_every_record_newest_first(gw, sim, token, owner):
    now = int(time.time())
    seen: dict[int, dict[str, Any]] = {}
    for start in range(now - 7 * 86400, now, 1800):
        body = window_list(gw, token, start, start + 1800, page_size=100)["refund_increment_get_response"]
        assert set(body) == {"total_count", "refund_list"}
        assert body["total_count"] == len(body["refund_list"])
        stamps = [(item["updated_time"], item["id"]) for item in body["refund_list"]]
        assert stamps == sorted(stamps, reverse=True)
        seen |= {item["id"]: item for item in body["refund_list"]}
    expected = {r["id"]: r for r in truth(sim, owner)}
    assert set(seen) == set(expected)
    assert len(expected) >= 120
    for record_id, item in seen.items():
        assert item["after_sales_status"] == expected[record_id]["status"]
        assert item["updated_time"] == expected[record_id]["updated_time"]


def test_list_items_and_details_have_the_documented_shapes_and_numbering(gw, sim, token, owner):
    records = truth(sim, owner)
    newest = max(r["updated_at"] for r in records)
    body = window_list(gw, token, newest - 1800, newest)["refund_increment_get_response"]
    item = body["refund_list"][0]
    documented = {"id", "order_sn", "after_sales_status", "after_sales_type", "after_sale_reason", "created_time"}
    documented |= {"updated_time", "confirm_time", "refund_amount", "order_amount", "discount_amount", "goods_price"}
    documented |= {"goods_id", "goods_name", "goods_number", "good_image", "sku_id", "outer_goods_id", "outer_id"}
    documented |= {"tracking_number", "shipping_name", "speed_refund_flag", "speed_refund_status"}
    documented |= {"user_shipping_status", "dispute_refund_status", "refund_operator_role"}
    assert documented <= set(item)
    for key in ("refund_amount", "order_amount", "goods_price"):
        assert YUAN.match(item[key]), item[key]
    assert 2 <= item["after_sales_type"] <= 6
    assert re.search(r"[\u4e00-\u9fff]", item["goods_name"] + item["after_sale_reason"])
    detail = gw.call("pdd.refund.information.get", token, order_sn=item["order_sn"], after_sales_id=item["id"])
    assert "error_response" not in detail
    assert {"id", "order_sn", "after_sales_status", "after_sales_type", "remark", "images", "expire_time"} <= set(
        detail
    )
    assert detail["id"] == item["id"]
    assert detail["after_sales_type"] == item["after_sales_type"] - 1
    assert detail["refund_amount"] == round(float(item["refund_amount"]) * 100)
    assert detail["order_amount"] == round(float(item["order_amount"]) * 100)
    assert isinstance(detail["images"], list)
    unknown = gw.call("pdd.refund.information.get", token, order_sn="000000-0", after_sales_id=1)
    assert error_of(unknown)["error_code"] == 50001


def test_the_list_filters_by_type_status_and_order(gw, sim, token, owner):
    records = truth(sim, owner)
    start, end = max(r["updated_at"] for r in records) - 1800, max(r["updated_at"] for r in records)
    in_window = [r for r in records if start <= r["updated_at"] <= end]
    pick = in_window[0]
    body = window_list(gw, token, start, end, after_sales_type=pick["after_sales_type"] + 1)
    items = body["refund_increment_get_response"]["refund_list"]
    assert pick["id"] in {i["id"] for i in items}
    assert {i["after_sales_type"] for i in items} == {pick["after_sales_type"] + 1}
    body = window_list(gw, token, start, end, after_sales_status=pick["status"])
    assert {i["after_sales_status"] for i in body["refund_increment_get_response"]["refund_list"]} == {pick["status"]}
    body = window_list(gw, token, start, end, order_sn=pick["order_sn"])
    assert [i["id"] for i in body["refund_increment_get_response"]["refund_list"]] == [pick["id"]]


def _read_window(gw, token, start, end, order, between=None):
    first = window_list(gw, token, start, end, page_size=50)["refund_increment_get_response"]
    pages = -(-first["total_count"] // 50)
    seen = set()
    for number, page in enumerate(range(pages, 0, -1) if order == "backward" else range(1, pages + 1)):
        body = window_list(gw, token, start, end, page=page, page_size=50)["refund_increment_get_response"]
        seen |= {item["id"] for item in body["refund_list"]}
        if number == 0 and between:
            between()
    final = window_list(gw, token, start, end, page_size=100)
    still_there = set()
    for page in range(1, pages + 2):
        body = window_list(gw, token, start, end, page=page, page_size=100)["refund_increment_get_response"]
        still_there |= {item["id"] for item in body["refund_list"]}
    assert final["refund_increment_get_response"]["total_count"] == len(still_there)
    return seen, still_there


def test_records_moving_mid_sync_shift_pages_last_to_first_reading_misses_nothing(gw, sim):
    token, owner = sim.shops[1]["access_token"], sim.shops[1]["owner_id"]
    added = sim.control("POST", "records", {"owner_id": owner, "count": 260})["records"]
    moment = added[0]["updated_at"]
    sim.set_clock(900)  # the window now lies in the past, as a sync's windows do

    def churn() -> None:
        sim.control("POST", "mutate", {"count": 120, "owner_id": owner})

    seen, still_there = _read_window(gw, token, moment - 60, moment + 60, "backward", churn)
    assert still_there <= seen
    seen, still_there = _read_window(gw, token, moment - 60, moment + 60, "forward", churn)
    assert not still_there <= seen, "reading first to last should lose records that moved up a page"


def test_order_information_masks_the_receiver(gw, sim, token, owner):
    record = truth(sim, owner)[-1]
    body = gw.call("pdd.order.information.get", token, order_sn=record["order_sn"])
    info = body["order_info_get_response"]["order_info"]
    assert info["order_sn"] == record["order_sn"]
    assert info["after_sales_status"] == record["status"]
    assert re.fullmatch(r"1\d\d\*{4}\d{4}", info["receiver_phone_mask"])
    assert info["receiver_phone"].startswith("$")
    assert info["receiver_name"].startswith("~")
    assert info["receiver_address"].startswith("~")
    assert "*" in info["receiver_name_mask"]
    assert "*" in info["receiver_address_mask"]
    digits = info["receiver_phone_mask"][-4:]
    assert digits not in json.dumps({k: v for k, v in info.items() if k != "receiver_phone_mask"})
    assert {"buyer_memo", "remark", "pay_amount", "item_list", "tracking_number", "updated_at"} <= set(info)


def test_order_increment_lists_orders_of_a_window(gw, sim, token, owner):
    records = truth(sim, owner)
    end = max(r["updated_at"] for r in records)
    params = {"order_status": 5, "refund_status": 5, "start_updated_at": end - 1800, "end_updated_at": end}
    body = gw.call("pdd.order.number.list.increment.get", token, page_size=1, use_has_next="true", **params)
    answer = body["order_sn_increment_get_response"]
    assert {"total_count", "has_next", "order_sn_list"} <= set(answer)
    assert answer["has_next"] == (answer["total_count"] > 1)
    too_long = params | {"start_updated_at": end - 3600}
    assert error_of(gw.call("pdd.order.number.list.increment.get", token, **too_long))["error_code"] == 10000


def _with_status(sim, owner, status):
    return next(r for r in truth(sim, owner) if r["status"] == status and not r["malformed"])


def test_agreeing_to_a_refund_changes_it_once(gw, sim, token, owner):
    record = _with_status(sim, owner, 2)
    request = {"after_sales_id": record["id"], "order_sn": record["order_sn"], "operate_desc": "同意退款"}
    result = gw.call("pdd.refund.agree", token, request=request)["response"]["result"]
    assert result == {
        "after_sales_id": record["id"],
        "order_sn": record["order_sn"],
        "message": "同意退款成功",
        "succ": True,
    }
    after = next(r for r in truth(sim, owner) if r["id"] == record["id"])
    assert after["status"] == 4
    assert after["updated_at"] >= int(time.time()) - 2
    again = gw.call("pdd.refund.agree", token, request=request)["response"]["result"]
    assert again["succ"] is False
    missing = gw.call("pdd.refund.agree", token, request={"order_sn": record["order_sn"]})
    assert "after_sales_id" in error_of(missing)["sub_msg"]


def test_agreeing_to_a_return_needs_one_of_the_shops_addresses(gw, sim, token, owner):
    addresses = gw.call("pdd.refund.address.list.get", token)["refund_address_list_get_response"]
    address_id = addresses["refund_address_list"][0]["refund_address_id"]
    record = _with_status(sim, owner, 3)
    request = {"after_sales_id": record["id"], "order_sn": record["order_sn"], "operate_desc": "同意退货"}
    refused = gw.call("pdd.refund.returngoods.agree", token, request=request | {"return_address_id": 1})["response"]
    assert refused["success"] is False
    assert refused["error_msg"]
    done = gw.call("pdd.refund.returngoods.agree", token, request=request | {"return_address_id": address_id})
    assert done["response"]["success"] is True
    assert {"success", "error_code", "error_msg", "result"} <= set(done["response"])
    assert next(r for r in truth(sim, owner) if r["id"] == record["id"])["status"] == 7


def test_an_order_note_is_stored_and_checked(gw, sim, token, owner):
    order_sn = truth(sim, owner)[0]["order_sn"]
    body = gw.call(
        "pdd.order.note.update", token, order_sn=order_sn, note="已联系买家，同意退款", tag=2, tag_name="黄色"
    )
    assert body == {"response": {"success": True, "error_code": 0, "error_msg": ""}}
    info = gw.call("pdd.order.information.get", token, order_sn=order_sn)["order_info_get_response"]["order_info"]
    assert (info["remark"], info["remark_tag"]) == ("已联系买家，同意退款", 2)
    assert error_of(gw.call("pdd.order.note.update", token, order_sn=order_sn, note="x", tag=6))["error_code"] == 10000
    unknown = gw.call("pdd.order.note.update", token, order_sn="000000-0", note="x")
    assert unknown["response"]["success"] is False


def test_mutate_moves_records_to_now_and_ground_truth_follows(gw, sim):
    owner = sim.shops[1]["owner_id"]
    changed = sim.control("POST", "mutate", {"count": 5, "owner_id": owner})["changed"]
    assert len(changed) == 5
    after = {r["id"]: r for r in truth(sim, owner)}
    for record in changed:
        assert after[record["id"]] == record
        assert abs(record["updated_at"] - time.time()) <= 2
    stamps = [(r["updated_at"], r["id"]) for r in after.values()]
    assert stamps == sorted(stamps)  # ground truth comes oldest first


def test_malformed_records_are_listed_as_broken_and_can_be_repaired(gw, sim):
    token, owner = sim.shops[1]["access_token"], sim.shops[1]["owner_id"]
    added = sim.control("POST", "records", {"owner_id": owner, "count": 3, "malformed": True})["records"]
    assert {r["malformed"] for r in added} == {"non_numeric_status", "missing_order_sn", "unknown_status"}
    now = int(time.time())
    items = {
        i["id"]: i for i in window_list(gw, token, now - 600, now + 5)["refund_increment_get_response"]["refund_list"]
    }
    kinds = {r["malformed"]: items[r["id"]] for r in added}
    assert not isinstance(kinds["non_numeric_status"]["after_sales_status"], int)
    assert "order_sn" not in kinds["missing_order_sn"]
    assert kinds["unknown_status"]["after_sales_status"] == 99
    fixed = sim.control("POST", "repair", {"owner_id": owner, "refund_id": added[0]["id"]})
    assert fixed["malformed"] == ""
    assert isinstance(fixed["status"], int)
    with pytest.raises(requests.HTTPError):
        sim.control("POST", "records", {"owner_id": owner, "count": 1, "malformed": "nonsense"})


def test_injected_errors_hit_the_listed_apis_at_the_given_rate(gw, sim, token):
    sim.control("POST", "faults", {"error_code": 52101, "rate": 1.0, "apis": ["pdd.refund.address.list.get"]})
    error = error_of(gw.call("pdd.refund.address.list.get", token))
    assert (error["error_code"], error["error_msg"]) == (52101, "当前接口被限流，请稍后重试")
    assert "time_get_response" in gw.call("pdd.time.get")
    sim.control("POST", "faults", {"error_code": 50000, "rate": 0.3})
    answers = [gw.call("pdd.time.get") for _ in range(100)]
    failures = sum("error_response" in a for a in answers)
    assert 10 <= failures <= 50
    sim.control("POST", "faults", {})
    assert all("time_get_response" in gw.call("pdd.time.get") for _ in range(20))


def test_slow_responses_and_dropped_connections(gw, sim):
    sim.control("POST", "faults", {"slow_ms": 300, "apis": ["pdd.time.get"]})
    started = time.monotonic()
    assert "time_get_response" in gw.call("pdd.time.get")
    assert time.monotonic() - started >= 0.3
    sim.control("POST", "faults", {"drop_rate": 1.0})
    with pytest.raises(requests.ConnectionError):
        requests.post(sim.url, data=gw.params("pdd.time.get"), timeout=10)
    sim.control("POST", "faults", {"drop_rate": 0})
    assert "time_get_response" in gw.call("pdd.time.get")


def test_control_and_http_errors(gw, sim):
    assert requests.get(sim.url, timeout=10).status_code == 405
    assert requests.get(sim.base + "/nowhere", timeout=10).status_code == 404
    assert requests.post(sim.base + "/_sim/faults", json={"rate": 2}, timeout=10).status_code == 422
    assert requests.post(sim.base + "/_sim/mutate", json={"owner_id": "1"}, timeout=10).status_code == 404
    bad_json = requests.post(sim.url, data=b"{", headers={"Content-Type": "application/json"}, timeout=10)
    assert bad_json.status_code == 400


def test_the_shop_rate_limit_answers_52101_per_shop_and_api():
    with SimulatorProcess(2, 5, 3) as limited:
        gw = Client(limited)
        first, second = limited.shops[0]["access_token"], limited.shops[1]["access_token"]
        answers = [gw.call("pdd.refund.address.list.get", first) for _ in range(101)]
        assert all("refund_address_list_get_response" in a for a in answers[:100])
        error = error_of(answers[100])
        assert (error["error_code"], error["error_msg"]) == (52101, "当前接口被限流，请稍后重试")
        assert "refund_address_list_get_response" in gw.call("pdd.refund.address.list.get", second)
        assert "order_info_get_response" in gw.call(
            "pdd.order.information.get", first, order_sn=truth(limited, limited.shops[0]["owner_id"])[0]["order_sn"]
        )
        assert limited.control("GET", "stats")["error:52101"] == 1


def test_the_rate_limiter_slides_its_window():
    limiter = RateLimiter()
    assert all(limiter.allow(("shop", "api"), 3, 0.2) for _ in range(3))
    assert not limiter.allow(("shop", "api"), 3, 0.2)
    assert limiter.allow(("other", "api"), 3, 0.2)
    time.sleep(0.25)
    assert limiter.allow(("shop", "api"), 3, 0.2)


def test_the_console_script_starts_with_the_documented_defaults():
    script = Path(sys.executable).parent / "gongdan-pdd-sim"
    proc = subprocess.Popen([str(script), "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = proc.stderr.readline()
        base = banner.split("listening on ", 1)[1].strip()
        shops = [json.loads(proc.stdout.readline()) for _ in range(2)]
        listed = requests.get(base + "/_sim/shops", timeout=10).json()["shops"]
        assert [s["owner_id"] for s in listed] == [s["owner_id"] for s in shops]
        assert [s["records"] for s in listed] == [200, 200]
        sent = {"type": "pdd.time.get", "client_id": CLIENT_ID, "timestamp": str(int(time.time()))}
        sent["sign"] = reference_sign(sent, SECRET)
        assert "time_get_response" in requests.post(base + "/api/router", data=sent, timeout=10).json()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_credentials_token_lifetime_and_limits_are_configurable():
    options = {"client_id": "acme-app", "client_secret": "s3cret", "token_ttl": 60}
    with SimulatorProcess(1, 5, 3, shop_rate_limit="3/2", app_rate_limit="8/2", **options) as custom:
        gw, token = Client(custom, "s3cret", "acme-app"), custom.shops[0]["access_token"]
        assert error_of(Client(custom, SECRET, "acme-app").call("pdd.time.get"))["error_code"] == 20004
        assert error_of(Client(custom).call("pdd.time.get"))["error_code"] == 10016
        answers = [gw.call("pdd.refund.address.list.get", token) for _ in range(4)]
        assert [("error_response" in a) for a in answers] == [False, False, False, True]
        assert error_of(answers[3])["error_code"] == 52101
        codes = [
            error_of(a)["error_code"] for a in (gw.call("pdd.time.get") for _ in range(6)) if "error_response" in a
        ]
        assert 70031 in codes
        time.sleep(2.1)  # both windows slide past
        assert "refund_address_list_get_response" in gw.call("pdd.refund.address.list.get", token)
        custom.set_clock(61)
        assert error_of(gw.call("pdd.refund.address.list.get", token))["error_code"] == 10019


def _raw_exchange(sim: SimulatorProcess, payload: bytes) -> bytes:
    host, port = sim.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(payload)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received


def test_http_keep_alive_chunked_bodies_and_connection_close(gw, sim):
    body = urlencode(gw.params("pdd.time.get")).encode()
    plain = b"POST /api/router HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    keep = plain + b"Content-Length: %d\r\n\r\n" % len(body) + body
    chunked = plain + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    chunked += b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10, body[10:])
    received = _raw_exchange(sim, keep + chunked)  # two requests on one connection; the second closes it
    assert received.count(b"HTTP/1.1 200 OK") == 2
    assert received.count(b"time_get_response") == 2
    assert b"Connection: close" in received
    assert _raw_exchange(sim, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400")
