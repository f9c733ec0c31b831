"""The Pinduoduo Open Platform's wire protocol, shared by the client and the simulator.

Everything here follows the platform's API guide (see docs/pdd-connector.md): the MD5 request
signature, how parameter values are serialised before signing, the per-API success keys, the
error codes and what a client does about each, the published rate limits and the message
service's digest. Nothing here does I/O.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

GATEWAY_URL = "https://gw-api.pinduoduo.com/api/router"
MESSAGE_URL = "wss://message-api.pinduoduo.com"
ROUTER_PATH = "/api/router"

TIMESTAMP_TOLERANCE_SECONDS = 600  # the gateway refuses a timestamp more than 10 minutes off
MAX_WINDOW_SECONDS = 30 * 60  # pdd.refund.list.increment.get: start..end at most 30 minutes
MAX_PAGE_SIZE = 100
HISTORY_DAYS = 90  # only the last 90 days can be queried

# Per shop and per API: at most `calls` calls in any `seconds` (the published limit of
# pdd.refund.list.increment.get, applied to every API), and per app (client id) overall.
DEFAULT_SHOP_RATE_LIMIT: tuple[int, float] = (100, 10.0)
SHOP_RATE_LIMITS: dict[str, tuple[int, float]] = {
    "pdd.refund.list.increment.get": (100, 10.0),
}
APP_RATE_LIMIT: tuple[int, float] = (500, 1.0)

# API name -> the key of its success envelope (None: the fields are at the top level).
RESPONSE_KEYS: dict[str, str | None] = {
    "pdd.refund.list.increment.get": "refund_increment_get_response",
    "pdd.refund.information.get": None,
    "pdd.order.number.list.increment.get": "order_sn_increment_get_response",
    "pdd.order.information.get": "order_info_get_response",
    "pdd.order.list.get": "order_list_get_response",
    "pdd.refund.agree": "response",
    "pdd.refund.returngoods.agree": "response",
    "pdd.refund.exchange.shipping": "response",
    "pdd.order.note.update": "response",
    "pdd.refund.status.check": "refund_status_check_response",
    "pdd.refund.address.list.get": "refund_address_list_get_response",
    "pdd.pop.auth.token.create": "pop_auth_token_create_response",
    "pdd.pop.auth.token.refresh": "pop_auth_token_refresh_response",
    "pdd.pmc.user.permit": "pmc_user_permit_response",
    "pdd.pmc.user.get": "pmc_user_get_response",
    "pdd.time.get": "time_get_response",
}
ERROR_KEY = "error_response"

# APIs that need no shop grant (no access_token).
APP_LEVEL_APIS = frozenset({"pdd.time.get", "pdd.pop.auth.token.create", "pdd.pop.auth.token.refresh"})


@dataclass(frozen=True)
class ErrorCode:
    """One documented gateway error and what a client does about it.

    `action` is one of: `fail` (no retry), `resync_clock` (fail; re-read the gateway clock),
    `refresh_token` (refresh the access token, retry once), `reauthorize` (the shop must grant
    again), `retry` (back off and retry), `admin` (fail and tell the admin what to fix).
    """

    code: int
    message: str
    action: str
    hint: str = ""


ERROR_CODES: dict[int, ErrorCode] = {
    e.code: e
    for e in (
        ErrorCode(10000, "参数错误", "fail"),
        ErrorCode(10001, "公共参数错误", "resync_clock"),
        ErrorCode(10016, "client下线或者clientId不正确", "admin", "check the app's client id"),
        ErrorCode(10019, "access_token已过期", "refresh_token"),
        ErrorCode(20004, "签名验证失败", "fail", "the request signature is wrong: check the client secret"),
        ErrorCode(20005, "ip无权访问接口，请加入ip白名单", "admin", "add this server's IP to the app's IP whitelist"),
        ErrorCode(20031, "用户没有授权访问此接口", "admin", "the app lacks the permission package for this API"),
        ErrorCode(20032, "access_token或client_id错误", "reauthorize", "the shop must authorise the app again"),
        ErrorCode(50000, "系统内部错误", "retry"),
        ErrorCode(50001, "业务服务错误", "fail"),
        ErrorCode(50002, "业务系统内部异常", "retry"),
        ErrorCode(52101, "当前接口被限流，请稍后重试", "retry"),
        ErrorCode(52102, "当前接口暂时不可用", "retry"),
        ErrorCode(52103, "服务暂时不可用", "retry"),
        ErrorCode(70031, "调用过于频繁，请调整调用频率", "retry"),
        ErrorCode(70036, "应用处于测试状态，调用次数被限制", "admin", "the app is in test mode: publish it"),
    )
}
RETRYABLE_CODES = frozenset(c for c, e in ERROR_CODES.items() if e.action == "retry")

# after_sales_type numbering differs between the list request and the detail response.
LIST_AFTER_SALES_TYPES = {1: "all", 2: "refund_only", 3: "return_refund", 4: "exchange", 5: "resend", 6: "repair"}
DETAIL_AFTER_SALES_TYPES = {1: "refund_only", 2: "return_refund", 3: "exchange", 4: "resend", 5: "repair"}

REFUND_TOPICS = frozenset(
    {
        "pdd_refund_RefundCreated",
        "pdd_refund_RefundAgreeAgreement",
        "pdd_refund_RefundClosed",
        "pdd_refund_RefundBuyerModifyAgreement",
        "pdd_refund_RefundBuyerReturnGoods",
        "pdd_refund_RefundCreateMessage",
    }
)


def serialize(value: Any) -> str | None:
    """A parameter value as it is signed and sent: objects and arrays as compact JSON.

    Booleans become `true`/`false`; None means "leave the parameter out".
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def prepare(params: Mapping[str, Any]) -> dict[str, str]:
    """Every parameter serialised (see `serialize`), None values left out."""
    out = {}
    for key, value in params.items():
        text = serialize(value)
        if text is not None:
            out[key] = text
    return out


def sign(params: Mapping[str, Any], secret: str) -> str:
    """The request signature: MD5 of secret + sorted key/value pairs + secret, hex, upper case.

    Every parameter except `sign` takes part, serialised as it is sent.
    """
    pairs = sorted((k, v) for k, v in prepare(params).items() if k != "sign")
    text = secret + "".join(k + v for k, v in pairs) + secret
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the platform's algorithm


def message_digest(client_id: str, ts_ms: int | str, secret: str) -> str:
    """The message service's digest: base64 of the lower-case hex MD5 of id + ms + secret."""
    hexdigest = hashlib.md5(f"{client_id}{ts_ms}{secret}".encode()).hexdigest()  # noqa: S324
    return base64.b64encode(hexdigest.encode("ascii")).decode("ascii")


def error_body(code: int, message: str | None = None, sub_msg: str = "", request_id: str = "") -> dict[str, Any]:
    """The gateway's error envelope for `code` (the simulator answers with it)."""
    known = ERROR_CODES.get(code)
    return {
        ERROR_KEY: {
            "error_code": code,
            "error_msg": message or (known.message if known else "未知错误"),
            "sub_code": None,
            "sub_msg": sub_msg,
            "request_id": request_id,
        }
    }


def shop_rate_limit(api: str) -> tuple[int, float]:
    """The published per-shop limit of `api`: `(calls, seconds)`."""
    return SHOP_RATE_LIMITS.get(api, DEFAULT_SHOP_RATE_LIMIT)


# `after_sales_status`, shared by orders and after-sales (the reference's list)
AFTER_SALES_STATUS: dict[int, str] = {
    0: "无售后",
    2: "买家申请退款，待商家处理",
    3: "退货退款，待商家处理",
    4: "商家同意退款，退款中",
    5: "平台同意退款，退款中",
    6: "驳回退款，待买家处理",
    7: "已同意退货退款，待买家发货",
    8: "平台处理中",
    9: "平台拒绝退款，退款关闭",
    10: "退款成功",
    11: "买家撤销",
    12: "买家逾期未处理，退款失败",
    13: "买家逾期，超过有效期",
    14: "换货补寄待商家处理",
    15: "换货补寄待用户处理",
    16: "换货补寄成功",
    17: "换货补寄失败",
    18: "换货补寄待用户确认完成",
    21: "待商家同意维修",
    22: "待用户确认发货",
    23: "维修处理中",
    24: "维修关闭",
    25: "维修成功",
    27: "待用户确认收货",
    31: "已同意拒收退款，待用户拒收",
    32: "补寄待商家发货",
    33: "同意召回后退款，待商家召回",
}
# statuses in which the merchant must act before `expire_time`
MERCHANT_TO_ACT = frozenset({2, 3, 14, 21, 32, 33})
# statuses in which the platform accepts `pdd.refund.agree` / `pdd.refund.returngoods.agree`
REFUND_AGREEABLE = frozenset({2, 3})
RETURN_AGREEABLE = frozenset({3})
