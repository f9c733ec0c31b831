"""The automation plugin's ticket events as people read them on the timeline (zh and en).

Action names are shown by their labels (`pdd_connector.agree_refund` → 同意退款 / Agree to
the refund), roles by their names, teams by name.
"""

from __future__ import annotations

from gongdan import actions
from gongdan.contributions import EventKind

ROLE_CODES = {
    "agent": ("客服", "agent"),
    "supervisor": ("主管", "supervisor"),
    "admin": ("管理员", "admin"),
    "superadmin": ("超级管理员", "superadmin"),
}


def action_codes() -> dict[str, tuple[str, str]]:
    """Every registered ticket action's name → its (zh, en) label."""
    return {name: (action.label_zh, action.label_en) for name, (_, action) in actions.registered().items()}


def event_kinds() -> list[EventKind]:
    """`automation.approval_*`, `automation.webhook_*` (audit) and `automation.result_recorded`."""
    codes = {**ROLE_CODES, **action_codes()}
    action = ("操作", "action", "code")
    reason = ("原因", "reason", "text")
    return [
        EventKind(
            "automation.approval_requested",
            "申请了审批",
            "asked for approval",
            {
                "action": action,
                "reason": ("规则/原因", "rule / reason", "text"),
                "approver_role": ("审批人", "approvers", "code"),
                "approver_team": ("审批团队", "approvers' team", "team"),
            },
            codes,
        ),
        EventKind("automation.approval_approved", "批准了", "approved", {"action": action, "reason": reason}, codes),
        EventKind("automation.approval_rejected", "拒绝了", "rejected", {"action": action, "reason": reason}, codes),
        EventKind("automation.approval_expired", "审批已过期", "let an approval expire", {"action": action}, codes),
        EventKind(
            "automation.webhook_created",
            "新建了 Webhook 订阅",
            "subscribed a webhook",
            {"url": ("地址", "address", "text")},
        ),
        EventKind(
            "automation.webhook_changed",
            "修改了 Webhook 订阅",
            "changed a webhook",
            {"url": ("地址", "address", "text"), "changes": ("变更", "changes", "changes")},
            {"active": ("启用", "active"), "kinds": ("事件", "events")},
        ),
        EventKind(
            "automation.result_recorded",
            "记录了外部系统结果",
            "recorded an outside system's result",
            {
                "status": ("结果", "result", "text"),
                "reference": ("单号", "reference", "text"),
                "note": ("备注", "note", "text"),
            },
        ),
    ]
