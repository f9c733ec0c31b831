"""The conversation on the console's ticket page: files, delivery states, replies with attachments.

Views only: files go through `gongdan.attachments`, replies through `gongdan.tickets`, retries
through `gongdan.delivery`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import flash
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from gongdan import attachments, delivery, tickets
from gongdan.actors import Actor
from gongdan.models import Attachment, Comment, Delivery, Tenant, Ticket

STATE_LABELS = {"queued": _l("Queued"), "sent": _l("Sent"), "retrying": _l("Send failed"), "failed": _l("Send failed")}
KIND_LABELS = {
    "acknowledgement": _l("Acknowledgement to the customer"),
    "resolved": _l("Resolution notice to the customer"),
    "reply": _l("Reply to the customer"),
}


@dataclass
class Conversation:
    """What the ticket page shows beside the comments: their files and deliveries, the notices."""

    files: dict[int, list[Attachment]] = field(default_factory=dict)
    loose_files: list[Attachment] = field(default_factory=list)
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    notices: list[Delivery] = field(default_factory=list)
    reachable: bool = False


def conversation(tenant: Tenant, ticket: Ticket, comments: list[Comment]) -> Conversation:
    """Files per comment, the ticket's own files, each reply's delivery and the notifications sent."""
    files = attachments.of_ticket(tenant, ticket)
    by_comment: dict[int, list[Attachment]] = {}
    for item in files:
        if item.comment_id is not None:
            by_comment.setdefault(item.comment_id, []).append(item)
    return Conversation(
        files=by_comment,
        loose_files=[a for a in files if a.comment_id is None],
        deliveries=delivery.for_comments(tenant, [c.id for c in comments]),
        notices=[d for d in delivery.of_ticket(tenant, ticket) if d.comment_id is None],
        reachable=delivery.can_reach(tenant, ticket),
    )


# a transport's reasons the console words (others are shown as the transport wrote them)
KNOWN_ERRORS = {
    "no active mailbox with an SMTP server in this tenant": _l(
        "no mailbox can send mail: add one with an SMTP server (E-mail → Mailboxes)"
    ),
}


def state_label(row: Delivery) -> str:
    """排队中 / 已发送 / 发送失败：原因 (and whether it is retried), in the console's language."""
    text = str(STATE_LABELS.get(row.state, row.state))
    if row.state in ("failed", "retrying") and row.last_error:
        reason = KNOWN_ERRORS.get(row.last_error, row.last_error)
        text = gettext("Send failed: %(reason)s", reason=str(reason))
    if row.state == "retrying":
        text += " · " + gettext("retrying automatically")
    return text


def kind_label(kind: str) -> str:
    """The label of a delivery kind (acknowledgement, resolution notice, reply)."""
    return str(KIND_LABELS.get(kind, kind))


def reply(
    tenant: Tenant,
    ticket: Ticket,
    body: str,
    actor: Actor,
    *,
    internal: bool,
    uploads: list[FileStorage],
    mentions: Sequence[int] = (),
) -> Comment:
    """Store the uploaded files, then add the comment carrying them (and its @mentions); no file is
    left behind on failure."""
    stored: list[Attachment] = []
    try:
        for upload in uploads:
            stored.append(
                attachments.store(tenant, upload.read(), upload.filename or "", ticket=ticket, uploaded_by=actor.user)
            )
        files = [a.id for a in stored]
        return tickets.comment(tenant, ticket, body, actor, internal=internal, attachment_ids=files, mentions=mentions)
    except Exception:
        for item in stored:
            attachments.delete(item)
        raise


def flash_reply(tenant: Tenant, ticket: Ticket, note: Comment) -> None:
    """Say what became of a reply: queued for the customer, or why it was not sent (never "sent")."""
    if note.internal:
        flash(gettext("Note added."), "success")
    elif delivery.for_comments(tenant, [note.id]):
        flash(gettext("Reply saved; it is queued for delivery to the customer."), "success")
    elif not delivery.can_reach(tenant, ticket):
        flash(gettext("Reply saved, but this ticket's channel cannot reach the customer."), "warning")
    else:
        flash(gettext("Reply saved; replies are not sent to customers (notification settings)."), "warning")


def template_helpers() -> dict[str, Any]:
    """Functions the ticket page's template uses."""
    return {
        "delivery_state": state_label,
        "delivery_kind": kind_label,
        "inline_image": attachments.is_inline_image,
    }
