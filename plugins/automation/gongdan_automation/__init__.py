"""gongdan-automation: triggers, time rules, macros and approvals over ticket actions, per tenant.

Triggers listen to the ticket service's notification hooks (and, through a tail of the event
log, to plugin events such as `sla.breach`); approvals hold actions through the core's
`gongdan_action_gate`; everything acts through `gongdan.actions.run`. See docs/automation.md.
"""

from __future__ import annotations

from typing import Any

from gongdan.contributions import EventKind, PluginSpec, ScheduledJob, Schema
from gongdan.hookspecs import hookimpl

PLUGIN = PluginSpec(
    label="Automation",
    label_zh="自动化",
    category="workflow",
    description="Triggers, time rules, macros and approvals over ticket actions.",
    description_zh="触发器、时间规则、快捷回复和审批，均基于工单操作。",
    requires_core=">=0.1,<1",
)


@hookimpl
def gongdan_event_kinds() -> list[EventKind]:
    """How approvals and outside systems' results read on the ticket's timeline, in zh and en."""
    from .events import event_kinds

    return event_kinds()


@hookimpl
def gongdan_schema() -> Schema:
    """The plugin's tables."""
    from .models import MODELS

    return Schema(owner="automation", models=MODELS, version=1)


@hookimpl
def gongdan_settings_schema() -> Any:
    """Business hours and the trigger depth limit."""
    from .settings import AutomationSettingsSchema

    return AutomationSettingsSchema


@hookimpl
def gongdan_api_blueprints() -> list[Any]:
    """`/api/v1/automation/...`."""
    from .api import bp

    return [bp]


@hookimpl
def gongdan_console_views() -> list[Any]:
    """Rules, macros and approvals in the console."""
    from .console import console_views

    return console_views()


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """Time rules hourly; plugin events every 30 s; webhooks every 10 s; approvals' expiry every 5 minutes."""
    from . import approvals, engine, webhooks

    return [
        ScheduledJob(
            id="automation.time_rules",
            func=engine.time_rules_job,
            cron={"minute": "0"},
            description="time rules: act once per ticket, rule and change",
        ),
        ScheduledJob(
            id="automation.plugin_events",
            func=engine.plugin_events_job,
            seconds=30,
            description="triggers on plugin events (SLA warnings and breaches, ...)",
            after_ingestion=True,  # an ingesting command runs it too (a Pinduoduo request's trigger)
        ),
        ScheduledJob(
            id="automation.webhooks",
            func=webhooks.job,
            seconds=10,
            description="event webhooks: queue new events, send and retry signed deliveries",
        ),
        ScheduledJob(
            id="automation.approvals",
            func=approvals.expiry_job,
            seconds=300,
            description="expire approvals past their time",
        ),
    ]


@hookimpl
def gongdan_action_gate(tenant: Any, ticket: Any, action: Any, inputs: dict, actor: Any) -> Any:
    """Hold an action an approval rule covers."""
    from .approvals import gate

    return gate(tenant, ticket, action, inputs, actor)


@hookimpl
def gongdan_ticket_panels(tenant: Any, ticket: Any, user: Any) -> Any:
    """Macros (into the reply editor) and the ticket's pending approvals."""
    from .console import ticket_panels

    return ticket_panels(tenant, ticket, user)


@hookimpl
def gongdan_ticket_created(tenant: Any, ticket: Any) -> None:
    """Triggers on `created`."""
    from .engine import on_event

    on_event(tenant, ticket, "created")


@hookimpl
def gongdan_ticket_updated(tenant: Any, ticket: Any) -> None:
    """Triggers on `updated`."""
    from .engine import on_event

    on_event(tenant, ticket, "updated")


@hookimpl
def gongdan_ticket_status_changed(tenant: Any, ticket: Any) -> None:
    """Triggers on `status_changed`."""
    from .engine import on_event

    on_event(tenant, ticket, "status_changed")


@hookimpl
def gongdan_ticket_assigned(tenant: Any, ticket: Any) -> None:
    """Triggers on `assigned`."""
    from .engine import on_event

    on_event(tenant, ticket, "assigned")


@hookimpl
def gongdan_ticket_linked(tenant: Any, parent: Any, child: Any) -> None:
    """Triggers on `linked`, for the parent ticket (a follow-up was opened under it)."""
    from .engine import on_event

    on_event(tenant, parent, "linked")


@hookimpl
def gongdan_comment_added(tenant: Any, ticket: Any, comment: Any) -> None:
    """Triggers on `customer_comment`, `agent_comment` or `note`."""
    from .engine import on_event

    kind = "note" if comment.internal else "customer_comment" if comment.from_customer else "agent_comment"
    on_event(tenant, ticket, kind, comment)
