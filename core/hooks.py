"""The typed facade through which core code calls plugins (never `pm.hook.x(...)` directly)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gongdan.contributions import (
    ActionHeld,
    AssignmentDecision,
    Channel,
    CustomerOrder,
    CustomerRating,
    TicketPanel,
)
from gongdan.plugins import get_host


def channels() -> dict[str, Channel]:
    """Every registered channel by name."""
    return _by_name("gongdan_channels")


def assign_ticket(tenant: Any, ticket: Any, actor: Any) -> AssignmentDecision | None:
    """Ask the tenant's assignment plugin who should take `ticket`."""
    return get_host().decide(tenant, "gongdan_assign_ticket", tenant=tenant, ticket=ticket, actor=actor)


def action_gate(tenant: Any, ticket: Any, action: Any, inputs: dict[str, Any], actor: Any) -> ActionHeld | None:
    """Ask the tenant's plugins whether `action` may run now (None) or is held (`ActionHeld`)."""
    return get_host().decide(
        tenant, "gongdan_action_gate", tenant=tenant, ticket=ticket, action=action, inputs=inputs, actor=actor
    )


def ticket_blocks(tenant: Any, tickets: list[Any]) -> dict[int, dict[str, Any]]:
    """`{ticket_id: {plugin: block}}` from every enabled plugin that adds to the representation."""
    merged: dict[int, dict[str, Any]] = {t.id: {} for t in tickets}
    if not tickets:
        return merged
    for plugin, answer in get_host().gather(tenant, "gongdan_ticket_blocks", tenant=tenant, tickets=tickets):
        for ticket_id, block in answer.items():
            if ticket_id in merged:
                merged[ticket_id][plugin] = block
    return merged


def ticket_panels(tenant: Any, ticket: Any, user: Any) -> list[TicketPanel]:
    """Console panels the tenant's enabled plugins add to `ticket`'s page, in display order."""
    answers = get_host().gather(tenant, "gongdan_ticket_panels", tenant=tenant, ticket=ticket, user=user)
    panels = [panel for _, answer in answers for panel in (answer if isinstance(answer, list) else [answer])]
    return sorted(panels, key=lambda p: p.order)


def customer_orders(tenant: Any, customer: Any) -> list[CustomerOrder]:
    """The orders the tenant's enabled plugins know of `customer`, newest first."""
    answers = get_host().gather(tenant, "gongdan_customer_orders", tenant=tenant, customer=customer)
    found = [order for _, answer in answers for order in (answer or [])]
    return sorted(found, key=lambda o: (o.at is not None, o.at or datetime.min), reverse=True)


def customer_ratings(tenant: Any, customer: Any) -> list[CustomerRating]:
    """How `customer` rated past resolutions, from the tenant's enabled plugins, newest first."""
    answers = get_host().gather(tenant, "gongdan_customer_ratings", tenant=tenant, customer=customer)
    found = [rating for _, answer in answers for rating in (answer or [])]
    return sorted(found, key=lambda r: r.rated_at, reverse=True)


def deadline_announced(tenant: Any, ticket: Any, kind: str, due_at: datetime, source: str) -> None:
    """Tell the tenant's plugins that an outside system set a deadline on `ticket`."""
    get_host().notify(
        tenant, "gongdan_deadline_announced", tenant=tenant, ticket=ticket, kind=kind, due_at=due_at, source=source
    )


def demo_history_built(tenant: Any, tickets: list[Any]) -> None:
    """Tell the tenant's plugins that the demo's past tickets were built."""
    get_host().notify(tenant, "gongdan_demo_history_built", tenant=tenant, tickets=tickets)


def reconcile(tenant: Any) -> None:
    """Let the tenant's plugins repair their state."""
    get_host().notify(tenant, "gongdan_reconcile", tenant=tenant)


def _by_name(hook: str) -> dict[str, Any]:
    return {item.name: item for _, item in get_host().registered(hook)}


def assignment_strategies() -> dict[str, Any]:
    """Every registered `AssignmentStrategy` by name."""
    return _by_name("gongdan_assignment_strategies")


def notification_transports() -> dict[str, Any]:
    """Every registered `NotificationTransport` by name."""
    return _by_name("gongdan_notification_transports")


def knowledge_sources() -> dict[str, Any]:
    """Every registered `KnowledgeSource` by name."""
    return _by_name("gongdan_knowledge_sources")


def connectors() -> dict[str, Any]:
    """Every registered `Connector` by name."""
    return _by_name("gongdan_connectors")


def event_kinds() -> dict[str, Any]:
    """Every registered `EventKind` by kind."""
    return _by_name("gongdan_event_kinds")
