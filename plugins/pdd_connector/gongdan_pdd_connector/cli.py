"""`gongdan pdd ...`: shops, syncs and backfills, and the message listener from the command line."""

from __future__ import annotations

import itertools
import json
import sys
import threading

import click
from tqdm import tqdm

from gongdan import accounts
from gongdan.cli import open_db
from gongdan.dispatcher import INTERVAL_SECONDS, finish, finish_and_report, prepare
from gongdan.errors import NotFound
from gongdan.plugins import get_host
from gongdan_pdd_connector import push, shops, store, sync
from gongdan_pdd_connector.api import parse_since
from gongdan_pdd_connector.models import PddShop, PddSyncRun


def _shop(owner_id: str, tenant_slug: str | None) -> PddShop:
    query = PddShop.select().where(PddShop.owner_id == owner_id)
    if tenant_slug:
        query = query.where(PddShop.tenant == accounts.tenant(tenant_slug))
    found = list(query)
    if not found:
        raise NotFound(f"no shop with owner_id {owner_id}")
    if len(found) > 1:
        raise click.UsageError(f"shop {owner_id} is connected in several tenants: give --tenant")
    return found[0]


@click.group("pdd")
def pdd() -> None:
    """Pinduoduo connector: shops, syncs and backfills, push messages."""


@pdd.command("shops")
@click.option("--tenant", "tenant_slug", help="Only this tenant's shops.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_shops(tenant_slug: str | None, as_json: bool) -> None:
    """Every connected shop with its authorisation and sync state."""
    open_db()
    query = PddShop.select().order_by(PddShop.id)
    if tenant_slug:
        query = query.where(PddShop.tenant == accounts.tenant(tenant_slug))
    rows = [shops.as_dict(shop) for shop in query]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        lag = row["sync"]["lag_seconds"]
        click.echo(
            f"{row['owner_id']:<14} {row['owner_name']:<20} {row['authorization']['status']:<12} "
            f"cursor={row['sync']['cursor'] or '-'} lag={'-' if lag is None else f'{lag:.0f}s'} "
            f"records={row['sync']['records']} quarantined={row['sync']['quarantined']}"
        )


@pdd.command("connect")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--owner-id", required=True)
@click.option("--owner-name", default="")
@click.option("--client-id", required=True)
@click.option("--client-secret-stdin", is_flag=True, help="Read the client secret from standard input.")
@click.option("--access-token", required=True)
@click.option("--refresh-token", default="")
@click.option("--gateway-url", default=None, help="Default: the platform's gateway.")
def connect(
    tenant_slug: str,
    owner_id: str,
    owner_name: str,
    client_id: str,
    client_secret_stdin: bool,
    access_token: str,
    refresh_token: str,
    gateway_url: str | None,
) -> None:
    """Connect a shop to a tenant (or update its credentials); prints the shop's id."""
    open_db()
    secret = sys.stdin.readline().strip() if client_secret_stdin else click.prompt("client secret", hide_input=True)
    data = {
        "owner_id": owner_id,
        "owner_name": owner_name,
        "client_id": client_id,
        "client_secret": secret,
        "access_token": access_token,
        "refresh_token": refresh_token,
        "gateway_url": gateway_url,
    }
    shop, created = shops.connect(accounts.tenant(tenant_slug), data)
    click.echo(f"{'connected' if created else 'updated'} shop {shop.owner_id}", err=True)
    click.echo(shop.id)


@pdd.command("sync")
@click.option("--shop", "owner_id", help="The shop's owner id (default: every active shop).")
@click.option("--tenant", "tenant_slug", help="The tenant (needed when a shop is in several).")
@click.option("--since", default=None, help="Backfill from then: 7d, 12h, 90m or an ISO 8601 time.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def sync_command(owner_id: str | None, tenant_slug: str | None, since: str | None, no_progress: bool) -> None:
    """Sync after-sales records now; with --since, a backfill of that period with a progress bar.

    Then, in this process, the plugins' work on the stored tickets (assignment, SLA clocks,
    triggers) — what the worker's job `core.dispatch` does otherwise — so nothing waits for
    `gongdan worker` or `gongdan serve`.
    """
    open_db()
    if owner_id:
        targets = [_shop(owner_id, tenant_slug)]
    else:
        query = PddShop.select().where(PddShop.active == True)  # noqa: E712
        if tenant_slug:
            query = query.where(PddShop.tenant == accounts.tenant(tenant_slug))
        targets = list(query)
    try:
        start = parse_since(since) if since else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    bars: dict[int, tqdm] = {}
    guard = threading.Lock()

    def progress(run: PddSyncRun) -> None:
        with guard:
            bar = bars.get(run.shop_id)
            if bar is None:
                bar = bars[run.shop_id] = tqdm(
                    total=run.windows_total, desc=f"shop {run.shop.owner_id}", unit="window", disable=no_progress
                )
            bar.n = run.windows_done
            bar.set_postfix(records=run.seen, stored=run.stored, quarantined=run.quarantined, refresh=False)
            bar.refresh()

    prepare()  # jobs that act on what a sync records start before it (see finish_and_report below)
    runs = sync.sync_many(targets, since=start, kind="backfill" if start else "increment", progress=progress)
    for bar in bars.values():
        bar.close()
    failed = False
    for run in runs:
        click.echo(
            f"shop {run.shop.owner_id}: {run.status}, {run.windows_done}/{run.windows_total} windows, "
            f"{run.seen} records read, {run.stored} stored ({run.created} new), {run.quarantined} quarantined, "
            f"{run.calls} calls" + (f" — {run.error}" if run.error else "")
        )
        failed = failed or run.status != "done"
    if len(runs) < len(targets):
        click.echo(f"{len(targets) - len(runs)} shop(s) were already syncing elsewhere", err=True)
    finish_and_report({shop.tenant_id for shop in targets}, progress=not no_progress)
    if failed:
        sys.exit(1)


@pdd.command("listen")
def listen() -> None:
    """Receive push messages for every connected app until interrupted (Ctrl+C).

    Every few seconds it fires, in this process, the plugins' work on the tickets the messages
    stored (as the worker's job `core.dispatch` would; with a worker running too, each event
    fires once), so the tickets are assigned without `gongdan worker` or `gongdan serve`.
    """
    open_db()
    prepare()  # jobs that act on what pushes record start before them (see _finish_pushed)
    started = push.ensure_listeners()
    if not started and push.listener_lease.acquire():
        click.echo("no active shop in a tenant with the connector enabled", err=True)
        sys.exit(1)
    if started:
        click.echo(f"listening to {len(started)} app(s); Ctrl+C stops", err=True)
    else:
        click.echo("another process listens; this one takes over if it stops (Ctrl+C stops)", err=True)
    tick_seconds = min(INTERVAL_SECONDS, push.LEASE_SECONDS / 2)
    lease_every = max(1, round(push.LEASE_SECONDS / 2 / tick_seconds))
    try:
        for tick in itertools.count(1):
            threading.Event().wait(tick_seconds)
            _finish_pushed()
            if tick % lease_every == 0:
                started += push.ensure_listeners()  # takes the lease over when its holder died
    except KeyboardInterrupt:
        for listener in started:
            listener.stop()


def _finish_pushed() -> None:
    """The plugins' work on what the messages stored, in the connector's tenants (`finish`); a
    failure is printed and the next round tries again: the listener keeps listening."""
    try:
        finish([tenant.id for tenant in get_host().tenants_with(store.PLUGIN)], wait=0)
    except Exception as exc:  # noqa: BLE001 - e.g. the database restarting: retried in a few seconds
        click.echo(f"firing the plugins' work failed, retried shortly: {exc}", err=True)


__all__ = ["pdd"]
