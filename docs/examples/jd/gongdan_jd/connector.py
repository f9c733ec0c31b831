"""The connector's hooks: its table, channel, connector description, sync job and ticket panel."""

from __future__ import annotations

from typing import Any

from gongdan.contributions import Channel, Connector, ScheduledJob, Schema
from gongdan.hookspecs import hookimpl

from .settings import NAME


@hookimpl
def gongdan_schema() -> Schema:
    """The sync cursor table (created by `gongdan init`; bump `version` and add a migration to change it)."""
    from .models import Cursor

    return Schema(owner=NAME, models=[Cursor], version=1)


@hookimpl
def gongdan_channels() -> list[Channel]:
    """The channel tickets from the marketplace arrive by."""
    return [Channel(NAME, "Jd")]


@hookimpl
def gongdan_connectors() -> list[Connector]:
    """What integrators and the console see of this connector."""
    return [Connector(name=NAME, system=NAME, label="Jd", description="After-sales records from Jd.")]


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """Sync every tenant that has the plugin on, every five minutes (once however many workers)."""
    from .sync import sync_all

    return [ScheduledJob(id=f"{NAME}.sync", func=sync_all, seconds=300, description="Jd sync")]


@hookimpl
def gongdan_ticket_panels(tenant: Any, ticket: Any, user: Any) -> Any:
    """The ticket page's panel with the record's actions (only on this connector's tickets)."""
    from .panel import ticket_panel

    return ticket_panel(tenant, ticket, user)
