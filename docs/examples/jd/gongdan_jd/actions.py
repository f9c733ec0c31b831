"""Write-backs from the ticket to JD, recorded as ticket events."""

from __future__ import annotations

from typing import Any

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.errors import ValidationError

from .settings import NAME
from .sync import gateway


def approve_refund(tenant: Any, ticket: Any, actor: Actor) -> None:
    """Approve (审核通过) the ticket's JD service order and note it on the ticket."""
    client = gateway(tenant)
    if client is None or ticket.external_system != NAME:
        raise ValidationError("this ticket has no JD service order", {"ticket": ["not from JD"]})
    client.audit(ticket.external_id, approve=True, remark=f"gongdan #{ticket.number}")
    tickets.record_event(tenant, ticket, f"{NAME}.refund_approved", {"record": ticket.external_id}, actor)
