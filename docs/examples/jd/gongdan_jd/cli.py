"""`gongdan jd ...`: the plugin's commands."""

from __future__ import annotations

import click

from gongdan import accounts
from gongdan.cli import open_db
from gongdan.plugins import get_host

from .settings import NAME


@click.group("jd")
def group() -> None:
    """Jd."""


@group.command("status")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
def status(slug: str) -> None:
    """Print the tenant's settings (secrets only as set or not)."""
    open_db()
    tenant = accounts.tenant(slug)
    if not get_host().is_enabled(tenant, NAME):
        raise click.ClickException(f"{NAME} is not enabled for {slug}")
    shown, secrets = get_host().shown_settings(tenant, NAME)
    for key, value in {**shown, **{k: "set" if v else "not set" for k, v in secrets.items()}}.items():
        click.echo(f"{key}: {value}")
