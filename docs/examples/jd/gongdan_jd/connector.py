"""The connector's hooks: its tables, channel, connector description, sync job, ticket panel,
how its events read on the timeline, and what it does when switched on or off."""

from __future__ import annotations

from typing import Any

from gongdan.contributions import Channel, Connector, EventKind, ScheduledJob, Schema
from gongdan.hookspecs import hookimpl

from .settings import NAME


@hookimpl
def gongdan_schema() -> Schema:
    """The cursor and mirror tables (created by `gongdan init`; bump `version` and add a migration to change them)."""
    from .models import MODELS

    return Schema(owner=NAME, models=MODELS, version=1)


@hookimpl
def gongdan_channels() -> list[Channel]:
    """The channel tickets from the marketplace arrive by."""
    return [Channel(NAME, "京东 JD")]


@hookimpl
def gongdan_connectors() -> list[Connector]:
    """What integrators and the console see of this connector."""
    return [
        Connector(name=NAME, system=NAME, label="京东 JD", description="After-sales service orders (服务单) from JD.")
    ]


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """Sync every tenant that has the plugin on, every five minutes (once however many workers)."""
    from .sync import sync_all

    return [ScheduledJob(id=f"{NAME}.sync", func=sync_all, seconds=300, description="JD after-sales sync")]


@hookimpl
def gongdan_ticket_panels(tenant: Any, ticket: Any, user: Any) -> Any:
    """The ticket page's panel with the record's actions (only on this connector's tickets)."""
    from .panel import ticket_panel

    return ticket_panel(tenant, ticket, user)


@hookimpl
def gongdan_event_kinds() -> list[EventKind]:
    """How the connector's own ticket events read on the timeline, in Chinese and English."""
    record = {"record": ("京东服务单", "JD service order", "text")}
    return [
        EventKind(f"{NAME}.refund_approved", "在京东审核通过了售后", "approved the after-sales order on JD", record)
    ]


@hookimpl
def gongdan_plugin_toggled(tenant: Any, plugin: str, enabled: bool) -> None:
    """Switched on or off for a tenant: drop its cached JD clients, so credentials changed while
    it was off are read again (called for every plugin's toggle: look at `plugin`)."""
    if plugin == NAME:
        from .sync import forget

        forget(tenant)
