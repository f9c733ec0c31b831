"""`gongdan analytics rebuild|catch-up|alerts|send-reports`: maintenance of the rollups, a manual alert
run, and the scheduled reports that are due."""

from __future__ import annotations

from datetime import date

import click

from gongdan.cli import open_db
from gongdan.models import Tenant

from . import rollup


def _tenant(slug: str) -> Tenant:
    open_db()
    found = Tenant.get_or_none(Tenant.slug == slug)
    if found is None:
        raise click.UsageError(f"no tenant {slug!r}")
    return found


@click.group()
def analytics() -> None:
    """Reports' rollups and anomaly alerts."""


@analytics.command()
@click.option("--tenant", "slug", required=True, help="tenant slug")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="only tickets created or changed since this local day",
)
def rebuild(slug: str, since: object) -> None:
    """Recompute the rollups from the tickets and the event log (all of them without --since)."""
    day: date | None = since.date() if since else None  # type: ignore[attr-defined]
    changed = rollup.rebuild(_tenant(slug), day)
    click.echo(f"{changed} tickets recounted")


@analytics.command("catch-up")
@click.option("--tenant", "slug", required=True, help="tenant slug")
def catch_up(slug: str) -> None:
    """Fold the event log's news since the last run into the rollups."""
    click.echo(f"{rollup.catch_up(_tenant(slug))} tickets recounted")


@analytics.command()
@click.option("--tenant", "slug", required=True, help="tenant slug")
def alerts(slug: str) -> None:
    """Look for anomalies now and announce new episodes."""
    from .alerts import evaluate

    for finding in evaluate(_tenant(slug)):
        click.echo(f"{finding.kind} {finding.subject} {finding.lines[1]}")


@analytics.command("send-reports")
@click.option("--tenant", "slug", required=True, help="tenant slug")
def send_reports(slug: str) -> None:
    """Send the scheduled reports whose time has come (what the job does every minute)."""
    from .scheduled import run_due

    click.echo(f"{run_due(_tenant(slug))} scheduled reports sent")
