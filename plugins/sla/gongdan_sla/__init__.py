"""gongdan-sla: SLA policies on business time, China's holidays, warnings, breaches, escalations.

The hook implementations the plugin host registers live in `gongdan_sla.plugin`; they are
re-exported here because the entry point names this module.
"""

from __future__ import annotations

from gongdan.contributions import PluginSpec

from .plugin import (
    gongdan_api_blueprints,
    gongdan_cli_commands,
    gongdan_comment_added,
    gongdan_console_views,
    gongdan_deadline_announced,
    gongdan_demo_prepared,
    gongdan_event_kinds,
    gongdan_notification_transports,
    gongdan_reconcile,
    gongdan_scheduled_jobs,
    gongdan_schema,
    gongdan_settings_schema,
    gongdan_ticket_blocks,
    gongdan_ticket_created,
    gongdan_ticket_panels,
    gongdan_ticket_status_changed,
    gongdan_ticket_updated,
)

PLUGIN = PluginSpec(
    label="SLA policies",
    label_zh="服务时效 (SLA)",
    category="sla",
    description="Deadlines on business time with China's holidays; warnings, breaches, escalations, notifications.",
    description_zh="按工作时间（含中国节假日）计算时限；即将超时提醒、超时、升级和通知。",
    requires_core=">=0.1,<1",
)

__all__ = [
    "PLUGIN",
    "gongdan_api_blueprints",
    "gongdan_cli_commands",
    "gongdan_comment_added",
    "gongdan_console_views",
    "gongdan_deadline_announced",
    "gongdan_demo_prepared",
    "gongdan_event_kinds",
    "gongdan_notification_transports",
    "gongdan_reconcile",
    "gongdan_scheduled_jobs",
    "gongdan_schema",
    "gongdan_settings_schema",
    "gongdan_ticket_blocks",
    "gongdan_ticket_created",
    "gongdan_ticket_panels",
    "gongdan_ticket_status_changed",
    "gongdan_ticket_updated",
]
