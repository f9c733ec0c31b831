"""gongdan-jd: JD (京东) after-sales service orders as tickets, and approving them from the
ticket page. The example of gongdan's docs/writing-connectors.md, written with
`gongdan plugin new jd --connector`; its hooks are imported here, where gongdan finds them."""

from gongdan.contributions import PluginSpec

from .connector import (
    gongdan_channels,
    gongdan_connectors,
    gongdan_event_kinds,
    gongdan_plugin_toggled,
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
    label="JD",
    label_zh="京东",
    category="connector",
    description="JD after-sales service orders (服务单) as tickets; approve them from the ticket page.",
    requires_core=">=0.1,<1",
)

__all__ = [
    "PLUGIN",
    "gongdan_api_blueprints",
    "gongdan_channels",
    "gongdan_cli_commands",
    "gongdan_connectors",
    "gongdan_console_views",
    "gongdan_event_kinds",
    "gongdan_plugin_toggled",
    "gongdan_scheduled_jobs",
    "gongdan_schema",
    "gongdan_settings_schema",
    "gongdan_ticket_created",
    "gongdan_ticket_panels",
]
