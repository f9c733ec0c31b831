"""gongdan-assignment: tickets find the right agent at once, by skill, load and customer tier.

Strategies (least_loaded, round_robin, weighted, skills, tier, and any a third party
registers) are picked per tenant by ordered rules; agents' availability, shifts, leave and
capacity decide who may receive tickets; waiting tickets are handed out as capacity frees.
See docs/assignment.md.
"""

from gongdan.contributions import PluginSpec
from gongdan_assignment.hooks import (
    gongdan_api_blueprints,
    gongdan_assign_ticket,
    gongdan_assignment_strategies,
    gongdan_console_views,
    gongdan_demo_prepared,
    gongdan_event_kinds,
    gongdan_reconcile,
    gongdan_scheduled_jobs,
    gongdan_schema,
    gongdan_settings_schema,
    gongdan_ticket_assigned,
    gongdan_ticket_blocks,
    gongdan_ticket_created,
    gongdan_ticket_status_changed,
    gongdan_ticket_updated,
)

PLUGIN = PluginSpec(
    label="Assignment",
    label_zh="智能分配",
    category="workflow",
    description="Assigns tickets by skill, load and customer tier; queues what nobody can take yet.",
    description_zh="按技能、负载和客户等级分配工单；暂时无人可接的工单排队等待。",
    requires_core=">=0.1,<1",
)

__all__ = [
    "PLUGIN",
    "gongdan_api_blueprints",
    "gongdan_assign_ticket",
    "gongdan_assignment_strategies",
    "gongdan_console_views",
    "gongdan_demo_prepared",
    "gongdan_event_kinds",
    "gongdan_reconcile",
    "gongdan_scheduled_jobs",
    "gongdan_schema",
    "gongdan_settings_schema",
    "gongdan_ticket_assigned",
    "gongdan_ticket_blocks",
    "gongdan_ticket_created",
    "gongdan_ticket_status_changed",
    "gongdan_ticket_updated",
]
