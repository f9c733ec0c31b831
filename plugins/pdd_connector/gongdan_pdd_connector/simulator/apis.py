"""The simulated business APIs: each takes the checked call and returns the success payload.

The gateway (`gateway.py`) has already checked the public parameters, the signature, the
token and the rate limits; `Call.shop` is the token's shop (None for app-level APIs). A
handler raises `GatewayError` for bad parameters; business refusals (a record in the wrong
state, an unknown address) come back inside the response, as the platform's write-backs do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import protocol
from . import views
from .clock import china_time
from .params import GatewayError, integer, json_object, text
from .world import Shop, Token, World

HISTORY_SECONDS = protocol.HISTORY_DAYS * 86400


@dataclass
class Call:
    """One checked API call."""

    world: World
    params: dict[str, str]
    shop: Shop | None = None

    @property
    def the_shop(self) -> Shop:
        """The token's shop (every API needing a grant has one)."""
        assert self.shop is not None
        return self.shop


def _window(call: Call) -> tuple[int, int]:
    start = integer(call.params, "start_updated_at") or 0
    end = integer(call.params, "end_updated_at") or 0
    if end < start:
        raise GatewayError(10000, "end_updated_at不能早于start_updated_at")
    if end - start > protocol.MAX_WINDOW_SECONDS:
        raise GatewayError(10000, "查询时间范围不能超过30分钟")
    if start < call.world.clock.seconds() - HISTORY_SECONDS:
        raise GatewayError(10000, f"只能查询最近{protocol.HISTORY_DAYS}天的数据")
    return start, end


def _page(call: Call) -> tuple[int, int]:
    page = integer(call.params, "page", required=False, low=1) or 1
    page_size = integer(call.params, "page_size", required=False, low=1) or protocol.MAX_PAGE_SIZE
    if page_size > protocol.MAX_PAGE_SIZE:
        raise GatewayError(10000, f"page_size不能超过{protocol.MAX_PAGE_SIZE}")
    return page, page_size


def refund_list(call: Call) -> dict[str, Any]:
    """`pdd.refund.list.increment.get`: a window's records, newest first, one page."""
    status = integer(call.params, "after_sales_status", low=0)
    list_type = integer(call.params, "after_sales_type", low=1, high=6)
    start, end = _window(call)
    page, page_size = _page(call)
    order_sn = text(call.params, "order_sn", required=False)
    shop = call.the_shop
    found = [
        r
        for r in shop.refunds_between(start, end)
        if (status == 1 or r.status == status)
        and (list_type == 1 or r.kind == (list_type or 1) - 1)
        and (order_sn is None or r.order_sn == order_sn)
    ]
    chunk = found[(page - 1) * page_size : page * page_size]
    return {
        "total_count": len(found),
        "refund_list": [views.refund_list_item(r, shop.orders[r.order_sn]) for r in chunk],
    }


def refund_information(call: Call) -> dict[str, Any]:
    """`pdd.refund.information.get`: one record in full (flat, amounts in fen)."""
    order_sn = text(call.params, "order_sn")
    after_sales_id = integer(call.params, "after_sales_id", required=False)
    shop = call.the_shop
    candidates = [shop.refunds[rid] for rid in shop.order_refunds.get(order_sn or "", ())]
    if after_sales_id is not None:
        candidates = [r for r in candidates if r.id == after_sales_id]
    if not candidates:
        raise GatewayError(50001, "售后单不存在")
    refund = max(candidates, key=lambda r: (r.updated, r.id))
    return views.refund_detail(refund, shop.orders[refund.order_sn])


def order_information(call: Call) -> dict[str, Any]:
    """`pdd.order.information.get`: the order, receiver fields as ciphertext with masks."""
    order = call.the_shop.orders.get(text(call.params, "order_sn") or "")
    if order is None:
        raise GatewayError(50001, "订单不存在")
    return {"order_info": views.order_info(order)}


def order_increment(call: Call) -> dict[str, Any]:
    """`pdd.order.number.list.increment.get`: orders updated in a window, newest first."""
    order_status = integer(call.params, "order_status", low=1, high=5)
    refund_status = integer(call.params, "refund_status", low=1, high=5)
    start, end = _window(call)
    page, page_size = _page(call)
    found = [
        o
        for o in call.the_shop.orders_between(start, end)
        if (order_status == 5 or o.order_status == order_status)
        and (refund_status == 5 or o.refund_status == refund_status)
    ]
    chunk = found[(page - 1) * page_size : page * page_size]
    body: dict[str, Any] = {"total_count": len(found), "order_sn_list": [views.order_info(o) for o in chunk]}
    if call.params.get("use_has_next") == "true":
        body["has_next"] = page < math.ceil(len(found) / page_size)
    else:
        body["has_next"] = False
    return body


def _request_record(call: Call) -> tuple[dict[str, Any], Any]:
    request = json_object(call.params, "request")
    for name in ("after_sales_id", "order_sn"):
        if request.get(name) in (None, ""):
            raise GatewayError(10000, f"缺少必填参数:request.{name}")
    refund = call.the_shop.refunds.get(_as_int(request["after_sales_id"]))
    if refund is not None and refund.order_sn != str(request["order_sn"]):
        refund = None
    return request, refund


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise GatewayError(10000, "参数after_sales_id必须是整数") from None


def refund_agree(call: Call) -> dict[str, Any]:
    """`pdd.refund.agree`: agree to a refund the merchant must act on (status 2 or 3 → 4)."""
    request, refund = _request_record(call)
    result = {"after_sales_id": _as_int(request["after_sales_id"]), "order_sn": request["order_sn"]}
    if refund is None:
        return {"result": result | {"succ": False, "message": "售后单不存在"}}
    if refund.status not in (2, 3):
        return {"result": result | {"succ": False, "message": "当前售后状态不允许同意退款"}}
    call.world.act(call.the_shop, refund, 4)
    return {"result": result | {"succ": True, "message": "同意退款成功"}}


def returngoods_agree(call: Call) -> dict[str, Any]:
    """`pdd.refund.returngoods.agree`: agree to a return to one of the shop's addresses (3 → 7)."""
    request, refund = _request_record(call)
    if request.get("return_address_id") in (None, ""):
        raise GatewayError(10000, "缺少必填参数:request.return_address_id")
    result = {"after_sales_id": _as_int(request["after_sales_id"]), "order_sn": request["order_sn"]}
    addresses = {str(a["refund_address_id"]) for a in call.the_shop.addresses}
    if refund is None:
        failure = "售后单不存在"
    elif str(request["return_address_id"]) not in addresses:
        failure = "退货地址不存在"
    elif refund.status != 3:
        failure = "当前售后状态不允许同意退货"
    else:
        call.world.act(call.the_shop, refund, 7)
        return {"success": True, "error_code": 0, "error_msg": "", "result": result}
    return {"success": False, "error_code": 50001, "error_msg": failure, "result": result}


def address_list(call: Call) -> dict[str, Any]:
    """`pdd.refund.address.list.get`: the shop's return addresses."""
    return {"refund_address_list": [dict(a) for a in call.the_shop.addresses]}


def order_note(call: Call) -> dict[str, Any]:
    """`pdd.order.note.update`: the merchant's note (and flag) on an order."""
    order_sn = text(call.params, "order_sn")
    note = text(call.params, "note", max_length=1000)
    tag = integer(call.params, "tag", required=False, low=1, high=5)
    tag_name = text(call.params, "tag_name", required=False) or ""
    shop = call.the_shop
    order = shop.orders.get(order_sn or "")
    if order is None:
        return {"success": False, "error_code": 50001, "error_msg": "订单不存在"}

    def apply() -> None:
        order.remark, order.remark_tag, order.remark_tag_name = note or "", tag, tag_name

    call.world.touch_order(shop, order, apply)
    return {"success": True, "error_code": 0, "error_msg": ""}


def _token_body(world: World, token: Token) -> dict[str, Any]:
    now = world.clock.seconds()
    return {
        "access_token": token.access_token,
        "expires_in": token.expires_at - now,
        "expires_at": token.expires_at,
        "refresh_token": token.refresh_token,
        "refresh_token_expires_in": token.refresh_expires_at - now,
        "refresh_token_expires_at": token.refresh_expires_at,
        "owner_id": token.owner_id,
        "owner_name": world.shops[token.owner_id].owner_name,
        "scope": list(token.scope),
    }


def token_create(call: Call) -> dict[str, Any]:
    """`pdd.pop.auth.token.create`: exchange an authorisation code (valid 10 minutes) for tokens."""
    code = text(call.params, "code")
    owner_id, expires = call.world.auth_codes.pop(code or "", ("", 0))
    if not owner_id or expires < call.world.clock.seconds():
        raise GatewayError(10000, "code无效或已过期")
    return _token_body(call.world, call.world.issue_token(owner_id))


def token_refresh(call: Call) -> dict[str, Any]:
    """`pdd.pop.auth.token.refresh`: a new access and refresh token for a valid refresh token."""
    world = call.world
    old = world.refresh_tokens.get(text(call.params, "refresh_token") or "")
    if old is None or old.refresh_expires_at < world.clock.seconds():
        raise GatewayError(20032, "refresh_token无效或已过期，请重新授权")
    return _token_body(world, world.issue_token(old.owner_id))


def pmc_permit(call: Call) -> dict[str, Any]:
    """`pdd.pmc.user.permit`: open the shop for push messages."""
    call.the_shop.permitted = True
    return {"is_success": True}


def time_get(call: Call) -> dict[str, Any]:
    """`pdd.time.get`: the gateway's clock (Beijing time)."""
    return {"time": china_time(call.world.clock.now())}


# API name -> (handler, needs the shop's access_token)
HANDLERS: dict[str, tuple[Callable[[Call], dict[str, Any]], bool]] = {
    "pdd.time.get": (time_get, False),
    "pdd.pop.auth.token.create": (token_create, False),
    "pdd.pop.auth.token.refresh": (token_refresh, False),
    "pdd.refund.list.increment.get": (refund_list, True),
    "pdd.refund.information.get": (refund_information, True),
    "pdd.order.information.get": (order_information, True),
    "pdd.order.number.list.increment.get": (order_increment, True),
    "pdd.refund.agree": (refund_agree, True),
    "pdd.refund.returngoods.agree": (returngoods_agree, True),
    "pdd.refund.address.list.get": (address_list, True),
    "pdd.order.note.update": (order_note, True),
    "pdd.pmc.user.permit": (pmc_permit, True),
}
