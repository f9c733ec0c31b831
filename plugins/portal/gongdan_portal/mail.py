"""Sending the portal's own e-mail (sign-in links and codes) through the e-mail plugin's SMTP.

The portal has no mail server of its own: it sends from the tenant's first active mailbox of
the e-mail channel plugin, over that mailbox's SMTP connection (`gongdan_email.send.open_smtp`,
which goes through the core's outbound guard). Without one, `configured` is False and the
sign-in page says so.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from gongdan import outbound
from gongdan.models import Tenant
from gongdan.plugins import get_host

EMAIL = "email"


def _mailbox(tenant: Tenant) -> Any:
    """The mailbox that sends for `tenant`, or None (plugin missing or off, no SMTP server)."""
    host = get_host()
    if EMAIL not in host.loaded or not host.is_enabled(tenant, EMAIL):
        return None
    from gongdan_email.mailboxes import sender_of

    mailbox = sender_of(tenant, None)
    return mailbox if mailbox is not None and mailbox.smtp_host else None


def configured(tenant: Tenant) -> bool:
    """Whether the tenant can send mail (the e-mail plugin is on with an SMTP mailbox)."""
    return _mailbox(tenant) is not None


def send(tenant: Tenant, to: str, subject: str, text: str, sender_name: str) -> None:
    """Send one plain-text message to `to`; raises the SMTP or outbound error when it fails."""
    from gongdan_email.send import open_smtp

    mailbox = _mailbox(tenant)
    if mailbox is None:
        raise RuntimeError("no mailbox with an SMTP server in this tenant")
    mime = EmailMessage()
    mime["From"] = formataddr((outbound.header_text(sender_name), mailbox.address))
    mime["To"] = to
    mime["Subject"] = outbound.header_text(subject)
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = make_msgid(domain=mailbox.address.rsplit("@", 1)[-1])
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(text)
    client = open_smtp(mailbox)
    try:
        client.send_message(mime, from_addr=mailbox.address, to_addrs=[to])
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
