"""The hooks of jd (see gongdan's docs/hooks/, a page per hook, for when each is called)."""

from __future__ import annotations

from typing import Any

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.hookspecs import hookimpl
from gongdan.plugins import get_host

from .settings import NAME, Settings


@hookimpl
def gongdan_settings_schema() -> type[Settings]:
    """The per-tenant settings form."""
    return Settings


@hookimpl
def gongdan_ticket_created(tenant: Any, ticket: Any) -> None:
    """Tag every new ticket from JD (called only in tenants where the plugin is enabled)."""
    if ticket.channel != NAME:
        return
    tag = get_host().settings(tenant, NAME)["tag"]
    if tag not in ticket.tags:
        tickets.update(tenant, ticket, {"tags": [*ticket.tags, tag]}, Actor.system(f"plugin:{NAME}"))


@hookimpl
def gongdan_api_blueprints() -> list[Any]:
    """Routes under /api/v1/jd/."""
    from .api import bp

    return [bp]


@hookimpl
def gongdan_console_views() -> list[Any]:
    """The console page (built here: the console is built once per app)."""
    from .console import views

    return views()


@hookimpl
def gongdan_cli_commands() -> list[Any]:
    """`gongdan jd ...`."""
    from .cli import group

    return [group]
