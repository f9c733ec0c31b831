"""REST routes under `/api/v1/email/`: the tenant's mailboxes (admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from gongdan.api.common import api_route, current_actor, current_tenant, json_body

from . import mailboxes
from .mailboxes import MailboxSchema
from .models import Mailbox
from .settings import PLUGIN

bp = Blueprint("email", __name__, url_prefix="/api/v1/email")


@api_route(bp, "/mailboxes", ["POST"], role="admin", plugin=PLUGIN, body=MailboxSchema, status=201)
def create_mailbox(body: dict[str, Any]) -> Any:
    """Add a mailbox: IMAP to fetch from, SMTP to reply with; passwords are write-only, stored encrypted."""
    return mailboxes.as_dict(mailboxes.create(current_tenant(), body, current_actor())), 201


@api_route(bp, "/mailboxes", role="admin", plugin=PLUGIN)
def list_mailboxes() -> Any:
    """The tenant's mailboxes with their fetch status (last fetch, error, backlog)."""
    rows = Mailbox.of(current_tenant()).order_by(Mailbox.id)
    return {"items": [mailboxes.as_dict(m) for m in rows]}


@api_route(bp, "/mailboxes/<mailbox_id>", role="admin", plugin=PLUGIN)
def get_mailbox(mailbox_id: str) -> Any:
    """One mailbox."""
    return mailboxes.as_dict(mailboxes.get(current_tenant(), mailbox_id))


@api_route(bp, "/mailboxes/<mailbox_id>", ["PATCH"], role="admin", plugin=PLUGIN)
def update_mailbox(mailbox_id: str) -> Any:
    """Change any of the fields of `POST`; passwords left out (or empty) are kept."""
    tenant = current_tenant()
    mailbox = mailboxes.get(tenant, mailbox_id)
    return mailboxes.as_dict(mailboxes.update(tenant, mailbox, json_body(), current_actor()))


@api_route(bp, "/mailboxes/<mailbox_id>", ["DELETE"], role="admin", plugin=PLUGIN, status=204)
def delete_mailbox(mailbox_id: str) -> Any:
    """Remove a mailbox (its messages stay on their tickets)."""
    tenant = current_tenant()
    mailboxes.delete(tenant, mailboxes.get(tenant, mailbox_id), current_actor())
    return "", 204
