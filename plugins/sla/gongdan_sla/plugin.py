"""The SLA plugin's hook implementations: what it registers and how it follows each ticket."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from gongdan import clock
from gongdan.actors import Actor
from gongdan.contributions import ScheduledJob, Schema, TicketPanel
from gongdan.hookspecs import hookimpl
from gongdan.models import Tenant, Ticket
from gongdan.plugins import get_host

from . import china_days, engine, notify
from .blocks import ticket_blocks
from .models import MODELS

SWEEP_SECONDS = 30
log = logging.getLogger("gongdan_sla")


@hookimpl
def gongdan_schema() -> Schema:
    """The plugin's tables."""
    return Schema(owner="sla", models=MODELS, version=1)


@hookimpl
def gongdan_settings_schema() -> Any:
    """Transports, SMTP and webhook settings per tenant."""
    from .settings import SlaSettingsSchema

    return SlaSettingsSchema


@hookimpl
def gongdan_api_blueprints() -> list[Any]:
    """`/api/v1/sla/...` and `/api/v1/notifications`."""
    from .api import notifications_bp, sla_bp

    return [sla_bp, notifications_bp]


@hookimpl
def gongdan_cli_commands() -> Any:
    """`gongdan sla sweep [--dry-run] [--at ISO-TIME]`."""
    from .cli import sla

    return sla


@hookimpl
def gongdan_notification_transports() -> list[Any]:
    """In-app, e-mail (SMTP) and webhook (HMAC-SHA256 signed) transports."""
    return notify.TRANSPORTS


def sweep_job() -> None:
    """The scheduled sweep over every tenant where the plugin is enabled."""
    from .sweep import sweep_all

    sweep_all()


def deliveries_job() -> None:
    """Retry e-mails and webhooks whose back-off has passed, in every tenant."""
    for tenant in get_host().tenants_with(notify.PLUGIN):
        notify.retry_due(tenant)


def holiday_horizon_job() -> None:
    """Log a warning while China's announced holiday schedule ends within 60 days."""
    warning = china_days.horizon_warning(clock.now().date())
    if warning:
        log.warning(warning)


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """The sweep (every 30 s), the delivery retries and the daily holiday-horizon check."""
    return [
        ScheduledJob(
            id="sla.holiday_horizon",
            func=holiday_horizon_job,
            cron={"hour": "9", "minute": "0"},
            description="warn 60 days before China's announced holiday schedule runs out",
        ),
        ScheduledJob(
            id="sla.sweep",
            func=sweep_job,
            seconds=SWEEP_SECONDS,
            description="fire SLA warnings, breaches and escalations that came due",
        ),
        ScheduledJob(
            id="sla.deliveries",
            func=deliveries_job,
            seconds=SWEEP_SECONDS,
            description="retry SLA e-mails and webhooks with back-off",
        ),
    ]


@hookimpl
def gongdan_console_views() -> list[Any]:
    """Console pages to edit policies and calendars."""
    from .console import console_views

    return console_views()


@hookimpl
def gongdan_ticket_panels(tenant: Tenant, ticket: Ticket, user: Any) -> Any:
    """The SLA panel on the console's ticket page."""
    from .console import ticket_panel

    block = ticket_blocks(tenant, [ticket]).get(ticket.id)
    return TicketPanel(name="sla", title="SLA", html=ticket_panel(block, tenant.timezone), order=10) if block else None


@hookimpl
def gongdan_ticket_blocks(tenant: Tenant, tickets: list[Ticket]) -> dict[int, dict[str, Any]]:
    """The `sla` block of each ticket of the page, in one query."""
    return ticket_blocks(tenant, tickets)


@hookimpl
def gongdan_ticket_created(tenant: Tenant, ticket: Ticket) -> None:
    """Choose the policy and stamp the due times."""
    engine.on_created(tenant, ticket)


@hookimpl
def gongdan_event_kinds() -> list[Any]:
    """How `sla.*` events read on the timeline."""
    from .event_kinds import event_kinds

    return event_kinds()


@hookimpl
def gongdan_ticket_status_changed(tenant: Tenant, ticket: Ticket, old: str, new: str, actor: Actor) -> None:
    """Pause, resume, meet or reopen the clocks."""
    engine.on_status_changed(tenant, ticket, old, new, actor)


@hookimpl
def gongdan_comment_added(tenant: Tenant, ticket: Ticket, comment: Any) -> None:
    """Public agent replies meet response targets; customer replies start the next-response clock."""
    engine.on_comment(tenant, ticket, comment.internal, comment.from_customer)


@hookimpl
def gongdan_ticket_updated(tenant: Tenant, ticket: Ticket, changes: dict) -> None:
    """Re-choose the policy when what it matches on changed."""
    engine.on_updated(tenant, ticket, changes)


@hookimpl
def gongdan_deadline_announced(tenant: Tenant, ticket: Ticket, kind: str, due_at: datetime, source: str) -> None:
    """Tighten a due time to an outside deadline (e.g. a marketplace refund's expire_time)."""
    engine.on_deadline(tenant, ticket, kind, due_at)


DEMO_WEEK = {str(day): [["09:00", "12:00"], ["13:30", "18:00"]] for day in range(5)}
DEMO_POLICIES = [
    {
        "name": "VIP",
        "conditions": {"tier": ["vip"]},
        "first_response": 30,
        "next_response": 60,
        "resolution": 480,
        "escalations": [
            {"after": 0, "actions": ["notify_supervisor"]},
            {"after": 60, "actions": ["raise_priority", "notify_admin"]},
        ],
    },
    {
        "name": "Refunds",
        "conditions": {"category": "售后"},
        "first_response": 60,
        "next_response": 120,
        "resolution": 960,
        "escalations": [{"after": 30, "actions": ["notify_supervisor", "reassign"]}],
    },
    {"name": "Standard", "first_response": 120, "next_response": 240, "resolution": 1440},
]


@hookimpl
def gongdan_demo_prepared(tenant: Tenant) -> None:
    """A lunch-break calendar with China's holidays and three policies; stamp the demo tickets."""
    from .policies import save_calendars, save_policies

    save_calendars(tenant, {"items": [{"name": "default", "weekly": DEMO_WEEK, "region": "CN"}]})
    engine.reconcile(tenant)
    save_policies(tenant, {"items": DEMO_POLICIES})  # also gives the demo's tickets their policy


@hookimpl
def gongdan_reconcile(tenant: Tenant) -> None:
    """Stamp unresolved tickets that have no SLA row."""
    engine.reconcile(tenant)
