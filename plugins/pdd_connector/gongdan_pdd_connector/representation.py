"""The connector's block in the ticket representation (`"pdd_connector": {...}`)."""

from __future__ import annotations

from typing import Any

from gongdan.models import Tenant
from gongdan.queries import Placeholders, ShapedQuery
from gongdan.representation import iso
from gongdan_pdd_connector.mapping import KIND_LABELS, STATUS_LABELS
from gongdan_pdd_connector.models import PddRefund, PddShop


def _refunds(p: Placeholders, count: int) -> Any:
    """The refunds of `count` tickets with their shop."""
    wanted = [p(f"id{n}") for n in range(count)]
    return (
        PddRefund.select(PddRefund, PddShop)
        .join(PddShop)
        .where((PddRefund.tenant == p("tenant")) & PddRefund.ticket.in_(wanted))
    )


REFUNDS = ShapedQuery(_refunds)


def ticket_blocks(tenant: Tenant, tickets: list[Any]) -> dict[int, dict[str, Any]]:
    """`{ticket_id: block}` for the page's tickets that came from Pinduoduo (one statement,
    compiled once per number of such tickets)."""
    ids = sorted({t.id for t in tickets if t.external_system == "pdd"})
    if not ids:
        return {}
    rows = REFUNDS.rows((len(ids),), {"tenant": tenant.id} | {f"id{n}": i for n, i in enumerate(ids)})
    return {
        row.ticket_id: {
            "after_sales_id": row.after_sales_id,
            "order_sn": row.order_sn,
            "status": row.status,
            "status_label": STATUS_LABELS.get(row.status, str(row.status)),
            "kind": row.kind,
            "kind_label": KIND_LABELS.get(row.kind, row.kind),
            "refund_amount": row.record.get("refund_amount"),
            "expire_time": iso(row.expire_time),
            "updated_time": iso(row.updated_time),
            "shop": {"id": row.shop_id, "owner_id": row.shop.owner_id, "owner_name": row.shop.owner_name},
        }
        for row in rows
    }
