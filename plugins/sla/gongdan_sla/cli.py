"""`gongdan sla ...`: the sweep by hand, and what it would fire by a given time."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from gongdan.cli import open_db

from .sweep import sweep_all


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO date or time", param_hint="--at") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@click.group("sla")
def sla() -> None:
    """SLA policies: the sweep that warns, marks breaches and escalates."""


@sla.command("sweep")
@click.option("--dry-run", is_flag=True, help="Only list what would fire; change nothing.")
@click.option("--at", "at", metavar="ISO-TIME", help="Sweep as of this time (naive means UTC); default now.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def sweep(dry_run: bool, at: str | None, as_json: bool) -> None:
    """Fire every warning, breach and escalation due by now (or by --at); prints each."""
    open_db()
    firings = sweep_all(_when(at), dry_run=dry_run)
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in firings], ensure_ascii=False, indent=2))
        return
    verb = "would fire" if dry_run else "fired"
    for f in firings:
        level = f" level {f.level}" if f.kind == "escalation" else ""
        click.echo(f"{f.tenant} #{f.number} {f.target} {f.kind}{level} at {f.at.isoformat()}")
    click.echo(f"{len(firings)} {verb}")
