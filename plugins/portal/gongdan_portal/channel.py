"""The `portal` channel, and the links the portal adds to every customer notification.

A portal customer reads answers in the portal; what reaches them outside it is e-mail. So the
channel's `deliver` hands the message to the e-mail channel when the tenant has it (the
customer then gets the mail, with the access link below), and otherwise accepts it as shown
in the portal only: the reply is on the request's page, which the customer opens with the
access link of an earlier message or by signing in. Tickets without an e-mail address (phone
only) are shown in the portal only as well.
"""

from __future__ import annotations

import os

from flask import has_request_context, request

from gongdan import delivery
from gongdan.contributions import Channel, DeliveryReceipt, OutboundMessage
from gongdan.models import Tenant, Ticket
from gongdan.plugins import get_host
from gongdan_portal.identity import access_token

NAME = "portal"
DEFAULT_BASE = "http://127.0.0.1:5000"


def deliver(message: OutboundMessage) -> DeliveryReceipt:
    """Send through the tenant's e-mail channel when there is one and an address; else shown in the portal."""
    email = delivery.reaching_channel(message.tenant, "email")
    customer = message.ticket.customer if message.ticket.customer_id else None
    if email is None or customer is None or not customer.email:
        return DeliveryReceipt(external_id=None)
    return email.deliver(message)


CHANNEL = Channel(
    name=NAME, label="客户门户 Customer portal", deliver=deliver, label_zh="客户门户", label_en="Customer portal"
)


def base_url(tenant: Tenant) -> str:
    """Where customers reach this server: the tenant's setting, `GONGDAN_PUBLIC_URL`, or this request's host."""
    configured = get_host().settings(tenant, NAME)["public_url"] or os.environ.get("GONGDAN_PUBLIC_URL", "")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return DEFAULT_BASE


def ticket_url(tenant: Tenant, ticket: Ticket, *, rate: bool = False) -> str:
    """The access link that opens `ticket` in the portal without signing in (`rate`: at the rating form)."""
    link = f"{base_url(tenant)}/portal/{tenant.slug}/t/{access_token(tenant.id, ticket.id)}"
    return link + ("?rate=1" if rate else "")


def links(tenant: Tenant, ticket: Ticket, kind: str) -> list[tuple[str, str, str]]:
    """`(label_zh, label_en, url)`: the request's page in every notification, the rating on `resolved`."""
    found = [("查看您的请求", "View your request", ticket_url(tenant, ticket))]
    if kind == "resolved":
        found.append(("评价我们的服务", "Rate our answer", ticket_url(tenant, ticket, rate=True)))
    return found


def settings_open(tenant: Tenant) -> bool:
    """Whether the tenant's portal is open (links to a closed portal would lead nowhere)."""
    return bool(get_host().settings(tenant, NAME)["open"])


__all__ = ["CHANNEL", "deliver", "links", "ticket_url"]
