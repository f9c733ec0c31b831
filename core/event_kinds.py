"""How the core's own ticket events read, in Chinese and English (`gongdan_event_kinds`)."""

from __future__ import annotations

from gongdan.contributions import EventKind

STATUS_CODES = {
    "new": ("新建", "New"),
    "open": ("处理中", "Open"),
    "pending": ("等待中", "Pending"),
    "resolved": ("已解决", "Resolved"),
    "closed": ("已关闭", "Closed"),
}
PRIORITY_CODES = {
    "low": ("低", "Low"),
    "normal": ("普通", "Normal"),
    "high": ("高", "High"),
    "urgent": ("紧急", "Urgent"),
}
TARGET_CODES = {
    "first_response": ("首次响应", "first response"),
    "next_response": ("下次响应", "next response"),
    "resolution": ("解决", "resolution"),
}
TICKET_FIELDS = {
    "subject": ("主题", "subject"),
    "description": ("描述", "description"),
    "priority": ("优先级", "priority"),
    "category": ("分类", "category"),
    "team": ("团队", "team"),
    "tags": ("标签", "tags"),
    "customer": ("客户", "customer"),
}
STRATEGY_CODES = {"manual": ("手动", "manual")}
OUTCOME_CODES = {
    "ok": ("成功", "done"),
    "failed": ("失败", "failed"),
    "unavailable": ("不可用", "not available"),
    "held": ("待审批", "waiting for approval"),
    "forbidden": ("无权限", "not allowed"),
}


def _action_words(text: str, language: str) -> str | None:
    """A ticket action's name (`set_priority`) as its label in `language` (设置优先级)."""
    from gongdan.actions import label_of

    return label_of(text, language)


def core_event_kinds() -> list[EventKind]:
    """The kinds the ticket service records."""
    return [
        EventKind("created", "创建了工单", "created the ticket"),
        EventKind(
            "updated",
            "修改了",
            "changed",
            fields={"changes": ("修改", "changes", "changes")},
            codes={**TICKET_FIELDS, **PRIORITY_CODES},
        ),
        EventKind(
            "status_changed",
            "更改了状态",
            "changed the status",
            fields={"from": ("从", "from", "code"), "to": ("到", "to", "code")},
            codes=STATUS_CODES,
        ),
        EventKind(
            "assigned",
            "分配了工单",
            "assigned the ticket",
            fields={
                "to": ("给", "to", "user"),
                "team": ("团队", "team", "team"),
                "strategy": ("方式", "by", "strategy"),
                "reason": ("原因", "why", "text"),
            },
            codes=STRATEGY_CODES,
        ),
        EventKind("linked", "开了跟进工单", "opened a follow-up", fields={"child_number": ("工单", "ticket", "text")}),
        EventKind(
            "action.run",
            "执行了操作",
            "ran an action",
            fields={"action": ("操作", "action", "text"), "outcome": ("结果", "outcome", "code")},
            codes=OUTCOME_CODES,
            words=_action_words,
        ),
        EventKind(
            "merged",
            "把此工单合并到了另一工单",
            "merged this ticket into another",
            fields={
                "into": ("合并到", "into", "text"),
                "comments": ("消息", "messages", "text"),
                "attachments": ("附件", "files", "text"),
            },
        ),
        EventKind(
            "merged_in",
            "把另一工单合并了进来",
            "merged another ticket into this one",
            fields={
                "from": ("来自", "from", "text"),
                "comments": ("消息", "messages", "text"),
                "attachments": ("附件", "files", "text"),
            },
        ),
        EventKind(
            "merge_undone",
            "撤销了合并",
            "undid a merge",
            fields={"from": ("被合并的工单", "merged ticket", "text"), "into": ("合并到", "into", "text")},
        ),
        EventKind(
            "deadline.announced",
            "收到平台截止时间",
            "received a deadline",
            fields={"kind": ("目标", "target", "code"), "due_at": ("截止", "due", "time")},
            codes=TARGET_CODES,
        ),
    ]
