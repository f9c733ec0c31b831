"""`gongdan.connectors`: windows, reading pages backwards while records move, keeping agents'
edits, walking a ticket to a status, the rate limiter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gongdan import connectors, tickets
from gongdan.actors import Actor
from gongdan.models import TicketEvent

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
SYNC = Actor.system("plugin:test")


def test_windows_cover_the_span_each_overlapping_the_last() -> None:
    windows = connectors.plan_windows(
        T0, T0 + timedelta(minutes=70), span=timedelta(minutes=30), overlap=timedelta(minutes=5), first_overlap=True
    )
    assert [(w.start - T0, w.end - T0) for w in windows] == [
        (timedelta(minutes=-5), timedelta(minutes=25)),
        (timedelta(minutes=20), timedelta(minutes=50)),
        (timedelta(minutes=45), timedelta(minutes=70)),
    ]
    assert connectors.plan_windows(T0, T0, span=timedelta(minutes=30), overlap=timedelta(0), first_overlap=False) == []


class Listing:
    """A newest-first list of records, paged, where a record may change between two reads."""

    def __init__(self, count: int, page_size: int) -> None:
        self.records = [{"id": str(n), "v": 0} for n in range(count, 0, -1)]
        self.page_size = page_size
        self.reads = 0
        self.on_read: Any = None

    def fetch(self, page: int) -> tuple[int, list[dict[str, Any]]]:
        self.reads += 1
        if self.on_read:
            self.on_read(self)
        start = (page - 1) * self.page_size
        return len(self.records), [dict(r) for r in self.records[start : start + self.page_size]]

    def leave(self, record_id: str) -> None:
        """The record changed: its update time is now past the window, so it leaves the list
        (the next window reads it) and the older records behind it move forward."""
        self.records = [r for r in self.records if r["id"] != record_id]


def _read(listing: Listing, rereads: int = 3) -> list[dict[str, Any]]:
    return connectors.read_backwards(
        listing.fetch, listing.page_size, key=lambda r: r["id"], version=lambda r: r["v"], rereads=rereads
    )


def test_records_moving_while_the_pages_are_read_are_neither_missed_nor_doubled() -> None:
    listing = Listing(25, 10)  # newest first: page 1 holds 25..16, page 2 15..6, page 3 5..1

    def one_leaves_while_reading(this: Listing) -> None:
        if this.reads == 3:  # page 3 is read; record 20 (page 1) changes: 15 moves to page 1, 5 to page 2
            this.leave("20")

    listing.on_read = one_leaves_while_reading
    found = [r["id"] for r in _read(listing)]
    assert sorted(found, key=int) == [str(n) for n in range(1, 26) if n != 20]  # 20: the next window's
    forward = Listing(25, 10)
    forward.on_read = one_leaves_while_reading
    read = [r["id"] for page in (1, 2, 3) for r in forward.fetch(page)[1]]
    assert "5" not in read  # reading forward misses the record that moved onto a page already read


def test_a_growing_window_is_read_again_and_one_that_keeps_growing_is_an_error() -> None:
    listing = Listing(15, 10)

    def grow_once(this: Listing) -> None:
        if this.reads == 2:
            this.records.insert(0, {"id": "new", "v": 0})

    listing.on_read = grow_once
    assert len(_read(listing)) == 16
    always = Listing(15, 10)
    always.on_read = lambda this: this.records.insert(0, {"id": f"n{this.reads}", "v": 0})
    with pytest.raises(connectors.WindowKeptGrowing):
        _read(always, rereads=2)


def test_updates_keep_what_agents_changed_and_walk_to_the_status(tenant: Any, frozen_clock: Any) -> None:
    mapped = {"subject": "破损", "priority": "normal", "category": None, "tags": ["退款"]}
    ref = {"external_ref": {"system": "test", "id": "1"}}
    ticket, _ = tickets.create(tenant, {**mapped, **ref}, SYNC)
    tickets.update(tenant, ticket, {"priority": "urgent", "tags": ["退款", "VIP"]}, SYNC)
    again = {**mapped, "subject": "破损（已补充）"}
    sent = connectors.keep_agent_edits(tickets.get(tenant, ticket.id), again, applied=mapped)
    assert sent == {"subject": "破损（已补充）", "priority": "urgent", "category": None, "tags": ["VIP", "退款"]}
    assert connectors.keep_agent_edits(None, again, applied={}) == again

    moved = connectors.walk_to(tenant, tickets.get(tenant, ticket.id), "pending", SYNC)
    assert moved.status == "pending"
    kinds = [e.data.get("to") for e in TicketEvent.select().where(TicketEvent.kind == "status_changed")]
    assert kinds == ["open", "pending"]
    assert connectors.walk_to(tenant, moved, "pending", SYNC).status == "pending"


def test_the_rate_limiter_stays_under_the_limit() -> None:
    slept: list[float] = []
    window = connectors.SlidingWindow(10, 1.0, sleep=lambda s: slept.append(s) or _jump(window, s))
    waits = [window.acquire() for _ in range(10)]
    assert window.calls == 9  # a margin under the published 10
    assert waits[:9] == [0.0] * 9
    assert waits[9] > 0
    assert slept


def _jump(window: connectors.SlidingWindow, seconds: float) -> None:
    """Instead of sleeping: age the calls made so far by `seconds`."""
    window._sent = type(window._sent)(t - seconds for t in window._sent)
