"""Pinduoduo (拼多多) after-sales connector: shops, incremental sync, push messages and actions.

Every after-sales request of a connected shop becomes a ticket (channel `pdd`, `external_ref`
`{"system": "pdd", "id": <after-sales id>}`), kept in step by an incremental sync and by push
messages; agents agree to refunds and returns and note orders from the ticket. This module
holds the plugin's hook implementations; the work is done in the modules they name.
"""

from __future__ import annotations

from typing import Any

from gongdan.contributions import Channel, Connector, EventKind, PluginSpec, ScheduledJob, Schema
from gongdan.hookspecs import hookimpl

PLUGIN = PluginSpec(
    label="Pinduoduo connector",
    label_zh="拼多多连接器",
    category="connector",
    description="Pinduoduo after-sales requests become tickets; agree to refunds and returns from the ticket.",
    description_zh="拼多多售后申请变成工单；在工单上同意退款和退货。",
    requires_core=">=0.1,<1",
)


@hookimpl
def gongdan_schema() -> Schema:
    """The connector's tables."""
    from gongdan_pdd_connector.migrations import MIGRATIONS
    from gongdan_pdd_connector.models import MODELS

    # a shop is claimed by one tenant across the installation: the claims are a reference table
    kinds = {"pdd_shop_claim": "reference"}
    return Schema(owner="pdd_connector", models=MODELS, version=3, migrations=MIGRATIONS, kinds=kinds)


@hookimpl
def gongdan_channels() -> list[Channel]:
    """Tickets from Pinduoduo arrive by channel `pdd`."""
    return [Channel(name="pdd", label="拼多多", label_zh="拼多多", label_en="Pinduoduo")]


@hookimpl
def gongdan_event_kinds() -> list[EventKind]:
    """How the connector's ticket events read on the timeline."""
    order = {"order_sn": ("订单", "order", "text")}
    note = {"note": ("说明", "note", "text")}
    actions = {
        "agree_refund": ("同意退款", "agree to the refund"),
        "agree_return": ("同意退货", "agree to the return"),
        "order_note": ("订单备注", "order note"),
    }
    return [
        EventKind(
            "pdd_connector.refund_agreed", "在拼多多同意了退款", "agreed to the refund on Pinduoduo", {**order, **note}
        ),
        EventKind(
            "pdd_connector.return_agreed", "在拼多多同意了退货", "agreed to the return on Pinduoduo", {**order, **note}
        ),
        EventKind("pdd_connector.order_noted", "写了订单备注", "noted the order", {**order, **note}),
        EventKind(
            "pdd_connector.request_received",
            "收到拼多多售后申请",
            "received the Pinduoduo request",
            {"after_sales_id": ("售后单", "after-sales id", "text"), "refund_amount": ("退款金额", "refund", "text")},
        ),
        EventKind(
            "pdd_connector.action_failed",
            "拼多多拒绝了操作",
            "Pinduoduo refused an action",
            {"action": ("操作", "action", "code"), "error": ("原因", "why", "text")},
            actions,
        ),
    ]


@hookimpl
def gongdan_connectors() -> list[Connector]:
    """The outside system this plugin feeds tickets from."""
    from gongdan_pdd_connector import mapping

    return [
        Connector(
            name="pdd_connector",
            system="pdd",
            label="拼多多",
            description="after-sales requests (售后) of Pinduoduo shops, by incremental sync and push messages",
            problem_text=mapping.problem_text,
        )
    ]


@hookimpl
def gongdan_settings_schema() -> Any:
    """The per-tenant settings: mapping overrides and sync timing."""
    from gongdan_pdd_connector.settings import PddSettingsSchema

    return PddSettingsSchema


@hookimpl
def gongdan_api_blueprints() -> list[Any]:
    """Routes under /api/v1/pdd/."""
    from gongdan_pdd_connector.api import bp

    return [bp]


@hookimpl
def gongdan_cli_commands() -> list[Any]:
    """`gongdan pdd shops|connect|sync|listen`."""
    from gongdan_pdd_connector.cli import pdd

    return [pdd]


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """Incremental sync every minute, token refresh, and the push listeners."""
    from gongdan_pdd_connector import jobs

    return [
        ScheduledJob(id="pdd_connector.sync", func=jobs.sync_due, seconds=30, description="sync due Pinduoduo shops"),
        ScheduledJob(
            id="pdd_connector.tokens", func=jobs.refresh_tokens, seconds=300, description="refresh expiring tokens"
        ),
        ScheduledJob(
            id="pdd_connector.push", func=jobs.keep_listening, seconds=30, description="keep push listeners running"
        ),
    ]


@hookimpl
def gongdan_ticket_blocks(tenant: Any, tickets: list[Any]) -> dict[int, dict[str, Any]]:
    """The `pdd` block of tickets that came from Pinduoduo: ids, status, shop, deadline."""
    from gongdan_pdd_connector.representation import ticket_blocks

    return ticket_blocks(tenant, tickets)


@hookimpl
def gongdan_ticket_actions() -> list[Any]:
    """Agree to the refund, agree to the return, note the order: as ticket actions."""
    from gongdan_pdd_connector.ticket_actions import ticket_actions

    return ticket_actions()


@hookimpl
def gongdan_ticket_panels(tenant: Any, ticket: Any, user: Any) -> Any:
    """The console panel with the after-sales record, the masked order and the actions."""
    from gongdan_pdd_connector.console import ticket_panel

    return ticket_panel(tenant, ticket, user)


@hookimpl
def gongdan_customer_orders(tenant: Any, customer: Any) -> Any:
    """The buyer's orders (from their after-sales requests) for the customer card."""
    from gongdan_pdd_connector.customer_orders import orders_of

    return orders_of(tenant, customer)


@hookimpl
def gongdan_console_views() -> list[Any]:
    """Console pages: shops and their sync state, quarantine."""
    from gongdan_pdd_connector.console import console_views

    return console_views()


@hookimpl
def gongdan_reconcile(tenant: Any) -> None:
    """Sync runs left `running` by a crashed process are marked failed (`interrupted`)."""
    from gongdan_pdd_connector.sync import reconcile

    reconcile(tenant)


@hookimpl
def gongdan_demo_prepared(tenant: Any, admin: Any) -> None:
    """Start the local gateway simulator and connect its shops to the demo tenant."""
    from gongdan_pdd_connector.demo import prepare

    prepare(tenant)
