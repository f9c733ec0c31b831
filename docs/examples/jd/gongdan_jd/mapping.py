"""A JD after-sales service order (服务单) → the ticket service's create payload (pure functions).

JD's fields: `afsServiceId`, `orderId`, `customerPin` (the buyer's account), `customerName`,
`questionTypeCode` (10 退货 return, 20 换货 exchange, 30 维修 repair), `questionDesc` (the buyer's
words), `applyAmount` (yuan), `afsServiceStep` (where JD's process is) and `updateTime`.
"""

from __future__ import annotations

from typing import Any

from .gateway import parse_jd_time
from .settings import NAME

QUESTION_TYPES = {
    "10": ("退货", "售后/退货退款/退货"),
    "20": ("换货", "售后/换货/换货"),
    "30": ("维修", "售后/维修/维修"),
}
OTHER = ("其他", "售后/其他/其他")
# JD's step → (its name, the ticket status the merchant's work is in)
STEPS = {
    "10": ("申请中", "open"),
    "21": ("客服审核", "open"),
    "31": ("待收货", "pending"),
    "40": ("处理中", "open"),
    "20": ("审核不通过", "resolved"),
    "50": ("已完成", "resolved"),
    "60": ("已取消", "resolved"),
}
HIGH_AMOUNT = 500


class Malformed(ValueError):
    """A record that cannot become a ticket; the reason says why, for a person to act on."""


def target_status(record: dict[str, Any]) -> str:
    """The ticket status JD's step calls for."""
    return STEPS.get(str(record.get("afsServiceStep")), ("", "open"))[1]


def updated_at(record: dict[str, Any]) -> Any:
    """The record's `updateTime` as an aware datetime (the version `read_backwards` keeps)."""
    return parse_jd_time(record["updateTime"])


def to_ticket(record: dict[str, Any]) -> dict[str, Any]:
    """The `tickets.create` payload of `record` (see gongdan's docs/ticket-service.md).

    A second create with the same `external_ref` updates the ticket: subject, priority and tags
    are replaced, the customer is never updated (the sync keeps agents' edits first).
    """
    for needed in ("afsServiceId", "customerPin", "updateTime"):
        if record.get(needed) in (None, ""):
            raise Malformed(f"the service order has no {needed}")
    service_id, pin = str(record["afsServiceId"]), str(record["customerPin"])
    try:
        parse_jd_time(str(record["updateTime"]))
    except ValueError:
        raise Malformed(f"updateTime {record.get('updateTime')!r} is not yyyy-MM-dd HH:mm:ss") from None
    kind, category = QUESTION_TYPES.get(str(record.get("questionTypeCode")), OTHER)
    step = STEPS.get(str(record.get("afsServiceStep")), (str(record.get("afsServiceStep")), ""))[0]
    words = str(record.get("questionDesc") or "").strip()
    amount = float(record.get("applyAmount") or 0)
    return {
        "subject": f"京东{kind} {service_id}: {words or kind}"[:200],
        "description": f"订单 {record.get('orderId', '')}，申请金额 ¥{amount:.2f}。\n{words}".strip(),
        "channel": NAME,
        "priority": "high" if amount >= HIGH_AMOUNT else "normal",
        "category": category,
        "tags": [kind, step],
        "customer": {"name": str(record.get("customerName") or pin), "external_id": pin},
        "external_ref": {"system": NAME, "id": service_id},
    }
