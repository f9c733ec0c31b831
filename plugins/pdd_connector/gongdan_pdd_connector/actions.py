"""What an agent does on the platform from a ticket: agree to a refund or a return, note the order.

Each action calls the gateway for the ticket's shop and records the outcome on the ticket as an
event (`pdd_connector.refund_agreed`, `pdd_connector.return_agreed`, `pdd_connector.order_noted`,
or `pdd_connector.action_failed` with the platform's error), then re-reads the record so the
ticket follows the platform. The order is shown with masked receiver fields only.
"""

from __future__ import annotations

import contextlib
from typing import Any

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.errors import Conflict, NotFound, ValidationError
from gongdan.models import Tenant, Ticket
from gongdan_pdd_connector import shops, sync
from gongdan_pdd_connector.client import GatewayError, PddClient
from gongdan_pdd_connector.models import PddRefund

# order fields safe to show; every `*_mask` field is shown too, ciphertext never
ORDER_FIELDS = (
    "order_sn",
    "order_status",
    "refund_status",
    "after_sales_status",
    "buyer_memo",
    "remark",
    "remark_tag",
    "remark_tag_name",
    "goods_amount",
    "pay_amount",
    "discount_amount",
    "postage",
    "tracking_number",
    "shipping_name",
    "created_time",
    "confirm_time",
    "updated_at",
    "province",
    "city",
    "town",
)
ITEM_FIELDS = ("goods_id", "goods_name", "goods_price", "goods_count", "sku_id", "outer_id", "goods_img")


class ActionFailed(Conflict):
    """The platform refused an action (the event on the ticket holds its error)."""


def refund_of(tenant: Tenant, ticket: Ticket) -> PddRefund:
    """The after-sales record behind `ticket`; NotFound when the ticket did not come from Pinduoduo."""
    row = PddRefund.get_or_none((PddRefund.tenant == tenant) & (PddRefund.ticket == ticket))
    if row is None:
        raise NotFound("this ticket has no Pinduoduo after-sales record")
    return row


def _client(refund: PddRefund) -> PddClient:
    return shops.client_for(refund.shop)


def _failed(tenant: Tenant, ticket: Ticket, action: str, actor: Actor, error: dict[str, Any]) -> ActionFailed:
    tickets.record_event(tenant, ticket, "pdd_connector.action_failed", {"action": action, "error": error}, actor)
    return ActionFailed(f"Pinduoduo refused {action}: [{error.get('code')}] {error.get('message')}")


def _call(tenant: Tenant, ticket: Ticket, action: str, actor: Actor, api: str, params: dict[str, Any]) -> dict:
    refund = refund_of(tenant, ticket)
    try:
        return _client(refund).call(api, params)
    except GatewayError as error:
        raise _failed(tenant, ticket, action, actor, error.as_dict()) from None


def _reread(tenant: Tenant, refund: PddRefund) -> None:
    with contextlib.suppress(GatewayError):  # if it fails, the next sync brings the new status
        sync.reread(tenant, refund.shop, refund.order_sn, refund.after_sales_id)


def agree_refund(tenant: Tenant, ticket: Ticket, actor: Actor, note: str = "") -> dict[str, Any]:
    """Agree to the buyer's refund (`pdd.refund.agree`); returns the platform's result."""
    refund = refund_of(tenant, ticket)
    request = {"after_sales_id": int(refund.after_sales_id), "order_sn": refund.order_sn, "operate_desc": note or None}
    request = {k: v for k, v in request.items() if v is not None}
    body = _call(tenant, ticket, "agree_refund", actor, "pdd.refund.agree", {"request": request})
    result = body.get("result") or {}
    if not result.get("succ"):
        error = {"code": result.get("error_code"), "message": result.get("message") or "not accepted"}
        raise _failed(tenant, ticket, "agree_refund", actor, error)
    data = {"after_sales_id": refund.after_sales_id, "order_sn": refund.order_sn, "note": note, "result": result}
    tickets.record_event(tenant, ticket, "pdd_connector.refund_agreed", data, actor)
    _reread(tenant, refund)
    return result


def addresses(tenant: Tenant, ticket: Ticket) -> list[dict[str, Any]]:
    """The shop's return addresses (`pdd.refund.address.list.get`)."""
    refund = refund_of(tenant, ticket)
    body = _client(refund).call("pdd.refund.address.list.get", {})
    return list(body.get("refund_address_list") or [])


def agree_return(tenant: Tenant, ticket: Ticket, actor: Actor, address_id: int | str, note: str = "") -> dict:
    """Agree to a return to one of the shop's return addresses (`pdd.refund.returngoods.agree`)."""
    refund = refund_of(tenant, ticket)
    known = {str(a.get("refund_address_id")): a for a in addresses(tenant, ticket)}
    if str(address_id) not in known:
        problem = {"address_id": [f"the shop has no return address {address_id}"]}
        raise ValidationError("unknown return address", problem)
    request = {
        "after_sales_id": int(refund.after_sales_id),
        "order_sn": refund.order_sn,
        "operate_desc": note or "同意退货",
        "return_address_id": int(address_id),
    }
    body = _call(tenant, ticket, "agree_return", actor, "pdd.refund.returngoods.agree", {"request": request})
    if not body.get("success", False):
        error = {"code": body.get("error_code"), "message": body.get("error_msg") or "not accepted"}
        raise _failed(tenant, ticket, "agree_return", actor, error)
    data = {"after_sales_id": refund.after_sales_id, "address": known[str(address_id)], "note": note}
    tickets.record_event(tenant, ticket, "pdd_connector.return_agreed", {**data, "result": body.get("result")}, actor)
    _reread(tenant, refund)
    return body.get("result") or {}


def order_note(
    tenant: Tenant, ticket: Ticket, actor: Actor, note: str, tag: int | None = None, tag_name: str = ""
) -> None:
    """Write the merchant's note on the order (`pdd.order.note.update`)."""
    refund = refund_of(tenant, ticket)
    params = {"order_sn": refund.order_sn, "note": note, "tag": tag, "tag_name": tag_name or None}
    body = _call(tenant, ticket, "order_note", actor, "pdd.order.note.update", params)
    if not body.get("success", False):
        error = {"code": body.get("error_code"), "message": body.get("error_msg") or "not accepted"}
        raise _failed(tenant, ticket, "order_note", actor, error)
    data = {"order_sn": refund.order_sn, "note": note, "tag": tag, "tag_name": tag_name}
    tickets.record_event(tenant, ticket, "pdd_connector.order_noted", data, actor)


def masked_order(order: dict[str, Any]) -> dict[str, Any]:
    """The order with safe fields and `*_mask` receiver fields only (never ciphertext)."""
    out = {key: order[key] for key in ORDER_FIELDS if key in order}
    out.update({key: value for key, value in order.items() if key.endswith("_mask")})
    out["item_list"] = [{k: item[k] for k in ITEM_FIELDS if k in item} for item in order.get("item_list") or []]
    return out


def order(tenant: Tenant, ticket: Ticket) -> dict[str, Any]:
    """The order behind the ticket (`pdd.order.information.get`), masked."""
    refund = refund_of(tenant, ticket)
    body = _client(refund).call("pdd.order.information.get", {"order_sn": refund.order_sn})
    return masked_order(body.get("order_info") or {})
