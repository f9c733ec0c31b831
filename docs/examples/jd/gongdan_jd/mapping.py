"""A marketplace record → the ticket service's create payload (pure functions, easy to test)."""

from __future__ import annotations

from typing import Any

from .settings import NAME

CATEGORIES = {"damaged": "售后/退货退款/质量问题", "not_received": "售后/物流/未收到货"}
OTHER = "售后/其他/其他"


class Malformed(ValueError):
    """A record that cannot become a ticket; the reason says why, for a person to act on."""


def to_ticket(record: dict[str, Any]) -> dict[str, Any]:
    """The `tickets.create` payload of `record` (see gongdan's docs/ticket-service.md).

    A second create with the same `external_ref` updates the ticket: subject, priority and tags
    are replaced, the customer is never updated.
    """
    try:
        record_id, reason = str(record["id"]), str(record["reason"])
    except KeyError as missing:
        raise Malformed(f"the record has no {missing.args[0]}") from None
    return {
        "subject": f"售后 {record_id}: {record.get('title') or reason}"[:200],
        "channel": NAME,
        "priority": "high" if float(record.get("amount") or 0) >= 500 else "normal",
        "category": CATEGORIES.get(reason, OTHER),
        "tags": [reason],
        "customer": {"name": str(record.get("buyer") or ""), "external_id": record.get("buyer_id")},
        "external_ref": {"system": NAME, "id": record_id},
    }
