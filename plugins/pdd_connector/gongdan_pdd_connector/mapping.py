"""From an after-sales record (list item and detail) to a ticket: status, priority, category, tags.

`normalize` checks a raw record and returns the connector's own flat shape (or raises
`Malformed` with the reason, and the record goes to quarantine). `ticket_fields` maps that
shape to ticket fields using the tenant's settings (see `settings.PddSettingsSchema`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from gongdan_pdd_connector import protocol
from gongdan_pdd_connector.client import parse_time

STATUS_LABELS = protocol.AFTER_SALES_STATUS
MERCHANT_TO_ACT = protocol.MERCHANT_TO_ACT
DONE = frozenset({0, 9, 10, 11, 12, 13, 16, 17, 24, 25})
DEFAULT_STATUS_MAP: dict[int, str] = {
    code: "open" if code in MERCHANT_TO_ACT else "resolved" if code in DONE else "pending" for code in STATUS_LABELS
}
KIND_LABELS = {
    "refund_only": "仅退款",
    "return_refund": "退货退款",
    "exchange": "换货",
    "resend": "补寄",
    "repair": "维修",
}
DEFAULT_CATEGORIES = {kind: f"售后/{label}" for kind, label in KIND_LABELS.items()}
DEFAULT_PRIORITIES = {"refund_only": "normal", "return_refund": "normal", "exchange": "normal", "resend": "high"}
PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
CHINA_TZ = ZoneInfo("Asia/Shanghai")
PLATFORM_TAG, SPEED_TAG, DISPUTE_TAG = "拼多多", "极速退款", "平台介入"


class Malformed(ValueError):
    """A record the connector cannot store as it is; the message is the quarantine reason.

    `problem` and `field` say what is wrong in words the console translates
    (`errors.describe_problem`); `code` is the gateway's error code when the details could
    not be read (`problem` 'detail').
    """

    def __init__(self, message: str, problem: str = "", field: str = "", code: int | None = None) -> None:
        super().__init__(message)
        self.problem, self.field, self.code = problem, field, code


def _int(record: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise Malformed(f"{key} is missing", "missing", key)
        return None
    if isinstance(value, bool):
        raise Malformed(f"{key} is not a number: {value!r}", "not_number", key)
    try:
        return int(str(value).strip())
    except ValueError:
        raise Malformed(f"{key} is not a number: {value!r}", "not_number", key) from None


def _time(record: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    try:
        parsed = parse_time(record.get(key))
    except ValueError:
        raise Malformed(f"{key} is not a time: {record.get(key)!r}", "not_time", key) from None
    if parsed is None and required:
        raise Malformed(f"{key} is missing", "missing", key)
    return parsed.isoformat() if parsed else None


def _yuan(value: Any, *, fen: bool) -> str | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Malformed(f"amount is not a number: {value!r}", "not_number", "amount") from None
    if fen:
        amount = amount / 100
    return f"{amount:.2f}"


def normalize(item: dict[str, Any] | None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """One record from a list item and/or its detail, checked; Malformed says what is wrong.

    The detail wins where both speak (it is read later), except for the type, whose numbering
    differs: the list's `after_sales_type` counts "all" as 1, the detail's does not.
    """
    item, detail = item or {}, detail or {}
    if not item and not detail:
        raise Malformed("empty record", "empty")
    source = {**item, **detail}
    after_sales_id = source.get("id") or source.get("after_sales_id")
    if after_sales_id in (None, ""):
        raise Malformed("id (after-sales id) is missing", "missing", "id")
    order_sn = str(source.get("order_sn") or "").strip()
    if not order_sn:
        raise Malformed("order_sn is missing", "missing", "order_sn")
    status = _int(source, "after_sales_status")
    if status not in STATUS_LABELS:
        raise Malformed(f"unknown after_sales_status {status}", "unknown_status", "after_sales_status")
    kind = None
    if detail.get("after_sales_type") not in (None, ""):
        kind = protocol.DETAIL_AFTER_SALES_TYPES.get(_int(detail, "after_sales_type"))
    elif item.get("after_sales_type") not in (None, ""):
        kind = protocol.LIST_AFTER_SALES_TYPES.get(_int(item, "after_sales_type"))
        kind = None if kind == "all" else kind
    if kind is None:
        raise Malformed(
            f"unknown after_sales_type {source.get('after_sales_type')!r}", "unknown_type", "after_sales_type"
        )
    refund = _yuan(item.get("refund_amount"), fen=False) or _yuan(detail.get("refund_amount"), fen=True)
    order_amount = _yuan(item.get("order_amount"), fen=False) or _yuan(detail.get("order_amount"), fen=True)
    images = detail.get("images") or []
    if not isinstance(images, list):
        raise Malformed("images is not a list", "not_list", "images")
    return {
        "after_sales_id": str(after_sales_id),
        "order_sn": order_sn,
        "status": status,
        "kind": kind,
        "reason": str(detail.get("after_sales_reason") or item.get("after_sale_reason") or "").strip(),
        "remark": str(detail.get("remark") or "").strip(),
        "images": [str(url) for url in images],
        "refund_amount": refund,
        "order_amount": order_amount,
        "goods_name": str(source.get("goods_name") or "").strip(),
        "goods_number": source.get("goods_number"),
        "goods_image": source.get("good_image") or source.get("goods_image") or "",
        "tracking_number": str(source.get("tracking_number") or detail.get("express_no") or ""),
        "shipping_name": str(source.get("shipping_name") or ""),
        "speed_refund": str(source.get("speed_refund_flag") or "0") == "1",
        "dispute": str(source.get("dispute_refund_status") or "0") not in ("0", ""),
        "created_time": _time(source, "created_time"),
        "updated_time": _time(source, "updated_time", required=True),
        "expire_time": _time(detail, "expire_time"),
        "has_detail": bool(detail),
        "buyer_uid": str(source.get("buyer_uid") or "").strip(),
        "buyer_name_mask": str(source.get("buyer_name_mask") or "").strip(),
    }


def ticket_status(record: dict[str, Any], settings: dict[str, Any]) -> str:
    """The ticket status the record's after-sales status asks for (`open`, `pending`, `resolved`)."""
    overrides = {int(k): v for k, v in settings.get("status_map", {}).items()}
    return {**DEFAULT_STATUS_MAP, **overrides}[record["status"]]


def priority(record: dict[str, Any], settings: dict[str, Any], now: datetime) -> str:
    """Priority: the type's base, raised for big amounts, platform disputes and near deadlines."""
    base = {**DEFAULT_PRIORITIES, **settings.get("priorities", {})}.get(record["kind"], "normal")
    rank = PRIORITY_RANK[base]
    waiting_for_us = record["status"] in MERCHANT_TO_ACT
    amount = Decimal(record["refund_amount"] or "0")
    if waiting_for_us and amount >= Decimal(str(settings.get("high_amount_yuan", 300.0))):
        rank = max(rank, PRIORITY_RANK["high"])
    if record["status"] == 8 or record["dispute"]:
        rank = max(rank, PRIORITY_RANK["high"])
    expire = record.get("expire_time")
    if waiting_for_us and expire:
        left = datetime.fromisoformat(expire) - now
        if left <= timedelta(hours=float(settings.get("urgent_hours", 12.0))):
            rank = PRIORITY_RANK["urgent"]
    return next(name for name, value in PRIORITY_RANK.items() if value == rank)


REMARK_PREFIX = "买家说明："


def category_path(record: dict[str, Any], settings: dict[str, Any]) -> str:
    """The category path of the record's type (e.g. 售后/仅退款), per the tenant's overrides."""
    return {**DEFAULT_CATEGORIES, **settings.get("categories", {})}[record["kind"]]


def tags(record: dict[str, Any], settings: dict[str, Any]) -> list[str]:
    """The tags the connector puts on the ticket (it leaves agents' own tags alone)."""
    out = [PLATFORM_TAG, KIND_LABELS[record["kind"]]]
    if record["speed_refund"]:
        out.append(SPEED_TAG)
    if record["status"] == 8 or record["dispute"]:
        out.append(DISPUTE_TAG)
    out.extend(settings.get("extra_tags", []))
    return list(dict.fromkeys(tag[:50] for tag in out))


def customer(record: dict[str, Any]) -> dict[str, Any] | None:
    """The buyer as the ticket's customer: known by the platform's buyer id, named only as the
    platform masks it (`张*`), never with contact details. None when the record has no buyer id."""
    uid = record.get("buyer_uid")
    if not uid:
        return None
    return {"external_id": uid, "name": record.get("buyer_name_mask") or f"{PLATFORM_TAG}买家 {uid[:6]}…"}


def subject(record: dict[str, Any]) -> str:
    """`仅退款｜<goods>｜<reason>`, at most 200 characters."""
    parts = [KIND_LABELS[record["kind"]], record["goods_name"] or f"订单 {record['order_sn']}"]
    if record["reason"]:
        parts.append(record["reason"])
    return "｜".join(parts)[:200]


def problem_text(ticket: Any) -> str:
    """What a Pinduoduo ticket asks, for knowledge suggestions: the request's type and reason
    (the subject without the goods name) and the buyer's words, never the product's name."""
    parts = ticket.subject.split("｜")
    lines = (ticket.description or "").splitlines()
    said = [line.removeprefix(REMARK_PREFIX) for line in lines if line.startswith(REMARK_PREFIX)]
    return " ".join([parts[0], *parts[2:], *said])


def description(record: dict[str, Any], shop_name: str) -> str:
    """What an agent reads first: the buyer's words, then the facts of the request."""
    lines = []
    if record["remark"]:
        lines += [f"{REMARK_PREFIX}{record['remark']}", ""]
    lines.append(f"售后类型：{KIND_LABELS[record['kind']]}　状态：{STATUS_LABELS[record['status']]}")
    if record["reason"]:
        lines.append(f"售后原因：{record['reason']}")
    if record["refund_amount"]:
        total = f"（订单金额 ¥{record['order_amount']}）" if record["order_amount"] else ""
        lines.append(f"退款金额：¥{record['refund_amount']}{total}")
    if record["goods_name"]:
        count = f" × {record['goods_number']}" if record["goods_number"] else ""
        lines.append(f"商品：{record['goods_name']}{count}")
    lines.append(f"店铺：{shop_name}　订单号：{record['order_sn']}　售后单号：{record['after_sales_id']}")
    if record["tracking_number"]:
        lines.append(f"退货物流：{record['shipping_name']} {record['tracking_number']}".rstrip())
    if record["expire_time"] and record["status"] in MERCHANT_TO_ACT:
        due = datetime.fromisoformat(record["expire_time"]).astimezone(CHINA_TZ)
        lines.append(f"处理截止：{due:%Y-%m-%d %H:%M}")
    for url in record["images"]:
        lines.append(f"图片：{url}")
    return "\n".join(lines)
