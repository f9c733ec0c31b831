"""The `gongdan` command line (click). Every command has `--help`.

Commands that create something print the new id (or token) alone on the last line of
standard output; errors go to standard error with a non-zero exit (2 for usage errors).
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import click

from gongdan import accounts
from gongdan.config import Settings
from gongdan.db import db, open_database
from gongdan.errors import GongdanError
from gongdan.plugins import PluginLoadError, get_host


def _open() -> None:
    if db.obj is None:
        open_database(Settings.from_env().database_url)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gongdan")
def cli() -> None:
    """gongdan (工单): a ticket core for customer-service teams, extended by plugins."""


@cli.command()
def init() -> None:
    """Create or upgrade the schema of the core and of every loaded plugin (safe to repeat)."""
    from gongdan.schema import upgrade

    _open()
    for change in upgrade(get_host()):
        if change.before is None:
            click.echo(f"{change.owner}: created at version {change.after}")
        elif change.before != change.after:
            click.echo(f"{change.owner}: upgraded {change.before} -> {change.after}")
        else:
            click.echo(f"{change.owner}: up to date (version {change.after})")


@cli.group()
def tenant() -> None:
    """Tenants: the clients (merchants, companies) this installation serves."""


@tenant.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The tenant's display name.")
@click.option("--timezone", default="Asia/Shanghai", show_default=True, help="IANA time zone.")
def tenant_create(slug: str, name: str, timezone: str) -> None:
    """Create tenant SLUG; prints its id."""
    _open()
    created = accounts.create_tenant(slug, name, timezone)
    click.echo(f"created tenant {created.slug} ({created.name})", err=True)
    click.echo(created.id)


@cli.group()
def user() -> None:
    """Users: the people who sign in to the console or call the API."""


@user.command("create")
@click.argument("email")
@click.option("--tenant", "tenant_slug", required=True, help="The tenant's slug.")
@click.option("--role", required=True, type=click.Choice(["superadmin", "admin", "supervisor", "agent"]))
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(email: str, tenant_slug: str, role: str, name: str, password_stdin: bool) -> None:
    """Create user EMAIL in a tenant; prints the new id."""
    _open()
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    created = accounts.create_user(accounts.tenant(tenant_slug), email, role, name, password)
    click.echo(f"created {created.role} {created.email}", err=True)
    click.echo(created.id)


@cli.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
def token_create(email: str, name: str) -> None:
    """Create an API token for EMAIL and print it, once (only its hash is kept)."""
    _open()
    _, secret = accounts.create_token(accounts.user_by_email(email), name)
    click.echo(secret)


@cli.group()
def plugins() -> None:
    """Installed plugins and their per-tenant toggles."""


@plugins.command("list")
@click.option("--tenant", "tenant_slug", help="Also show whether each is enabled in this tenant.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_list(tenant_slug: str | None, as_json: bool) -> None:
    """Every discovered plugin: name, version, distribution, status and why it is not loaded."""
    host = get_host()
    rows = [record.as_dict() for _, record in sorted(host.records.items())]
    if tenant_slug:
        _open()
        enabled = host.enabled(accounts.tenant(tenant_slug))
        for row in rows:
            row["enabled"] = row["name"] in enabled
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no plugins discovered")
    for row in rows:
        state = "" if "enabled" not in row else ("  enabled" if row["enabled"] else "  disabled")
        reason = f"  ({row['reason']})" if row["reason"] else ""
        click.echo(f"{row['name']:<16} {row['version']:<10} {row['distribution']:<28} {row['status']}{state}{reason}")


def _toggle(name: str, tenant_slug: str, enabled: bool) -> None:
    _open()
    get_host().set_enabled(accounts.tenant(tenant_slug), name, enabled=enabled)
    click.echo(f"{name} {'enabled' if enabled else 'disabled'} for {tenant_slug}")


@plugins.command("enable")
@click.argument("name")
@click.option("--tenant", "tenant_slug", required=True)
def plugins_enable(name: str, tenant_slug: str) -> None:
    """Enable plugin NAME for a tenant (works with the web server down)."""
    _toggle(name, tenant_slug, True)


@plugins.command("disable")
@click.argument("name")
@click.option("--tenant", "tenant_slug", required=True)
def plugins_disable(name: str, tenant_slug: str) -> None:
    """Disable plugin NAME for a tenant."""
    _toggle(name, tenant_slug, False)


@cli.command()
@click.option("--host", "bind", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Do not run the scheduled jobs in this process.")
def serve(bind: str, port: int, no_scheduler: bool) -> None:
    """Serve the API, console and portal, with the scheduler embedded unless told not to."""
    from gongdan.serving import serve as run

    _open()
    run(bind, port, scheduler=not no_scheduler)


@cli.command()
def worker() -> None:
    """Run the scheduled jobs alone (for deployments with several processes or machines)."""
    from gongdan import scheduler
    from gongdan.serving import exit_on_sigterm

    _open()
    exit_on_sigterm()
    click.echo("gongdan worker: running scheduled jobs (Ctrl+C stops)", err=True)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.build(get_host(), blocking=True).start()


@cli.command()
@click.option("--host", "bind", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(bind: str, port: int) -> None:
    """Create the demo database (tenant, agents, customers, categories, plugin data) and serve it."""
    from gongdan.demo import prepare
    from gongdan.serving import serve as run

    _open()
    login = prepare()
    click.echo(f"console: http://{bind}:{port}/console/  login: {login[0]} / {login[1]}")
    run(bind, port, scheduler=True)


def _add_plugin_commands() -> None:
    for plugin, command in get_host().collect("gongdan_cli_commands"):
        if command.name in cli.commands:
            click.echo(f"plugin {plugin}: command {command.name!r} clashes, skipped", err=True)
            continue
        cli.add_command(command)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the `gongdan` console script."""
    try:
        _add_plugin_commands()
        return cli.main(args=argv, prog_name="gongdan", standalone_mode=False)
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except GongdanError as exc:
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
        click.echo(f"error: {exc.message}" + (f" ({details})" if details else ""), err=True)
        sys.exit(1)
    except PluginLoadError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
