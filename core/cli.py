"""The `gongdan` command line (click). Every command has `--help`.

Commands that create something print the new id (or token) alone on the last line of
standard output; errors go to standard error with a non-zero exit (2 for usage errors).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from peewee import Database

from gongdan import accounts
from gongdan.config import Settings
from gongdan.crypto import CryptoError
from gongdan.db import db, is_postgres, open_database
from gongdan.errors import GongdanError
from gongdan.models import SchemaVersion
from gongdan.plugins import PluginLoadError, get_host


def open_db(*, need_schema: bool = True) -> Database:
    """Open the configured database (`GONGDAN_DATABASE_URL`) unless it is open; plugin commands
    call this first. Run `gongdan init` before: it creates the tables.

    With `need_schema` (all but `init` and `demo`), a database without gongdan's schema is a
    one-line error (click.ClickException) naming the URL, and no empty SQLite file is left.
    """
    if db.obj is None:
        url = Settings.from_env().database_url
        if need_schema:
            _refuse_missing_sqlite_file(url)
        open_database(url)
        if need_schema and not db.obj.table_exists(SchemaVersion._meta.table_name):
            raise click.ClickException(_no_schema(url))
    return db.obj


def _no_schema(url: str) -> str:
    shown = url.split("@")[-1] if "@" in url else url  # never the password
    return (
        f"no gongdan schema in {shown}: run `gongdan init` first, or set GONGDAN_DATABASE_URL "
        "to the database you mean (make demo uses sqlite:///demo.db)"
    )


def _refuse_missing_sqlite_file(url: str) -> None:
    """A SQLite URL naming a file that does not exist: refuse before connecting creates it."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return
    path = Path(url[len("sqlite:///") :].split("?")[0])
    if not path.exists():
        raise click.ClickException(_no_schema(url))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gongdan")
def cli() -> None:
    """gongdan (工单): a ticket core for customer-service teams, extended by plugins."""


@cli.command()
def init() -> None:
    """Create or upgrade the schema of the core and of every loaded plugin (safe to repeat)."""
    from gongdan.schema import upgrade

    open_db(need_schema=False)
    layout: list[str] = []
    for change in upgrade(get_host(), report=layout):
        if change.before is None:
            click.echo(f"{change.owner}: created at version {change.after}")
        elif change.before != change.after:
            click.echo(f"{change.owner}: upgraded {change.before} -> {change.after}")
        else:
            click.echo(f"{change.owner}: up to date (version {change.after})")
    for line in layout:  # keys made shard-ready (PostgreSQL), tables distributed (Citus)
        click.echo(line)
    from gongdan.keys import encrypt_plain_values

    done = encrypt_plain_values(get_host())
    if any(done.values()):
        click.echo(
            f"encrypted {done['encrypted']} values stored in clear, indexed {done['indexed']} customers"
            + (", removed the secret key from the database" if done["legacy_key_removed"] else "")
        )


@cli.command()
def doctor() -> None:
    """Check the database's layout: tenant-owned tables whose keys lack tenant_id and, on Citus,
    tables not distributed or referenced as declared, or not co-located. Exit 1 on a problem."""
    from gongdan import citus
    from gongdan.schema import schemas

    open_db()
    kinds = citus.kinds(schemas(get_host()))
    found = citus.problems(schemas(get_host())) + citus.doctor(kinds)
    where = "Citus" if citus.has_citus() else ("PostgreSQL" if is_postgres() else "SQLite")
    for line in found:
        click.echo(line)
    if found:
        raise click.ClickException(f"{len(found)} problem(s) in the layout of {len(kinds)} tables ({where})")
    click.echo(f"{len(kinds)} tables checked on {where}: no problem")


@cli.group()
def keys() -> None:
    """Encryption keys (the root secret stays in the key file or GONGDAN_SECRET_KEY)."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Create a new data key, re-encrypt every encrypted value under it and drop the old key."""
    from gongdan.keys import count_values, rotate

    open_db()
    host = get_host()
    with click.progressbar(length=count_values(host), label="re-encrypting", file=sys.stderr) as bar:
        result = rotate(host, progress=bar.update)
    click.echo(f"re-encrypted {result.rewritten} values under key {result.new_key}", err=True)
    if result.dropped:
        click.echo(f"dropped old keys: {', '.join(result.dropped)}", err=True)
    if result.kept:
        click.echo(f"kept keys still in use (run again): {', '.join(result.kept)}", err=True)
    click.echo(result.new_key)


@cli.group()
def tenant() -> None:
    """Tenants: the clients (merchants, companies) this installation serves."""


@tenant.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The tenant's display name.")
@click.option("--timezone", default="Asia/Shanghai", show_default=True, help="IANA time zone.")
def tenant_create(slug: str, name: str, timezone: str) -> None:
    """Create tenant SLUG; prints its id."""
    open_db()
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
    open_db()
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
@click.option("--expires-in-days", type=click.IntRange(1, accounts.MAX_TOKEN_DAYS), help="Stop working after N days.")
def token_create(email: str, name: str, expires_in_days: int | None) -> None:
    """Create an API token for EMAIL and print it, once (only its hash is kept)."""
    open_db()
    row, secret = accounts.create_token(accounts.user_by_email(email), name, expires_in_days=expires_in_days)
    if row.expires_at is not None:
        click.echo(f"expires at {row.expires_at.isoformat(timespec='seconds')}", err=True)
    click.echo(secret)


@token.command("revoke")
@click.argument("prefix")
def token_revoke(prefix: str) -> None:
    """Revoke the token that starts with PREFIX (as shown, e.g. gd_AbC1234, or the whole token)."""
    open_db()
    found = accounts.active_tokens_by_prefix(prefix)
    if not found:
        raise GongdanError(f"no active token starts with {prefix!r}")
    if len(found) > 1:
        raise GongdanError(f"{len(found)} active tokens start with {prefix!r}: give more of it")
    row = found[0]
    accounts.revoke_token(row)
    click.echo(f"revoked {row.prefix}… ({row.name or 'no name'}) of {row.user.email}")


@cli.group()
def plugins() -> None:
    """Installed plugins and their per-tenant toggles."""


@plugins.command("list")
@click.option("--tenant", "tenant_slug", help="Also show whether each is enabled in this tenant.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_list(tenant_slug: str | None, as_json: bool) -> None:
    """Every discovered plugin: name, version, distribution, status and why it is not loaded.

    With --tenant, whether its toggle is on there; a plugin switched on that did not load is
    shown as "enabled, not running (failed)" (JSON: `enabled` true, `running` false).
    """
    host = get_host()
    rows = [record.as_dict() for _, record in sorted(host.records.items())]
    if tenant_slug:
        open_db()
        switched_on = host.switched_on(accounts.tenant(tenant_slug))
        for row in rows:
            row["enabled"] = row["name"] in switched_on
            row["running"] = row["enabled"] and row["status"] == "loaded"
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no plugins discovered")
    for row in rows:
        state = "" if "enabled" not in row else "  disabled"
        if row.get("enabled"):
            state = "  enabled" if row["running"] else f"  enabled, not running ({row['status']})"
        reason = f"  ({row['reason']})" if row["reason"] else ""
        click.echo(f"{row['name']:<16} {row['version']:<10} {row['distribution']:<28} {row['status']}{state}{reason}")


def _toggle(name: str, tenant_slug: str, enabled: bool) -> None:
    open_db()
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


@cli.group()
def plugin() -> None:
    """Writing plugins."""


@plugin.command("new")
@click.argument("name")
@click.option("--connector", is_flag=True, help="Add a marketplace connector: fake gateway, sync job, mapping, action.")
@click.option(
    "--path",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write (default: ./NAME).",
)
def plugin_new(name: str, connector: bool, target: Path | None) -> None:
    """Write a complete, installable, tested plugin NAME: setup.cfg with its entry point and
    package data, babel.cfg, ruff settings, a README, translations, and a test per hook."""
    from gongdan import scaffold

    folder = target or Path(name)
    files = scaffold.create(name, folder, connector=connector)
    for path in files:
        click.echo(f"wrote {path}", err=True)
    click.echo(f'next: pip install -e "{folder}[test]" && (cd {folder} && pytest)', err=True)
    click.echo(folder)


@cli.command()
@click.option("--host", "bind", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Do not run the scheduled jobs in this process.")
def serve(bind: str, port: int, no_scheduler: bool) -> None:
    """Serve the API, console and portal, with the scheduler embedded unless told not to."""
    from gongdan.serving import serve as run

    open_db()
    run(bind, port, scheduler=not no_scheduler)


@cli.command()
def worker() -> None:
    """Run the scheduled jobs alone (for deployments with several processes or machines)."""
    from gongdan import scheduler
    from gongdan.serving import exit_on_sigterm

    open_db()
    exit_on_sigterm()
    click.echo("gongdan worker: running scheduled jobs (Ctrl+C stops)", err=True)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.build(get_host(), blocking=True).start()


@cli.command()
@click.option("--host", "bind", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(bind: str, port: int) -> None:
    """Create the demo database (tenant, agents, customers, categories, plugin data) and serve it."""
    from gongdan.demo import allow_local_simulators, prepare
    from gongdan.serving import serve as run

    open_db(need_schema=False)
    allow_local_simulators()
    login = prepare()
    run(bind, port, scheduler=True, banner=f"console: http://{bind}:{port}/console/  login: {login[0]} / {login[1]}")


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Back up the whole installation into PATH (a consistent snapshot; the app may keep running).

    SQLite: the online backup API; PostgreSQL: pg_dump's custom format. Row counts go to
    PATH.manifest.json. The key file is not included: back it up separately.
    """
    from gongdan import backup

    with _progress("backing up") as step:
        manifest = backup.backup(Settings.from_env().database_url, path, step)
    for table, count in sorted(manifest.tables.items()):
        click.echo(f"{table:<32} {count:>10}", err=True)
    click.echo(f"{sum(manifest.tables.values())} rows in {len(manifest.tables)} tables; {manifest.keys}", err=True)
    click.echo(path)


@cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Restore although other processes use the database.")
def restore_command(path: Path, force: bool) -> None:
    """Restore the backup PATH into the configured database (stop serve and worker first).

    Prints every table's row count against the backup's manifest; exits 1 if one differs.
    """
    from gongdan import backup

    with _progress("restoring") as step:
        checks = backup.restore(Settings.from_env().database_url, path, force=force, progress=step)
    for check in checks:
        state = "ok" if check.expected == check.restored else ("not in the backup" if check.ok else "MISMATCH")
        click.echo(f"{check.table:<32} {check.expected!s:>10} {check.restored!s:>10}  {state}", err=True)
    bad = [check.table for check in checks if not check.ok]
    if bad:
        click.echo(f"error: row counts differ from the backup in {', '.join(bad)}", err=True)
        sys.exit(1)
    click.echo(f"restored {len(checks)} tables from {path}; row counts match the backup")


@contextlib.contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on standard error, driven by `(done, total)` calls."""
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:

        def step(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        yield step


def _add_plugin_commands() -> None:
    for plugin, command in get_host().collect("gongdan_cli_commands"):
        if cli.commands.get(command.name) is command:
            continue  # added by an earlier call of main() in this process
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
    except click.ClickException as exc:  # a plugin command's own error: its message, no traceback
        exc.show()
        sys.exit(exc.exit_code)
    except GongdanError as exc:
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.fields.items())
        click.echo(f"error: {exc.message}" + (f" ({details})" if details else ""), err=True)
        sys.exit(1)
    except (PluginLoadError, CryptoError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
