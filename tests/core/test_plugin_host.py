"""The plugin host: discovery through real entry points, isolation, per-tenant dispatch, settings."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from marshmallow import Schema, fields, validate

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.contributions import Channel, PluginSpec
from gongdan.errors import NotFound, ValidationError
from gongdan.hookspecs import hookimpl
from gongdan.models import PluginFailure, Ticket, TicketEvent
from gongdan.plugins import get_host

GONGDAN = str(Path(sys.executable).with_name("gongdan"))

PLUGINS = {
    "broken": "raise RuntimeError('boom at import')\n",
    "ancient": "from gongdan.contributions import PluginSpec\nPLUGIN = PluginSpec(requires_core='>=99')\n",
    "wrong": "from gongdan.hookspecs import hookimpl\n\n@hookimpl\ndef gongdan_no_such_hook():\n    pass\n",
    "flaky": textwrap.dedent(
        """
        from gongdan.contributions import Channel, PluginSpec
        from gongdan.hookspecs import hookimpl

        PLUGIN = PluginSpec(label="Flaky", category="test", requires_core=">=0.1")

        @hookimpl
        def gongdan_channels():
            return [Channel("fax", "Fax")]

        @hookimpl
        def gongdan_ticket_created(ticket):
            raise RuntimeError(f"flaky cannot handle ticket {ticket.number}")
        """
    ),
}


@pytest.fixture
def site(tmp_path):
    """A folder of real (tiny) distributions with `gongdan.plugins` entry points."""
    for name, source in PLUGINS.items():
        (tmp_path / f"gongdan_{name}.py").write_text(source)
        info = tmp_path / f"gongdan_{name}-0.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: gongdan-{name}\nVersion: 0.3\n")
        (info / "entry_points.txt").write_text(f"[gongdan.plugins]\n{name} = gongdan_{name}\n")
    return tmp_path


def run(site, *args, db_url, **env):
    environ = {**os.environ, "PYTHONPATH": str(site), "GONGDAN_DATABASE_URL": db_url, **env}
    environ.pop("GONGDAN_STRICT_PLUGINS", None) if "GONGDAN_STRICT_PLUGINS" not in env else None
    return subprocess.run([GONGDAN, *args], capture_output=True, text=True, env=environ, timeout=60)


def listed(result):
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_each_broken_plugin_is_reported_and_the_rest_load(site, tmp_path):
    rows = listed(run(site, "plugins", "list", "--json", db_url=f"sqlite:///{tmp_path}/x.db"))
    assert rows["broken"]["status"] == "failed"
    assert "boom at import" in rows["broken"]["reason"]
    assert rows["ancient"]["status"] == "incompatible"
    assert ">=99" in rows["ancient"]["reason"]
    assert rows["wrong"]["status"] == "failed"
    assert "gongdan_no_such_hook" in rows["wrong"]["reason"]
    assert rows["flaky"]["status"] == "loaded"
    assert (rows["flaky"]["version"], rows["flaky"]["distribution"]) == ("0.3", "gongdan-flaky")


def test_kill_switches(site, tmp_path):
    url = f"sqlite:///{tmp_path}/x.db"
    blocked = listed(run(site, "plugins", "list", "--json", db_url=url, GONGDAN_BLOCKED_PLUGINS="flaky, broken"))
    assert blocked["flaky"]["status"] == blocked["broken"]["status"] == "blocked"
    nothing = listed(run(site, "plugins", "list", "--json", db_url=url, GONGDAN_DISABLE_PLUGIN_AUTOLOAD="1"))
    assert nothing == {}
    strict = run(site, "plugins", "list", db_url=url, GONGDAN_STRICT_PLUGINS="1")
    assert strict.returncode != 0
    assert "plugin ancient incompatible" in strict.stderr or "plugin broken failed" in strict.stderr


def test_app_starts_and_saves_tickets_while_a_plugin_is_broken(site, tmp_path):
    url = f"sqlite:///{tmp_path}/x.db"
    assert run(site, "init", db_url=url).returncode == 0
    assert run(site, "tenant", "create", "shop", "--name", "店", db_url=url).returncode == 0
    assert run(site, "plugins", "enable", "flaky", "--tenant", "shop", db_url=url).returncode == 0
    refused = run(site, "plugins", "enable", "broken", "--tenant", "shop", db_url=url)
    assert refused.returncode == 1
    assert "failed" in refused.stderr
    script = textwrap.dedent(
        """
        from gongdan.db import open_database
        from gongdan.web import create_app
        import sys
        open_database(sys.argv[1])
        from gongdan import accounts, tickets
        from gongdan.actors import Actor
        from gongdan.models import PluginFailure
        app = create_app()
        assert app.test_client().get("/api/v1/health").status_code == 200
        shop = accounts.tenant("shop")
        ticket, _ = tickets.create(shop, {"subject": "传真来的投诉", "channel": "fax"}, Actor.system())
        failure = PluginFailure.get(PluginFailure.plugin == "flaky")
        print(ticket.number, failure.plugin, failure.hook, failure.tenant.slug)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("GONGDAN_STRICT_PLUGINS", None)
    done = subprocess.run([sys.executable, "-c", script, url], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "flaky", "gongdan_ticket_created", "shop"]


class Echo:
    """A plugin that counts the notifications it gets, with settings."""

    PLUGIN = PluginSpec(label="Echo")

    def __init__(self):
        self.created = []

    @hookimpl
    def gongdan_ticket_created(self, tenant, ticket):
        self.created.append((tenant.slug, ticket.number))

    @hookimpl
    def gongdan_channels(self):
        return Channel("echo")

    @hookimpl
    def gongdan_settings_schema(self):
        class EchoSettings(Schema):
            greeting = fields.String(load_default="你好")
            volume = fields.Integer(load_default=3, validate=validate.Range(min=1, max=10))

        return EchoSettings


class Boom:
    """A plugin whose notification hook always raises."""

    @hookimpl
    def gongdan_ticket_created(self, ticket):
        raise RuntimeError("boom")


@pytest.fixture
def installed():
    host = get_host()
    added = []

    def add(obj, name):
        host.add(obj, name)
        added.append(name)
        return obj

    yield add
    for name in added:
        host.remove(name)


def test_notifications_reach_only_tenants_that_enabled_the_plugin(tenant, other_tenant, installed):
    echo = installed(Echo(), "echo")
    host = get_host()
    host.set_enabled(tenant, "echo", enabled=True)
    tickets.create(tenant, {"subject": "a"}, Actor.system())
    tickets.create(other_tenant, {"subject": "b"}, Actor.system())
    assert echo.created == [("acme", 1)]
    host.set_enabled(tenant, "echo", enabled=False)
    tickets.create(tenant, {"subject": "c"}, Actor.system())
    assert echo.created == [("acme", 1)]
    trail = [e.data["enabled"] for e in TicketEvent.select().where(TicketEvent.kind == "plugin.changed")]
    assert trail == [True, False]


def test_a_failing_plugin_does_not_stop_the_others_or_the_ticket(tenant, installed, hook_recorder):
    echo = installed(Echo(), "echo")
    installed(Boom(), "boom")
    host = get_host()
    host.set_enabled(tenant, "echo", enabled=True)
    host.set_enabled(tenant, "boom", enabled=True)
    ticket, _ = tickets.create(tenant, {"subject": "照常保存"}, Actor.system())
    assert Ticket.select().count() == 1
    assert echo.created == [("acme", ticket.number)]
    failure = PluginFailure.get()
    assert (failure.plugin, failure.hook, failure.tenant_id) == ("boom", "gongdan_ticket_created", tenant.id)
    assert "RuntimeError: boom" in failure.traceback
    assert TicketEvent.get(TicketEvent.kind == "created").dispatched_at is not None


def test_settings_are_validated_and_defaulted(tenant, installed):
    installed(Echo(), "echo")
    host = get_host()
    assert host.settings(tenant, "echo") == {"greeting": "你好", "volume": 3}
    with pytest.raises(ValidationError) as caught:
        host.set_enabled(tenant, "echo", settings={"volume": 11, "colour": "red"})
    assert set(caught.value.fields) == {"settings.volume", "settings.colour"}
    host.set_enabled(tenant, "echo", settings={"volume": 7})
    assert host.settings(tenant, "echo")["volume"] == 7
    with pytest.raises(NotFound):
        host.set_enabled(tenant, "nope", enabled=True)


def test_registered_channels_are_accepted(tenant, installed):
    with pytest.raises(ValidationError):
        tickets.create(tenant, {"subject": "x", "channel": "echo"}, Actor.system())
    installed(Echo(), "echo")
    ticket, _ = tickets.create(tenant, {"subject": "x", "channel": "echo"}, Actor.system())
    assert ticket.channel == "echo"
