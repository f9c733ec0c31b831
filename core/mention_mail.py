"""E-mail for @mentions: whoever is mentioned in a reply or note also gets an e-mail, in their own
language, unless they switched it off (`User.mention_email`).

The message is a core `Notification` (kind `mention`, one per recipient, since languages differ)
handed to the registered notification transport named `email` (`gongdan_notification_transports`;
the SLA plugin's sends through the tenant's SMTP settings from its outbox, with retries). Without
such a transport, or without SMTP set up, the bell alone tells them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gongdan import hooks
from gongdan.contributions import Notification
from gongdan.db import write_transaction
from gongdan.models import Comment, Tenant, Ticket, User

TRANSPORT = "email"
EXCERPT = 500


def message(user: User, tenant: Tenant, ticket: Ticket, comment: Comment, who: str) -> tuple[str, str]:
    """`(subject, body)` of the mention e-mail in the user's language (else the tenant's)."""
    excerpt = comment.body if len(comment.body) <= EXCERPT else comment.body[:EXCERPT] + "…"
    if (user.language or tenant.language or "zh_CN").startswith("zh"):
        kind = "内部备注" if comment.internal else "回复"
        subject = f"{who} 在工单 #{ticket.number}「{ticket.subject}」中提到了你"
        body = f"{who} 在{kind}中写道：\n\n{excerpt}\n\n工单 #{ticket.number}：{ticket.subject}"
    else:
        kind = "an internal note" if comment.internal else "a reply"
        subject = f"{who} mentioned you on ticket #{ticket.number} “{ticket.subject}”"
        body = f"{who} wrote in {kind}:\n\n{excerpt}\n\nTicket #{ticket.number}: {ticket.subject}"
    return subject, body


def notify(tenant: Tenant, ticket: Ticket, comment: Comment, who: str, user_ids: Iterable[int]) -> int:
    """Hand one `mention` notification per wanting, active user to the e-mail transport; returns how
    many were handed over (0 when no transport named `email` is registered)."""
    transport = hooks.notification_transports().get(TRANSPORT)
    wanted = sorted(set(user_ids))
    if transport is None or not wanted:
        return 0
    people = User.of(tenant).where(
        User.id.in_(wanted) & (User.is_active == True) & (User.mention_email == True)  # noqa: E712
    )
    sent = 0
    for user in people:
        subject, body = message(user, tenant, ticket, comment, who)
        transport.send(
            Notification(
                tenant_id=tenant.id,
                recipient_ids=[user.id],
                kind="mention",
                subject=subject,
                body=body,
                ticket_id=ticket.id,
                data={"comment_id": comment.id},
            )
        )
        sent += 1
    return sent


def wants_email(user: User) -> bool:
    """Whether `user` wants an e-mail when mentioned."""
    return bool(user.mention_email)


def set_wants_email(user: User, wanted: Any) -> bool:
    """Switch the user's mention e-mails on or off (their own preference: no role needed)."""
    if not isinstance(wanted, bool):
        from gongdan.errors import ValidationError

        raise ValidationError("not a yes/no value", {"mention_email": ["must be true or false"]})
    with write_transaction():
        User.update(mention_email=wanted).where(User.id == user.id).execute()
    user.mention_email = wanted
    return wanted


__all__ = ["message", "notify", "set_wants_email", "wants_email"]
