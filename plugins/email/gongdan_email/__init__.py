"""gongdan-email: the e-mail channel — IMAP mailboxes per tenant, threading, loop protection, SMTP replies.

The hook implementations the plugin host registers live in `gongdan_email.plugin`; they are
re-exported here because the entry point names this module.
"""

from __future__ import annotations

from gongdan.contributions import PluginSpec

from .plugin import (
    gongdan_api_blueprints,
    gongdan_channels,
    gongdan_cli_commands,
    gongdan_console_views,
    gongdan_event_kinds,
    gongdan_scheduled_jobs,
    gongdan_schema,
    gongdan_settings_schema,
    gongdan_ticket_panels,
)

PLUGIN = PluginSpec(
    label="E-mail channel",
    label_zh="邮件渠道",
    category="channel",
    description="Mailboxes fetched over IMAP become tickets and comments; agents' replies go out over SMTP, threaded.",
    description_zh="经 IMAP 收取的邮件变成工单和评论；客服的回复经 SMTP 发出，保持在同一会话中。",
    requires_core=">=0.1,<1",
)

__all__ = [
    "PLUGIN",
    "gongdan_api_blueprints",
    "gongdan_channels",
    "gongdan_cli_commands",
    "gongdan_console_views",
    "gongdan_event_kinds",
    "gongdan_scheduled_jobs",
    "gongdan_schema",
    "gongdan_settings_schema",
    "gongdan_ticket_panels",
]
