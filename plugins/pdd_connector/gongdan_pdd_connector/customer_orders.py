"""The buyer's Pinduoduo orders on the customer card (`gongdan_customer_orders`): one row per order
of the buyer's after-sales requests, from the stored records (no call to the platform)."""

from __future__ import annotations

from typing import Any

from gongdan.contributions import CustomerOrder
from gongdan.models import Ticket
from gongdan_pdd_connector.mapping import KIND_LABELS, STATUS_LABELS
from gongdan_pdd_connector.models import PddRefund

SYSTEM = "pdd"
LIMIT = 50
# the platform's after-sales statuses in English (its Chinese words are `STATUS_LABELS`)
STATUS_EN = {
    0: "no after-sales request",
    2: "refund requested, waiting for the merchant",
    3: "return and refund requested, waiting for the merchant",
    4: "merchant agreed, refunding",
    5: "platform agreed, refunding",
    6: "refund rejected, waiting for the buyer",
    7: "return agreed, waiting for the buyer to ship",
    8: "platform reviewing",
    9: "platform refused the refund, closed",
    10: "refunded",
    11: "cancelled by the buyer",
    12: "buyer did not act in time, refund failed",
    13: "buyer did not act in time, expired",
    14: "exchange or resend, waiting for the merchant",
    15: "exchange or resend, waiting for the buyer",
    16: "exchanged or resent",
    17: "exchange or resend failed",
    18: "exchange or resend, waiting for the buyer to confirm",
    21: "repair requested, waiting for the merchant",
    22: "repair, waiting for the buyer to ship",
    23: "being repaired",
    24: "repair closed",
    25: "repaired",
    27: "waiting for the buyer to confirm receipt",
    31: "refusal of delivery agreed, waiting for the buyer",
    32: "resend, waiting for the merchant to ship",
    33: "recall agreed, waiting for the merchant to recall",
}


def orders_of(tenant: Any, customer: Any) -> list[CustomerOrder]:
    """The customer's orders, newest request first, one row per order (its latest request)."""
    if customer is None:
        return []
    rows = (
        PddRefund.select(PddRefund, Ticket.id)
        .join(Ticket, on=(PddRefund.ticket == Ticket.id))
        .where((PddRefund.tenant == tenant) & (Ticket.tenant == tenant) & (Ticket.customer == customer.id))
        .order_by(PddRefund.updated_time.desc(), PddRefund.id.desc())
        .limit(LIMIT)
    )
    found: dict[str, CustomerOrder] = {}
    for row in rows:
        if row.order_sn in found:
            continue
        record = row.record or {}
        goods = record.get("goods_name") or ""
        count = record.get("goods_number")
        kind = KIND_LABELS.get(row.kind, row.kind)
        title = f"{goods} × {count}" if goods and count else goods or kind
        amount = record.get("order_amount") or record.get("refund_amount")
        found[row.order_sn] = CustomerOrder(
            system=SYSTEM,
            order_id=row.order_sn,
            title=title,
            status_zh=f"{kind} · {STATUS_LABELS.get(row.status, str(row.status))}",
            status_en=STATUS_EN.get(row.status, str(row.status)),
            amount=f"¥{amount}" if amount else None,
            at=row.updated_time,
            ticket_id=row.ticket_id,
        )
    return list(found.values())
