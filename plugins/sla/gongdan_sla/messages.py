"""SLA warnings, breaches and escalations in words a reader reads: Chinese or English.

The notification the sweep writes keeps its English subject and body (the bell translates its own
heads, and the signed webhook's JSON is for machines); an e-mail is written again in each
recipient's language (their own, else the tenant's) from the notification's data.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gongdan.models import Tenant

TARGETS = {
    "first_response": ("首次响应", "first response"),
    "next_response": ("下次响应", "next response"),
    "resolution": ("解决", "resolution"),
}


def is_chinese(language: str | None) -> bool:
    """Whether a language code (`zh_CN`, `zh-TW`, `en`, …) reads Chinese."""
    return (language or "zh_CN").lower().startswith("zh")


def compose(
    tenant: Tenant, kind: str, target: str, level: int, due: datetime, number: int, subject: str, chinese: bool
) -> tuple[str, str]:
    """`(subject, body)` of an SLA `warning`, `breach` or `escalation` of ticket `number`, the due
    time in the tenant's zone."""
    local = due.astimezone(ZoneInfo(tenant.timezone)).strftime("%Y-%m-%d %H:%M")
    zh, en = TARGETS[target]
    if chinese:
        title = {"warning": "SLA 预警", "breach": "SLA 已超时", "escalation": f"SLA 升级（第 {level} 级）"}[kind]
        if kind == "warning":
            body = f"工单 #{number}：{zh}目标即将到期（{local} {tenant.timezone}）。"
        else:
            body = f"工单 #{number}：{zh}目标已于 {local}（{tenant.timezone}）到期，尚未达成。"
        return f"[{title}] #{number} {subject}", body
    title = {"warning": "SLA warning", "breach": "SLA breached", "escalation": f"SLA escalation level {level}"}[kind]
    if kind == "warning":
        body = f"Ticket #{number}: the {en} target is close to its due time."
    else:
        body = f"Ticket #{number}: the {en} target was due and is not met ({local} {tenant.timezone})."
    return f"[{title}] #{number} {subject}", body
