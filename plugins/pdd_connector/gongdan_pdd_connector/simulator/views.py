"""Records and orders in the exact shapes the platform's APIs answer with.

The list API (`pdd.refund.list.increment.get`) writes amounts as yuan strings and numbers
`after_sales_type` like its request (2 refund only … 6 repair); the detail API
(`pdd.refund.information.get`) writes integer fen and numbers types 1 refund only … 5 repair.
"""

from __future__ import annotations

from typing import Any

from . import data
from .clock import china_time
from .records import Order, Refund


def refund_list_item(refund: Refund, order: Order) -> dict[str, Any]:
    """One item of `refund_increment_get_response.refund_list` (built once per version of the record;
    callers must not change it)."""
    version = (refund.updated, refund.status, refund.malformed, refund.operator_role, refund.tracking_number)
    cached = refund.list_view
    if cached is None or cached[0] != version:
        cached = refund.list_view = (version, _list_item(refund, order))
    return cached[1]


def _list_item(refund: Refund, order: Order) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": refund.id,
        "order_sn": refund.order_sn,
        "after_sales_status": refund.status,
        "after_sales_type": refund.kind + 1,
        "after_sale_reason": refund.reason,
        "created_time": china_time(refund.created),
        "updated_time": china_time(refund.updated),
        "confirm_time": china_time(refund.confirm),
        "refund_amount": data.yuan(refund.refund_amount),
        "order_amount": data.yuan(order.pay_amount),
        "discount_amount": "0.00",
        "goods_price": data.yuan(order.goods_price),
        "goods_id": order.goods_id,
        "goods_name": order.goods_name,
        "goods_number": order.goods_count,
        "good_image": f"https://img.pddpic.com/gaudit-image/{order.goods_id}.jpeg",
        "sku_id": order.sku_id,
        "outer_goods_id": f"G{order.goods_id % 100000}",
        "outer_id": order.outer_id,
        "tracking_number": refund.tracking_number,
        "shipping_name": refund.shipping_name,
        "speed_refund_flag": 0,
        "speed_refund_status": "",
        "user_shipping_status": "1" if refund.tracking_number else "0",
        "dispute_refund_status": 0,
        "refund_operator_role": refund.operator_role,
        "buyer_uid": data.buyer_uid(order.receiver_phone),
        "buyer_name_mask": data.mask_name(order.receiver_name),
    }
    if refund.malformed == "missing_order_sn":
        del item["order_sn"]
    return item


def refund_detail(refund: Refund, order: Order) -> dict[str, Any]:
    """The flat body of `pdd.refund.information.get`."""
    return {
        "id": refund.id,
        "order_sn": refund.order_sn,
        "after_sales_status": refund.status,
        "after_sales_type": refund.kind,
        "after_sales_reason": refund.reason,
        "remark": refund.remark,
        "images": list(refund.images),
        "refund_amount": refund.refund_amount,
        "goods_price": order.goods_price,
        "order_amount": order.pay_amount,
        "discount_amount": 0,
        "goods_id": order.goods_id,
        "goods_name": order.goods_name,
        "goods_number": order.goods_count,
        "goods_image": f"https://img.pddpic.com/gaudit-image/{order.goods_id}.jpeg",
        "sku_id": order.sku_id,
        "express_no": refund.tracking_number,
        "shipping_name": refund.shipping_name,
        "created_time": china_time(refund.created),
        "updated_time": china_time(refund.updated),
        "confirm_time": china_time(refund.confirm),
        "expire_time": china_time(refund.expire_time),
        "refund_operator_role": refund.operator_role,
        "user_shipping_status": "1" if refund.tracking_number else "0",
    }


def order_info(order: Order) -> dict[str, Any]:
    """`order_info_get_response.order_info` (also the items of the order increment list)."""
    full_address = order.province + order.city + order.town + order.address
    return {
        "order_sn": order.order_sn,
        "order_status": order.order_status,
        "refund_status": order.refund_status,
        "after_sales_status": order.after_sales_status,
        "confirm_status": 1,
        "buyer_memo": order.buyer_memo,
        "remark": order.remark,
        "remark_tag": order.remark_tag,
        "remark_tag_name": order.remark_tag_name,
        "goods_amount": float(data.yuan(order.pay_amount)),
        "pay_amount": float(data.yuan(order.pay_amount)),
        "discount_amount": 0.0,
        "postage": 0.0,
        "item_list": [
            {
                "goods_id": order.goods_id,
                "goods_name": order.goods_name,
                "goods_price": float(data.yuan(order.goods_price)),
                "goods_count": order.goods_count,
                "sku_id": order.sku_id,
                "outer_id": order.outer_id,
                "goods_img": f"https://img.pddpic.com/gaudit-image/{order.goods_id}.jpeg",
            }
        ],
        "tracking_number": order.tracking_number,
        "shipping_name": order.shipping_name,
        "created_time": china_time(order.created),
        "confirm_time": china_time(order.created + 60),
        "updated_at": china_time(order.updated),
        "province": order.province,
        "city": order.city,
        "town": order.town,
        "receiver_name": data.ciphertext(order.order_sn, order.receiver_name),
        "receiver_name_mask": data.mask_name(order.receiver_name),
        "receiver_phone": data.ciphertext(order.order_sn, order.receiver_phone, "$"),
        "receiver_phone_mask": data.mask_phone(order.receiver_phone),
        "receiver_address": data.ciphertext(order.order_sn, full_address),
        "receiver_address_mask": order.province + order.city + order.town + "*" * max(4, len(full_address) // 4),
        "address": data.ciphertext(order.order_sn, order.address),
        "address_mask": order.province + order.city + order.town + "****",
    }
