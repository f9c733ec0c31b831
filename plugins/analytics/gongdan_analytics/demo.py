"""Demo history: eight weeks of tickets behind the charts and the forecast (`gongdan demo`)."""

from __future__ import annotations

from gongdan.models import Tenant, User


def prepare(tenant: Tenant, admin: User) -> None:
    """Placeholder replaced below."""
