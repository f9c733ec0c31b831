"""Gateway errors and the checks on a business parameter (the `10000 参数错误` family)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class GatewayError(Exception):
    """An error the gateway answers with `error_response`.

    `detail` is appended to the code's documented message (`公共参数错误:timestamp`);
    `sub_msg` says what exactly was wrong.
    """

    def __init__(self, code: int, sub_msg: str = "", detail: str = "") -> None:
        super().__init__(f"{code} {detail} {sub_msg}".strip())
        self.code, self.sub_msg, self.detail = code, sub_msg, detail


def public_error(name: str, sub_msg: str = "") -> GatewayError:
    """`10001 公共参数错误:<name>`."""
    return GatewayError(10001, sub_msg or f"{name}参数缺失或不合法", detail=name)


def text(params: Mapping[str, str], name: str, required: bool = True, max_length: int = 0) -> str | None:
    """A string parameter; missing and required → 10000."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise GatewayError(10000, f"缺少必填参数:{name}")
        return None
    if max_length and len(value) > max_length:
        raise GatewayError(10000, f"参数{name}长度不能超过{max_length}")
    return value


def integer(
    params: Mapping[str, str], name: str, required: bool = True, low: int | None = None, high: int | None = None
) -> int | None:
    """An integer parameter within [low, high]; missing and required, or not a number → 10000."""
    raw = text(params, name, required)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise GatewayError(10000, f"参数{name}必须是整数") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise GatewayError(10000, f"参数{name}取值不合法:{value}")
    return value


def json_object(params: Mapping[str, str], name: str) -> dict[str, Any]:
    """A parameter holding a JSON object (sent serialised, e.g. the write-backs' `request`)."""
    raw = text(params, name)
    try:
        value = json.loads(raw or "")
    except ValueError:
        raise GatewayError(10000, f"参数{name}不是合法的JSON") from None
    if not isinstance(value, dict):
        raise GatewayError(10000, f"参数{name}必须是JSON对象")
    return value
