"""Normalising records and mapping them to ticket fields (pure functions, no gateway)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from gongdan_pdd_connector import mapping
from gongdan_pdd_connector.client import parse_time

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def _item(**overrides):
    item = {
        "id": 10060000001,
        "order_sn": "261102-123456789012345",
        "after_sales_status": 2,
        "after_sales_type": 2,  # list numbering: 2 = refund only
        "after_sale_reason": "不喜欢/不想要",
        "updated_time": "2026-11-02 10:00:00",
        "refund_amount": "59.90",
        "order_amount": "59.90",
        "goods_name": "加厚羽绒服",
        "goods_number": 1,
    }
    return {**item, **overrides}


def _detail(**overrides):
    detail = {
        "id": 10060000001,
        "order_sn": "261102-123456789012345",
        "after_sales_status": 2,
        "after_sales_type": 1,  # detail numbering: 1 = refund only
        "after_sales_reason": "不喜欢/不想要",
        "remark": "衣服有色差，想退款",
        "images": ["https://img.example/1.jpg"],
        "refund_amount": 5990,
        "updated_time": "2026-11-02 10:00:00",
        "expire_time": "2026-11-04 10:00:00",
    }
    return {**detail, **overrides}


def test_platform_times_are_china_time():
    assert parse_time("2026-11-02 10:00:00") == datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    assert parse_time(1793584800) == datetime.fromtimestamp(1793584800, UTC)
    assert parse_time(1793584800000) == datetime.fromtimestamp(1793584800, UTC)
    assert parse_time("") is None


def test_list_and_detail_type_numbering_agree():
    assert mapping.normalize(_item())["kind"] == "refund_only"
    assert mapping.normalize(None, _detail())["kind"] == "refund_only"
    both = mapping.normalize(_item(), _detail())
    assert both["kind"] == "refund_only"
    assert both["remark"] == "衣服有色差，想退款"
    assert both["refund_amount"] == "59.90"
    assert mapping.normalize(None, _detail(refund_amount=12345))["refund_amount"] == "123.45"
    assert both["updated_time"] == "2026-11-02T02:00:00+00:00"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"order_sn": ""}, "order_sn is missing"),
        ({"id": None}, "id (after-sales id) is missing"),
        ({"after_sales_status": "abc"}, "not a number"),
        ({"after_sales_status": 99}, "unknown after_sales_status 99"),
        ({"after_sales_type": 1}, "unknown after_sales_type"),
        ({"updated_time": "yesterday"}, "updated_time is not a time"),
        ({"refund_amount": "12,5"}, "amount is not a number"),
    ],
)
def test_malformed_records_say_why(change, reason):
    with pytest.raises(mapping.Malformed, match=re.escape(reason)):
        mapping.normalize(_item(**change))


def test_status_priority_category_and_tags():
    conf = {"high_amount_yuan": 300.0, "urgent_hours": 12.0}
    record = mapping.normalize(_item(), _detail())
    assert mapping.ticket_status(record, conf) == "open"
    assert mapping.priority(record, conf, NOW) == "normal"
    assert mapping.category_path(record, conf) == "售后/仅退款"
    assert mapping.tags(record, conf) == ["拼多多", "仅退款"]
    assert mapping.subject(record) == "仅退款｜加厚羽绒服｜不喜欢/不想要"
    assert "衣服有色差" in mapping.description(record, "Acme 旗舰店")

    near = mapping.normalize(_item(), _detail(expire_time="2026-11-02 15:00:00"))
    assert mapping.priority(near, conf, NOW) == "urgent"
    big = mapping.normalize(_item(refund_amount="899.00"), _detail())
    assert mapping.priority(big, conf, NOW) == "high"
    disputed = mapping.normalize(_item(after_sales_status=8, dispute_refund_status=1))
    assert mapping.ticket_status(disputed, conf) == "pending"
    assert mapping.priority(disputed, conf, NOW) == "high"
    assert "平台介入" in mapping.tags(disputed, conf)
    done = mapping.normalize(_item(after_sales_status=10))
    assert mapping.ticket_status(done, conf) == "resolved"
    assert mapping.ticket_status(done, {"status_map": {"10": "pending"}}) == "pending"
    resend = mapping.normalize(_item(after_sales_type=5))
    assert mapping.category_path(resend, {"categories": {"resend": "售后/补寄/少件漏发"}}) == "售后/补寄/少件漏发"
    assert mapping.priority(resend, conf, NOW) == "high"
    assert mapping.priority(resend, {"priorities": {"resend": "low"}}, NOW + timedelta(days=5)) == "low"
