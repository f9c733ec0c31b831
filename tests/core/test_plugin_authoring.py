"""What a plugin author relies on (issue 19): isolated blueprints, plugin CLI commands and their
errors, the truthful `plugins list --tenant`, failing jobs recorded like hooks, `console_client`."""

from __future__ import annotations

import json
from typing import Any

import click
import pytest
from click.testing import CliRunner
from flask import Blueprint

from gongdan import scheduler
from gongdan.cli import cli, main, open_db
from gongdan.contributions import ScheduledJob
from gongdan.hookspecs import hookimpl
from gongdan.models import JobRun, PluginFailure, Tenant, TenantPlugin
from gongdan.plugins import PluginRecord, get_host


class Clashing:
    """A plugin whose blueprint is named like the core's API blueprint."""

    @hookimpl
    def gongdan_api_blueprints(self) -> list[Blueprint]:
        return [Blueprint("api", __name__, url_prefix="/api/v1/clash")]


def test_a_clashing_blueprint_is_that_plugins_failure_and_the_app_starts(gongdan_db: Any, register_plugin: Any) -> None:
    from gongdan.web import create_app

    register_plugin(Clashing(), "clashing")
    app = create_app()
    assert app.test_client().get("/api/v1/health").status_code == 200
    failure = PluginFailure.get(PluginFailure.plugin == "clashing")
    assert failure.hook == "gongdan_api_blueprints"
    assert "'api'" in failure.error


@click.group("jd")
def jd() -> None:
    """A plugin's command group."""


@jd.command("count")
def count() -> None:
    """Open the database like a plugin command and count the tenants."""
    open_db()
    click.echo(f"{Tenant.select().count()} tenants")


@jd.command("sync")
def sync() -> None:
    """Fail the way a plugin command should."""
    raise click.ClickException("the gateway refused the signature / 网关拒绝了签名")


class Commands:
    """A plugin adding `gongdan jd ...`."""

    @hookimpl
    def gongdan_cli_commands(self) -> list[click.Command]:
        return [jd]


@pytest.fixture
def jd_commands(register_plugin: Any) -> Any:
    register_plugin(Commands(), "jd")
    yield
    cli.commands.pop("jd", None)


def test_plugin_commands_open_the_database_and_their_click_errors_are_one_line(
    tenant: Any, jd_commands: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["jd", "count"])
    assert capsys.readouterr().out.strip() == "1 tenants"
    with pytest.raises(SystemExit) as failed:
        main(["jd", "sync"])
    assert failed.value.code == 1
    err = capsys.readouterr().err
    assert err.strip() == "Error: the gateway refused the signature / 网关拒绝了签名"


def test_plugins_list_shows_a_failed_plugin_that_is_still_switched_on(tenant: Any) -> None:
    host = get_host()
    host.records["brokenjd"] = PluginRecord(name="brokenjd", status="failed", reason="import failed: boom")
    try:
        TenantPlugin.create(tenant=tenant, plugin="brokenjd", enabled=True)
        text = CliRunner().invoke(cli, ["plugins", "list", "--tenant", "acme"])
        line = next(line for line in text.output.splitlines() if line.startswith("brokenjd"))
        assert "failed  enabled, not running (failed)  (import failed: boom)" in line
        rows = json.loads(CliRunner().invoke(cli, ["plugins", "list", "--tenant", "acme", "--json"]).output)
        row = next(row for row in rows if row["name"] == "brokenjd")
        assert (row["enabled"], row["running"], row["status"]) == (True, False, "failed")
    finally:
        host.records.pop("brokenjd")


def _explode() -> None:
    raise RuntimeError("the gateway is down")


class Jobs:
    """A plugin with a job that fails."""

    @hookimpl
    def gongdan_scheduled_jobs(self) -> list[ScheduledJob]:
        return [ScheduledJob(id="jobber.sweep", func=_explode, seconds=60)]


def test_a_failing_job_is_recorded_as_its_plugins_failure(gongdan_db: Any, register_plugin: Any) -> None:
    register_plugin(Jobs(), "jobber")
    job = next(job for job in scheduler.jobs(get_host()) if job.id == "jobber.sweep")
    assert job.plugin == "jobber"
    assert scheduler.run_job(job) is True
    failure = PluginFailure.get(PluginFailure.plugin == "jobber")
    assert (failure.hook, failure.error) == ("job jobber.sweep", "RuntimeError: the gateway is down")
    assert "the gateway is down" in JobRun.get(JobRun.job_id == "jobber.sweep").last_error


def test_console_client_is_signed_in_and_posts_with_the_csrf_token(console_client: Any) -> None:
    supervisor = console_client("supervisor", language="zh_CN")
    assert supervisor.user.role == "supervisor"
    assert "工单" in supervisor.text("/console/tickets/")
    assert supervisor.post("/console/logout", {"csrf_token": "forged"}).status_code == 400
    assert supervisor.post("/console/logout").status_code == 302
    assert supervisor.get("/console/tickets/").status_code == 302  # signed out


class Refunder:
    """A plugin with one ticket action."""

    @hookimpl
    def gongdan_ticket_actions(self) -> list[Any]:
        from marshmallow import Schema

        from gongdan.contributions import TicketAction

        return [TicketAction("refunder.refund", "退款", "Refund", Schema, lambda *args: None)]


def test_an_action_not_offered_says_why(tenant: Any, admin_api: Any, register_plugin: Any) -> None:
    from gongdan import tickets
    from gongdan.actors import Actor

    register_plugin(Refunder(), "refunder", everywhere=False)
    ticket, _ = tickets.create(tenant, {"subject": "退款"}, Actor.system())
    off = admin_api.post(f"/api/v1/tickets/{ticket.id}/actions/refunder.refund", json={})
    assert off.status_code == 404
    assert "plugin refunder's, not enabled here" in off.get_json()["error"]["message"]
    unknown = admin_api.post(f"/api/v1/tickets/{ticket.id}/actions/doudian.refund", json={})
    assert "exported from its entry-point module" in unknown.get_json()["error"]["message"]
    chinese = admin_api.post(
        f"/api/v1/tickets/{ticket.id}/actions/doudian.refund", json={}, headers={"Accept-Language": "zh-CN"}
    )
    assert chinese.get_json()["error"]["message"] == "找不到该工单动作。"
