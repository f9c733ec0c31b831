"""`gongdan email fetch [--tenant SLUG] [--mailbox ID]`: fetch now, with a progress bar, then
fire the plugins' work on what it fetched (`gongdan.dispatcher.finish`)."""

from __future__ import annotations

import threading

import click
from tqdm import tqdm

from gongdan.cli import open_db
from gongdan.dispatcher import finish_and_report, prepare
from gongdan.models import Tenant
from gongdan.plugins import get_host

from .fetch import fetch_all
from .settings import PLUGIN


@click.group("email")
def email() -> None:
    """The e-mail channel: mailboxes fetched over IMAP, replies sent over SMTP."""


@email.command("fetch")
@click.option("--tenant", "slug", metavar="SLUG", help="Only this tenant's mailboxes.")
@click.option("--mailbox", "mailbox_id", type=int, metavar="ID", help="Only this mailbox (even if inactive).")
@click.option("--workers", type=click.IntRange(1, 32), default=4, show_default=True, help="Mailboxes fetched at once.")
def fetch(slug: str | None, mailbox_id: int | None, workers: int) -> None:
    """Fetch new mail now; prints what became of it, mailbox by mailbox.

    Then, in this process, the plugins' work on the new tickets and messages (assignment, SLA
    clocks, triggers, suggestions) and the messages it queued (acknowledgements) — what the
    worker's jobs do otherwise — so nothing waits for `gongdan worker` or `gongdan serve`.
    """
    open_db()
    tenant = None
    if slug:
        tenant = Tenant.get_or_none(Tenant.slug == slug)
        if tenant is None:
            raise click.BadParameter(f"no tenant {slug!r}", param_hint="--tenant")
        if not get_host().is_enabled(tenant, PLUGIN):
            raise click.UsageError(f"the email plugin is not enabled for tenant {slug}")
    prepare()  # jobs that act on what a fetch records start before it (see finish_and_report below)
    lock = threading.Lock()
    with tqdm(total=0, unit="msg", desc="fetching", leave=False) as bar:

        def progress(found: int, done: int) -> None:
            with lock:
                if found:
                    bar.total += found
                    bar.refresh()
                if done:
                    bar.update(done)

        runs = fetch_all(tenant, mailbox_id, workers=workers, progress=progress)
    if not runs:
        click.echo("no mailbox to fetch")
        return
    for run in runs:
        click.echo(run.summary())
    failed = sum(1 for run in runs if run.error)
    total = sum(sum(run.counts.values()) for run in runs)
    click.echo(f"{len(runs)} mailboxes, {total} messages, {failed} with errors")
    slugs = {run.tenant for run in runs}
    finish_and_report([t.id for t in Tenant.select(Tenant.id).where(Tenant.slug.in_(slugs))])
