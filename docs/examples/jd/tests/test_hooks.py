"""One test per hook the plugin implements; each runs on SQLite and, when configured, PostgreSQL."""

import pytest

import gongdan_jd
from gongdan import tickets
from gongdan.actors import Actor
from gongdan.cli import main
from gongdan.plugins import get_host
from gongdan.testing import unexported_hookimpls


def test_it_is_discovered_and_loaded(jd):
    assert get_host().record("jd").status == "loaded"


def test_every_hook_is_exported():
    # gongdan sees only what gongdan_jd/__init__.py exposes: import each new hook there
    assert unexported_hookimpls(gongdan_jd) == []


def test_settings_schema_validates(on):
    get_host().set_enabled(on, "jd", settings={"tag": "auto"})
    assert get_host().settings(on, "jd")["tag"] == "auto"
    with pytest.raises(Exception, match="settings"):
        get_host().set_enabled(on, "jd", settings={"tag": ""})


def test_ticket_created_tags_jd_tickets_only_where_enabled(on, other_tenant):
    ticket, _ = tickets.create(on, {"subject": "你好", "channel": "jd"}, Actor.system())
    assert tickets.get(on, ticket.id).tags == ["jd"]
    by_mail, _ = tickets.create(on, {"subject": "你好", "channel": "email"}, Actor.system())
    assert tickets.get(on, by_mail.id).tags == []
    elsewhere, _ = tickets.create(other_tenant, {"subject": "你好", "channel": "jd"}, Actor.system())
    assert tickets.get(other_tenant, elsewhere.id).tags == []


def test_api_blueprint(on, admin_api):
    assert admin_api.get("/api/v1/jd/status").get_json()["settings"]["tag"] == "jd"
    get_host().set_enabled(on, "jd", enabled=False)
    assert admin_api.get("/api/v1/jd/status").status_code == 404


def test_console_view_in_both_languages(on, console_client):
    assert "Jd status" in console_client("supervisor", language="en").text("/console/jd/")
    assert "Jd 状态" in console_client("supervisor", language="zh_CN").text("/console/jd/")


def test_cli_commands(on, other_tenant, capsys):
    main(["jd", "status", "--tenant", "acme"])
    assert "tag: jd" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["jd", "status", "--tenant", "globex"])
    assert refused.value.code == 1
    assert "Error: jd is not enabled for globex" in capsys.readouterr().err
