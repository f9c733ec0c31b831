"""gongdan-jd: a gongdan plugin. Its hooks are imported here, where gongdan finds them."""

from gongdan.contributions import PluginSpec

from .connector import (
    gongdan_channels,
    gongdan_connectors,
    gongdan_scheduled_jobs,
    gongdan_schema,
    gongdan_ticket_panels,
)
from .hooks import (
    gongdan_api_blueprints,
    gongdan_cli_commands,
    gongdan_console_views,
    gongdan_settings_schema,
    gongdan_ticket_created,
)

PLUGIN = PluginSpec(
    label="Jd",
    label_zh="Jd",
    category="connector",
    description="What jd does, in one line.",
    requires_core=">=0.1,<1",
)

__all__ = [
    "PLUGIN",
    "gongdan_api_blueprints",
    "gongdan_channels",
    "gongdan_cli_commands",
    "gongdan_connectors",
    "gongdan_console_views",
    "gongdan_scheduled_jobs",
    "gongdan_schema",
    "gongdan_settings_schema",
    "gongdan_ticket_created",
    "gongdan_ticket_panels",
]
