"""How the SLA plugin's ticket events read on the console's timeline (zh/en).

Each event reads as one sentence in the reader's language (`sentence`), e.g.
「首次响应已超时（SLA 策略：标准）」 / "First response is late (SLA policy: Standard)", rather
than the plugin's name glued to a label and a list of fields.
"""

from __future__ import annotations

from typing import Any

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
# reasons the plugin writes into `sla.action_skipped`
REASONS = {"assignment plugin disabled": ("分配插件未启用", "the assignment plugin is off")}


def _word(code: Any, zh: bool) -> str:
    pair = CODES.get(code) if isinstance(code, str) else None
    return (pair[0] if zh else pair[1]) if pair else str(code)


def _target(data: dict[str, Any], zh: bool, *, capital: bool = False) -> str:
    word = _word(data.get("target"), zh)
    return word[:1].upper() + word[1:] if capital and not zh else word


def _policy(data: dict[str, Any], zh: bool) -> str:
    name = data.get("policy")
    if not name:
        return ""
    return f"（SLA 策略：{name}）" if zh else f" (SLA policy: {name})"


def _targets(data: dict[str, Any], zh: bool) -> str:
    parts = []
    for name, state in (data.get("targets") or {}).items():
        outcome = state.get("outcome") if isinstance(state, dict) else None
        if outcome:
            said = _word(outcome, zh)
        else:
            late = isinstance(state, dict) and state.get("breached")
            said = ("超时" if late else "按时") if zh else ("late" if late else "in time")
        parts.append(f"{_word(name, zh)}（{said}）" if zh else f"{_word(name, zh)} ({said})")
    return "、".join(parts) if zh else ", ".join(parts)


def _minutes(data: dict[str, Any], zh: bool) -> str:
    from gongdan.admin.timeline import minutes_text

    left = data.get("remaining_minutes")
    if isinstance(left, dict):
        return "; ".join(f"{_word(k, zh)} {minutes_text(v)}" for k, v in left.items() if v is not None)
    return minutes_text(left) if left is not None else ""


def _due(data: dict[str, Any]) -> str:
    from gongdan.admin import local_time

    return local_time(data.get("due_at")) or "—"


def sentence(kind: str, data: dict[str, Any], language: str) -> str | None:
    """Event `kind` with `data` as one sentence in `zh` or `en` (None: a kind this does not word)."""
    zh = language == "zh"
    policy = _policy(data, zh)
    if kind == "sla.applied":
        return f"套用了 SLA 策略：{data.get('policy')}" if zh else f"The SLA policy {data.get('policy')} applies"
    if kind == "sla.warning":
        return (
            f"{_target(data, zh)}即将超时{policy}" if zh else f"{_target(data, zh, capital=True)} is due soon{policy}"
        )
    if kind == "sla.breach":
        return f"{_target(data, zh)}已超时{policy}" if zh else f"{_target(data, zh, capital=True)} is late{policy}"
    if kind == "sla.escalation":
        level = data.get("level")
        if zh:
            return f"{_target(data, zh)}超时，已升级到第 {level} 级{policy}"
        return f"{_target(data, zh, capital=True)} is late: escalated to level {level}{policy}"
    if kind == "sla.paused":
        left = _minutes(data, zh)
        if zh:
            return "SLA 计时已暂停" + (f"，剩余：{left}" if left else "")
        return "The SLA clocks are paused" + (f", left: {left}" if left else "")
    if kind == "sla.resumed":
        return "SLA 计时已恢复" if zh else "The SLA clocks run again"
    if kind == "sla.reopened":
        return f"{_target(data, zh)}的 SLA 计时重新开始" if zh else f"The {_target(data, zh)} SLA clock started again"
    if kind == "sla.met":
        return f"达成 SLA 目标：{_targets(data, zh)}" if zh else f"SLA targets met: {_targets(data, zh)}"
    if kind == "sla.closed_unmet":
        return (
            f"关闭时未达成 SLA 目标：{_targets(data, zh)}"
            if zh
            else f"Closed with SLA targets unmet: {_targets(data, zh)}"
        )
    if kind == "sla.next_response_started":
        cycle = data.get("cycle")
        return f"开始第 {cycle} 轮下次响应计时" if zh else f"The next-response clock started (round {cycle})"
    if kind == "sla.policy_changed":
        before, after = data.get("from") or "—", data.get("to") or "—"
        return f"SLA 策略从「{before}」换为「{after}」" if zh else f"The SLA policy changed from {before} to {after}"
    if kind == "sla.deadline":
        if zh:
            return f"{_target(data, zh)}的 SLA 截止时间按平台截止时间定为 {_due(data)}"
        return f"The {_target(data, zh)} SLA deadline follows the platform's: {_due(data)}"
    if kind == "sla.action_skipped":
        action = _word(data.get("action"), zh)
        reason = str(data.get("reason") or "")
        pair = REASONS.get(reason)
        why = (pair[0] if zh else pair[1]) if pair else reason
        return f"未执行 SLA 动作「{action}」：{why}" if zh else f"The SLA action {action} was not taken: {why}"
    return None


def _kind(kind: str, label_zh: str, label_en: str, fields: dict[str, tuple[str, str, str]] | None = None) -> EventKind:
    return EventKind(
        kind,
        label_zh,
        label_en,
        fields or {},
        CODES,
        sentence=lambda data, language: sentence(kind, data, language),
    )


def event_kinds() -> list[EventKind]:
    """Every `sla.*` event a ticket can carry (labels and fields for the audit log and filters)."""
    at = {"at": ("时间", "at", "time")}
    return [
        _kind("sla.applied", "套用了 SLA 策略", "applied the SLA policy", {"policy": ("策略", "policy", "text")}),
        _kind(
            "sla.paused", "暂停了 SLA 计时", "paused the SLA clocks", {"remaining_minutes": ("剩余", "left", "minutes")}
        ),
        _kind("sla.resumed", "恢复了 SLA 计时", "resumed the SLA clocks"),
        _kind("sla.reopened", "重新开始 SLA 计时", "restarted an SLA clock", TARGET),
        _kind("sla.met", "达成 SLA 目标", "met SLA targets", {"targets": ("目标", "targets", "targets")}),
        _kind(
            "sla.closed_unmet",
            "关闭了未达成的 SLA 目标",
            "closed SLA targets unmet",
            {"targets": ("目标", "targets", "targets")},
        ),
        _kind(
            "sla.next_response_started",
            "开始下次响应计时",
            "started the next-response clock",
            {"cycle": ("轮次", "round", "text")},
        ),
        _kind(
            "sla.policy_changed",
            "更换了 SLA 策略",
            "changed the SLA policy",
            {"from": ("从", "from", "text"), "to": ("到", "to", "text")},
        ),
        _kind(
            "sla.deadline",
            "按平台截止时间调整 SLA",
            "took the platform's deadline",
            {**TARGET, "due_at": ("截止", "due", "time")},
        ),
        _kind("sla.warning", "SLA 即将超时", "SLA due soon", {**TARGET, **at}),
        _kind("sla.breach", "SLA 已超时", "SLA breached", {**TARGET, **at}),
        _kind("sla.escalation", "SLA 升级", "SLA escalated", {**TARGET, "level": ("级别", "level", "text"), **at}),
        _kind(
            "sla.action_skipped",
            "未执行 SLA 动作",
            "skipped an SLA action",
            {"action": ("动作", "action", "code"), "reason": ("原因", "why", "text")},
        ),
    ]
