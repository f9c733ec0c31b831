"""Searches that found nothing, counted per text: what the knowledge base is missing."""

from __future__ import annotations

from typing import Any

from gongdan import clock
from gongdan.models import Tenant
from gongdan_knowledge.models import ZeroQuery
from gongdan_knowledge.text import normalize

MAX_QUERY = 200


def record(tenant: Tenant, text: str) -> None:
    """Count one search of `text` (normalised, trimmed) that found nothing."""
    key = " ".join(normalize(text).split())[:MAX_QUERY]
    if not key:
        return
    now = clock.now()
    ZeroQuery.insert(tenant=tenant, query=key, count=1, last_at=now).on_conflict(
        conflict_target=[ZeroQuery.tenant, ZeroQuery.query],
        update={ZeroQuery.count: ZeroQuery.count + 1, ZeroQuery.last_at: now},
    ).execute()


def top(tenant: Tenant, limit: int = 50) -> list[dict[str, Any]]:
    """The most frequent searches that found nothing: `[{"query", "count", "last_at"}]`."""
    rows = ZeroQuery.of(tenant).order_by(ZeroQuery.count.desc(), ZeroQuery.last_at.desc()).limit(limit)
    return [{"query": r.query, "count": r.count, "last_at": r.last_at} for r in rows]


def forget(tenant: Tenant, text: str) -> None:
    """Drop one query from the list (the admin answered it)."""
    ZeroQuery.delete().where((ZeroQuery.tenant == tenant) & (ZeroQuery.query == text)).execute()
