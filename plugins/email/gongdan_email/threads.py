"""Which ticket a message belongs to.

1. `In-Reply-To`, then `References` (newest first), against the Message-IDs gongdan sent or
   received for the tenant's tickets;
2. else the ticket token `[#1234]` in the subject;
3. else none: a new ticket.

Either way only when the sender is that ticket's customer or an address on its mail (or, by
Message-ID, one of the tenant's own addresses), and the receiving server did not find the From
address forged (`ParsedMail.unverified`): a stranger quoting a Message-ID or a number, or a
forged customer address, opens a new ticket (`claimed` names the ticket it pretended to
continue, for a note).
"""

from __future__ import annotations

import re

from gongdan import merge
from gongdan.models import Tenant, Ticket

from .models import EmailMessage
from .parse import ParsedMail

TOKEN = re.compile(r"\[#(\d{1,9})\]")


def token(number: int) -> str:
    """The ticket token that goes in a subject."""
    return f"[#{number}]"


def by_message_ids(tenant: Tenant, ids: list[str]) -> Ticket | None:
    """The ticket of the first of `ids` gongdan knows (sent or received), if any."""
    if not ids:
        return None
    rows = (
        EmailMessage.select(EmailMessage.message_id, EmailMessage.ticket)
        .where((EmailMessage.tenant == tenant) & EmailMessage.message_id.in_(ids) & EmailMessage.ticket.is_null(False))
        .tuples()
    )
    ticket_of = dict(rows)
    for message_id in ids:
        if message_id in ticket_of:
            return Ticket.get_or_none((Ticket.id == ticket_of[message_id]) & (Ticket.tenant == tenant))
    return None


def participants(tenant: Tenant, ticket: Ticket) -> set[str]:
    """The ticket's customer and every address on its mail, lower case."""
    found: set[str] = set()
    if ticket.customer_id and ticket.customer.email:
        found.add(ticket.customer.email.strip().lower())
    rows = EmailMessage.select(EmailMessage.participants, EmailMessage.sender).where(
        (EmailMessage.tenant == tenant) & (EmailMessage.ticket == ticket)
    )
    for row in rows:
        found.update(a.lower() for a in row.participants or [])
        if row.sender:
            found.add(row.sender.lower())
    return found


def _belongs(tenant: Tenant, ticket: Ticket, mail: ParsedMail, own: set[str]) -> bool:
    return not mail.unverified and mail.sender in participants(tenant, ticket) - own


def by_token(tenant: Tenant, mail: ParsedMail, own: set[str]) -> Ticket | None:
    """The ticket named by a subject token, if the sender is its customer or a participant."""
    for match in TOKEN.finditer(mail.subject):
        ticket = Ticket.get_or_none((Ticket.tenant == tenant) & (Ticket.number == int(match.group(1))))
        if ticket is not None and _belongs(tenant, ticket, mail, own):
            return ticket
    return None


def claimed(tenant: Tenant, mail: ParsedMail) -> Ticket | None:
    """The ticket `mail` says it continues (by Message-ID, else by token), whoever sent it."""
    found = by_message_ids(tenant, mail.thread_ids)
    for match in [] if found is not None else TOKEN.finditer(mail.subject):
        found = Ticket.get_or_none((Ticket.tenant == tenant) & (Ticket.number == int(match.group(1))))
        if found is not None:
            break
    return found


def find_ticket(tenant: Tenant, mail: ParsedMail, own: set[str]) -> Ticket | None:
    """The ticket `mail` continues, or None for a new one. `own`: the tenant's mailbox addresses.

    A reply to a ticket that was merged into another continues the survivor (`gongdan.merge`)."""
    found = by_message_ids(tenant, mail.thread_ids)
    ours = mail.sender in own and not mail.unverified
    if found is not None and not (ours or _belongs(tenant, found, mail, own)):
        found = None  # a stranger or a forged sender; our own address may still reply in the thread
    found = found or by_token(tenant, mail, own)
    return merge.survivor(tenant, found) if found is not None else None
