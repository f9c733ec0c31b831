"""API error messages in the caller's language.

Services raise their errors in English (`gongdan.errors`); when a request's `Accept-Language`
prefers Chinese, `in_callers_language` rewrites the envelope's `message` and each field's reasons:
marshmallow's standard reasons and the services' common shapes ("no such ticket", "unknown
team", "invalid rule", lengths and ranges) word by word, anything else as the error code's general
sentence — never English with a Chinese reader, and never a Python value. The English text stays
under `detail` (and the fields' under `fields_detail`) so an integrator can still search the logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import has_request_context, request

# the error code's general sentence: what a Chinese reader sees when a message has no wording here
BY_CODE = {
    "bad_request": "请求格式不正确。",
    "unauthorized": "需要登录或有效的访问令牌。",
    "forbidden": "你没有执行此操作的权限。",
    "not_found": "找不到要访问的内容，或它不在你的租户中。",
    "method_not_allowed": "此地址不支持该请求方法。",
    "conflict": "操作与当前状态冲突，请刷新后重试。",
    "invalid_transition": "工单当前状态不允许此操作。",
    "payload_too_large": "上传的内容太大。",
    "unsupported_media_type": "不支持该内容类型。",
    "validation_error": "部分字段未通过校验，见各字段的原因。",
    "rate_limited": "请求过于频繁，请稍后再试。",
    "internal_error": "服务器出现意外错误，已记录。",
    "plugin_failed": "插件执行出错，已记录；其他功能不受影响，请稍后重试或联系管理员。",
}
FIELD_FALLBACK = "此值不被接受。"

# what the services name, in Chinese ("no such <noun>", "unknown <noun>", "invalid <noun>")
NOUNS = {
    "agent": "客服",
    "approval": "审批",
    "article": "文章",
    "attachment": "附件",
    "calendar": "日历",
    "category": "分类",
    "comment": "评论",
    "conditions": "条件",
    "actions": "动作",
    "customer": "客户",
    "delivery": "投递记录",
    "knowledge base": "知识库",
    "kind": "类型",
    "leave": "请假",
    "macro": "宏",
    "mailbox": "邮箱",
    "merge": "合并记录",
    "notification": "通知",
    "order": "顺序",
    "period": "时间段",
    "plugin": "插件",
    "policy": "策略",
    "region": "地区",
    "request": "请求",
    "role": "角色",
    "rule": "规则",
    "scheduled report": "定时报表",
    "shift": "班次",
    "shop": "店铺",
    "subscription": "订阅",
    "team": "团队",
    "tenant": "租户",
    "ticket": "工单",
    "ticket action": "工单动作",
    "time zone": "时区",
    "token": "访问令牌",
    "trigger": "触发器",
    "user": "用户",
    "view": "视图",
    "webhook": "Webhook",
}
_NOUN = "|".join(sorted((re.escape(noun) for noun in NOUNS), key=len, reverse=True))


def _noun(match: re.Match[str]) -> str:
    return NOUNS[match.group("noun")]


Wording = Callable[[re.Match[str]], str]
PATTERNS: list[tuple[re.Pattern[str], Wording]] = [
    (re.compile(rf"^no such (?P<noun>{_NOUN})\b"), lambda m: f"找不到该{_noun(m)}。"),
    (re.compile(rf"^unknown (?P<noun>{_NOUN})s?\b"), lambda m: f"未知的{_noun(m)}。"),
    (re.compile(rf"^(?:invalid|bad) (?P<noun>{_NOUN})s?\b"), lambda m: f"{_noun(m)}无效。"),
    (re.compile(r"^Missing data for required field\.$"), lambda m: "必填。"),
    (re.compile(r"^Field may not be null\.$"), lambda m: "不能为空。"),
    (re.compile(r"^Unknown field\.$"), lambda m: "未知字段。"),
    (re.compile(r"^Not a valid (?:integer|number)\.$"), lambda m: "请填写一个整数。"),
    (re.compile(r"^Not a valid string\.$"), lambda m: "请填写文字。"),
    (re.compile(r"^Not a valid boolean\.$"), lambda m: "请填写 true 或 false。"),
    (re.compile(r"^Not a valid (?:datetime|date|time)\.$"), lambda m: "日期或时间格式不正确。"),
    (re.compile(r"^Not a valid email address\.$"), lambda m: "电子邮件地址格式不正确。"),
    (re.compile(r"^Not a valid URL\.$"), lambda m: "网址格式不正确。"),
    (re.compile(r"^Not a valid list\.$"), lambda m: "应为一个列表。"),
    (re.compile(r"^Not a valid mapping type\.$"), lambda m: "应为一个对象。"),
    (re.compile(r"^Invalid input type\.$"), lambda m: "输入类型不正确。"),
    (re.compile(r"^Must be one of: (?P<choices>.+)\.$"), lambda m: f"必须是以下之一：{m.group('choices')}。"),
    (re.compile(r"^Longer than maximum length (?P<n>\d+)\.$"), lambda m: f"最多 {m.group('n')} 个字符。"),
    (
        re.compile(r"^Length must be between (?P<low>\d+) and (?P<high>\d+)\.$"),
        lambda m: f"长度须在 {m.group('low')} 到 {m.group('high')} 个字符之间。",
    ),
    (re.compile(r"^Shorter than minimum length (?P<n>\d+)\.$"), lambda m: f"至少 {m.group('n')} 个字符。"),
    (
        re.compile(r"^Must be greater than or equal to (?P<low>\S+) and less than or equal to (?P<high>\S+)\.$"),
        lambda m: f"必须在 {m.group('low')} 到 {m.group('high')} 之间。",
    ),
    (re.compile(r"^Must be greater than or equal to (?P<low>\S+)\.$"), lambda m: f"不能小于 {m.group('low')}。"),
    (re.compile(r"^Must be less than or equal to (?P<high>\S+)\.$"), lambda m: f"不能大于 {m.group('high')}。"),
    (re.compile(r"^must not be blank\b"), lambda m: "不能为空。"),
    (re.compile(r"unstorable characters|\bNUL\b"), lambda m: "含有无法保存的字符（如 NUL）。"),
    (re.compile(r"^give a reply text or an action"), lambda m: "请填写回复内容，或至少选一个动作。"),
    (re.compile(r"^the list changed since it was shown"), lambda m: "列表在显示后已被修改，请刷新后重试。"),
]


def wants_chinese() -> bool:
    """Whether the current request's `Accept-Language` prefers Chinese over English."""
    if not has_request_context():
        return False
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return best in ("zh-CN", "zh")


def in_chinese(message: str) -> str | None:
    """`message` in Chinese when its shape is known, else None."""
    if re.search(r"[\u4e00-\u9fff]", message):
        return message  # already worded for a Chinese reader
    for regex, wording in PATTERNS:
        match = regex.search(message)
        if match is not None:
            return wording(match)
    return None


def in_callers_language(body: dict[str, Any]) -> dict[str, Any]:
    """The error envelope `body` (`{"error": {...}}`) in the request's language (unchanged for English)."""
    if not wants_chinese():
        return body
    error = dict(body["error"])
    english = str(error["message"])
    error["message"] = in_chinese(english) or BY_CODE.get(error["code"], BY_CODE["bad_request"])
    if error["message"] != english:
        error["detail"] = english
    if isinstance(error.get("fields"), dict):
        worded = {name: _reasons(reasons) for name, reasons in error["fields"].items()}
        if worded != error["fields"]:
            error["fields_detail"] = error["fields"]
            error["fields"] = worded
    return {"error": error}


def _reasons(reasons: Any) -> Any:
    if not isinstance(reasons, list) or not all(isinstance(reason, str) for reason in reasons):
        return reasons  # nested reasons keep their shape
    return [in_chinese(reason) or FIELD_FALLBACK for reason in reasons]
