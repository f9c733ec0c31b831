"""How the SLA plugin's ticket events read on the console's timeline (zh/en)."""

from __future__ import annotations

from gongdan.contributions import EventKind

CODES = {
    "first_response": ("首次响应", "first response"),
    "next_response": ("下次响应", "next response"),
    "resolution": ("解决", "resolution"),
    "not_applicable": ("不适用", "not applicable"),
    "missed": ("未达成", "missed"),
    "breached": ("超时", "late"),
    "reassign": ("重新分配", "reassign"),
}
TARGET = {"target": ("目标", "target", "code")}


def event_kinds() -> list[EventKind]:
    """Every `sla.*` event a ticket can carry."""
    return [
        EventKind("sla.applied", "套用了 SLA 策略", "applied the SLA policy", {"policy": ("策略", "policy", "text")}),
        EventKind(
            "sla.paused",
            "暂停了 SLA 计时",
            "paused the SLA clocks",
            {"remaining_minutes": ("剩余", "left", "minutes")},
            CODES,
        ),
        EventKind("sla.resumed", "恢复了 SLA 计时", "resumed the SLA clocks"),
        EventKind("sla.reopened", "重新开始 SLA 计时", "restarted an SLA clock", TARGET, CODES),
        EventKind("sla.met", "达成 SLA 目标", "met SLA targets", {"targets": ("目标", "targets", "targets")}, CODES),
        EventKind(
            "sla.closed_unmet",
            "关闭了未达成的 SLA 目标",
            "closed SLA targets unmet",
            {"targets": ("目标", "targets", "targets")},
            CODES,
        ),
        EventKind(
            "sla.next_response_started",
            "开始下次响应计时",
            "started the next-response clock",
            {"cycle": ("轮次", "round", "text")},
        ),
        EventKind(
            "sla.policy_changed",
            "更换了 SLA 策略",
            "changed the SLA policy",
            {"from": ("从", "from", "text"), "to": ("到", "to", "text")},
        ),
        EventKind(
            "sla.deadline",
            "按平台截止时间调整 SLA",
            "took the platform's deadline",
            {**TARGET, "due_at": ("截止", "due", "time")},
            CODES,
        ),
        EventKind("sla.warning", "SLA 即将超时", "SLA due soon", {**TARGET, "at": ("时间", "at", "time")}, CODES),
        EventKind("sla.breach", "SLA 已超时", "SLA breached", {**TARGET, "at": ("时间", "at", "time")}, CODES),
        EventKind(
            "sla.escalation",
            "SLA 升级",
            "SLA escalated",
            {**TARGET, "level": ("级别", "level", "text"), "at": ("时间", "at", "time")},
            CODES,
        ),
        EventKind(
            "sla.action_skipped",
            "未执行 SLA 动作",
            "skipped an SLA action",
            {"action": ("动作", "action", "code"), "reason": ("原因", "why", "text")},
            CODES,
        ),
    ]
