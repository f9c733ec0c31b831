"""gongdan-analytics: reports from incremental rollups, exports, forecast and staffing, anomaly alerts.

The hook implementations live in `gongdan_analytics.plugin`; they are re-exported here because
the entry point names this module.
"""

from __future__ import annotations

from gongdan.contributions import PluginSpec

from .plugin import (
    gongdan_api_blueprints,
    gongdan_cli_commands,
    gongdan_comment_added,
    gongdan_console_views,
    gongdan_demo_history_built,
    gongdan_demo_prepared,
    gongdan_event_kinds,
    gongdan_scheduled_jobs,
    gongdan_schema,
    gongdan_settings_schema,
)

PLUGIN = PluginSpec(
    label="Analytics",
    label_zh="数据分析",
    category="analytics",
    description="Reports, exports, forecast and staffing, anomaly alerts to WeCom, DingTalk and Feishu robots.",
    description_zh="报表、导出、预测与排班；异常提醒推送到企业微信、钉钉和飞书机器人。",
    requires_core=">=0.1,<1",
)

__all__ = [
    "PLUGIN",
    "gongdan_api_blueprints",
    "gongdan_cli_commands",
    "gongdan_comment_added",
    "gongdan_console_views",
    "gongdan_demo_history_built",
    "gongdan_demo_prepared",
    "gongdan_event_kinds",
    "gongdan_scheduled_jobs",
    "gongdan_schema",
    "gongdan_settings_schema",
]
