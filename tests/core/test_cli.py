"""The `gongdan` command line, run as users run it (a real process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gongdan.builtin import gongdan_schema
from gongdan.cli import _add_plugin_commands
from gongdan.cli import cli as cli_group

GONGDAN = str(Path(sys.executable).with_name("gongdan"))


@pytest.fixture
def cli(tmp_path):
    env = {**os.environ, "GONGDAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    def run(*args, stdin=None):
        return subprocess.run([GONGDAN, *args], capture_output=True, text=True, env=env, input=stdin, timeout=60)

    return run


def test_set_up_a_tenant_from_scratch(cli):
    first = cli("init")
    assert first.returncode == 0
    version = gongdan_schema().version
    assert f"core: created at version {version}" in first.stdout
    again = cli("init")
    assert f"core: up to date (version {version})" in again.stdout
    tenant = cli("tenant", "create", "acme", "--name", "Acme 旗舰店")
    assert tenant.returncode == 0
    assert tenant.stdout.strip().splitlines()[-1] == "1"
    user = cli(
        "user",
        "create",
        "Boss@Acme.cn",
        "--tenant",
        "acme",
        "--role",
        "admin",
        "--password-stdin",
        stdin="s3cret-password\n",
    )
    assert user.returncode == 0, user.stderr
    assert user.stdout.strip().splitlines()[-1] == "1"
    token = cli("token", "create", "boss@acme.cn").stdout.strip().splitlines()[-1]
    assert token.startswith("gd_")
    assert len(token) > 30
    listed = json.loads(cli("plugins", "list", "--tenant", "acme", "--json").stdout)
    assert all("enabled" in row and "status" in row for row in listed)


def test_errors_are_one_clear_line(cli):
    cli("init")
    cli("tenant", "create", "acme", "--name", "Acme")
    duplicate = cli("tenant", "create", "acme", "--name", "Again")
    assert duplicate.returncode == 1
    assert duplicate.stderr.strip() == "error: a tenant with slug 'acme' exists already"
    unknown = cli("user", "create", "a@b.cn", "--tenant", "nope", "--role", "agent")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "error: no tenant 'nope'")
    usage = cli("tenant", "create")
    assert usage.returncode == 2
    assert len(usage.stderr.strip().splitlines()) == 1
    assert "Missing argument 'SLUG'" in usage.stderr
    bad_role = cli("user", "create", "a@b.cn", "--tenant", "acme", "--role", "king")
    assert bad_role.returncode == 2
    short = cli("user", "create", "a@b.cn", "--tenant", "acme", "--role", "agent", "--password-stdin", stdin="123\n")
    assert short.returncode == 1
    assert "password" in short.stderr
    missing = cli("plugins", "enable", "no-such-plugin", "--tenant", "acme")
    assert (missing.returncode, missing.stderr.strip()) == (1, "error: no plugin named 'no-such-plugin'")


def commands(group, path=()):
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def test_every_command_has_help():
    runner = CliRunner()
    _add_plugin_commands()
    every = list(commands(cli_group))
    assert {
        ("init",),
        ("tenant", "create"),
        ("user", "create"),
        ("token", "create"),
        ("plugins", "list"),
        ("plugins", "enable"),
        ("plugins", "disable"),
        ("serve",),
        ("worker",),
        ("demo",),
    } <= set(every)
    for path in [(), *every]:
        shown = runner.invoke(cli_group, [*path, "--help"], prog_name="gongdan")
        assert shown.exit_code == 0, path
        assert "Usage: gongdan" in shown.output
        assert shown.output.count("\n") > 2, f"{path} has no help text"


def test_tokens_expire_and_are_revoked_by_prefix(cli):
    cli("init")
    cli("tenant", "create", "acme", "--name", "Acme")
    cli("user", "create", "bot@acme.cn", "--tenant", "acme", "--role", "agent")
    weak = cli(
        "user", "create", "w@acme.cn", "--tenant", "acme", "--role", "agent", "--password-stdin", stdin="qq123456789\n"
    )
    assert weak.returncode == 1
    assert "too common" in weak.stderr
    created = cli("token", "create", "bot@acme.cn", "--name", "nightly", "--expires-in-days", "30")
    assert created.returncode == 0, created.stderr
    assert "expires at" in created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert cli("token", "create", "bot@acme.cn", "--expires-in-days", "0").returncode == 2
    assert cli("token", "revoke", "gd_").returncode == 1  # too short to name one token
    revoked = cli("token", "revoke", token[:10])
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == f"revoked {token[:10]}… (nightly) of bot@acme.cn"
    again = cli("token", "revoke", token)
    assert (again.returncode, again.stderr.strip()) == (1, f"error: no active token starts with {token!r}")
