"""Write-backs from the ticket to the marketplace, recorded as ticket events."""

from __future__ import annotations

from typing import Any

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.errors import ValidationError

from .settings import NAME
from .sync import gateway


def approve_refund(tenant: Any, ticket: Any, actor: Actor) -> None:
    """Approve the refund of the ticket's record and note it on the ticket."""
    client = gateway(tenant)
    if client is None or ticket.external_system != NAME:
        raise ValidationError("this ticket has no Jd record", {"ticket": ["not from Jd"]})
    client.approve_refund(ticket.external_id)
    tickets.record_event(tenant, ticket, f"{NAME}.refund_approved", {"record": ticket.external_id}, actor)
