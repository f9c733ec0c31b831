"""Sending the portal's own e-mail (sign-in links and codes) through the e-mail plugin's SMTP.

The portal has no mail server of its own: it uses the outgoing mailbox the tenant configured
in the e-mail channel plugin. Without one, `configured` is False and the sign-in page says so.
"""

from __future__ import annotations

from typing import Any

from gongdan.models import Tenant
from gongdan.plugins import get_host

EMAIL = "email"


def configured(tenant: Tenant) -> bool:
    """Whether the tenant can send mail (the e-mail plugin is on and has an outgoing mailbox)."""
    if EMAIL not in get_host().loaded or not get_host().is_enabled(tenant, EMAIL):
        return False
    return _outbound() is not None and _outbound().can_send(tenant)


def _outbound() -> Any:
    """The e-mail plugin's outbound module, when it is installed."""
    try:
        from gongdan_email import outbound
    except ImportError:
        return None
    return outbound


def send(tenant: Tenant, to: str, subject: str, text: str) -> None:
    """Send one plain-text message to `to` (raises the e-mail plugin's error when SMTP fails)."""
    _outbound().send(tenant, to=to, subject=subject, text=text)
