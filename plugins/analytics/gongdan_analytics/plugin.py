"""The analytics plugin's hook implementations: tables, routes, pages, jobs, and following each ticket."""

from __future__ import annotations

from typing import Any

from gongdan.contributions import EventKind, ScheduledJob, Schema
from gongdan.hookspecs import hookimpl
from gongdan.models import Comment, Tenant, Ticket, User
from gongdan.plugins import get_host

from . import rollup
from .models import MODELS
from .rollup import CATCH_UP_SECONDS

PLUGIN = "analytics"
ALERT_SECONDS = 300
REPORTS_SECONDS = 60


@hookimpl
def gongdan_schema() -> Schema:
    """The plugin's tables."""
    return Schema(owner=PLUGIN, models=MODELS, version=1)


@hookimpl
def gongdan_settings_schema() -> Any:
    """Alert thresholds, robot webhooks, staffing target."""
    from .settings import AnalyticsSettingsSchema

    return AnalyticsSettingsSchema


@hookimpl
def gongdan_api_blueprints() -> list[Any]:
    """`/api/v1/reports/...`."""
    from .api import reports_bp

    return [reports_bp]


@hookimpl
def gongdan_console_views() -> list[Any]:
    """Reports, the week at a glance, forecast and staffing."""
    from .console import console_views

    return console_views()


@hookimpl
def gongdan_cli_commands() -> Any:
    """`gongdan analytics rebuild|catch-up|alerts`."""
    from .cli import analytics

    return analytics


def catch_up_job() -> None:
    """Count the event log's news (new and changed tickets, SLA breaches, ratings) into the rollups,
    in every tenant where the plugin is on. The only place tickets are counted: figures are up to
    `CATCH_UP_SECONDS` behind, and creating or changing a ticket costs the request nothing here."""
    for tenant in get_host().tenants_with(PLUGIN):
        rollup.catch_up(tenant)


def alerts_job() -> None:
    """Look for anomalies and announce each new episode, in every tenant where the plugin is on."""
    from .alerts import evaluate

    for tenant in get_host().tenants_with(PLUGIN):
        evaluate(tenant)


def scheduled_reports_job() -> None:
    """Send the scheduled reports whose time has come, in every tenant where the plugin is on."""
    from .scheduled import run_due

    for tenant in get_host().tenants_with(PLUGIN):
        run_due(tenant)


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """The catch-up (figures up to a minute behind) and the scheduled reports (every minute), the
    anomaly alerts (every 5 minutes)."""
    return [
        ScheduledJob(
            id="analytics.catch_up",
            func=catch_up_job,
            seconds=CATCH_UP_SECONDS,
            description="count new and changed tickets, SLA breaches and ratings into the report rollups",
        ),
        ScheduledJob(
            id="analytics.alerts",
            func=alerts_job,
            seconds=ALERT_SECONDS,
            description="anomaly alerts to WeCom, DingTalk and Feishu robots, once per episode",
        ),
        ScheduledJob(
            id="analytics.scheduled_reports",
            func=scheduled_reports_job,
            seconds=REPORTS_SECONDS,
            description="e-mail the daily and weekly reports whose time has come (one worker per run)",
        ),
    ]


@hookimpl
def gongdan_comment_added(tenant: Tenant, ticket: Ticket, comment: Comment) -> None:
    """An agent's work time, per public reply (ticket counts are the catch-up job's: no work here)."""
    rollup.record_work(tenant, comment)


@hookimpl
def gongdan_event_kinds() -> list[EventKind]:
    """How the plugin's audit entries read: promotions and scheduled reports changed."""
    shown = {"before": ("之前", "before", "text"), "after": ("之后", "after", "text")}
    return [
        EventKind("analytics.promotions_changed", "修改了大促日期", "changed the promotions", shown),
        EventKind("analytics.subscription_created", "新建了定时报表", "scheduled a report", {"after": shown["after"]}),
        EventKind("analytics.subscription_changed", "修改了定时报表", "changed a scheduled report", shown),
        EventKind(
            "analytics.subscription_deleted",
            "删除了定时报表",
            "deleted a scheduled report",
            {"before": shown["before"]},
        ),
    ]


@hookimpl
def gongdan_demo_history_built(tenant: Tenant, tickets: list[Ticket]) -> None:
    """Count the demo's weeks of tickets before the server starts, so the reports are full at once."""
    rollup.catch_up(tenant)


@hookimpl
def gongdan_demo_prepared(tenant: Tenant, admin: User) -> None:
    """Sixty days of history behind the demo's charts and forecast."""
    from .demo import prepare

    prepare(tenant, admin)
