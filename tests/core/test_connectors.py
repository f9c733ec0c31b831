"""`gongdan.connectors`: windows, reading pages backwards while records move, keeping agents'
edits, walking a ticket to a status, the rate limiter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import peewee as pw
import pytest

from gongdan import connectors, tickets
from gongdan.actors import Actor
from gongdan.errors import ValidationError
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


def test_an_oldest_first_list_read_backwards_misses_nothing_either() -> None:
    listing = Listing(25, 10)
    listing.records.reverse()  # oldest first: page 1 holds 1..10, page 2 11..20, page 3 21..25

    def one_leaves_while_reading(this: Listing) -> None:
        if this.reads == 3:  # page 3 is read; record 5 (page 1) changes: 11 moves to page 1, 21 to page 2
            this.leave("5")

    listing.on_read = one_leaves_while_reading
    found = [r["id"] for r in _read(listing)]
    assert sorted(found, key=int) == [str(n) for n in range(1, 26) if n != 5]


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


class Keyset:
    """A list sorted by (update time, id) paged by an opaque token (the last row's key), where a
    record may change between two reads: its update time moves past the window and it leaves."""

    def __init__(self, count: int, page_size: int) -> None:
        self.rows = {str(n): n for n in range(1, count + 1)}  # id → update time
        self.page_size, self.reads = page_size, 0
        self.on_read: Any = None

    def fetch(self, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        self.reads += 1
        if self.on_read:
            self.on_read(self)
        after = tuple(int(x) for x in token.split(":")) if token else (-1, -1)
        rows = sorted((t, int(i)) for i, t in self.rows.items() if (t, int(i)) > after)
        page = rows[: self.page_size]
        more = len(rows) > self.page_size
        return [{"id": str(i), "v": t} for t, i in page], (f"{page[-1][0]}:{page[-1][1]}" if more else None)


def test_token_pages_read_forward_miss_nothing_while_records_move() -> None:
    listing = Keyset(25, 10)

    def two_change(this: Keyset) -> None:
        if this.reads == 2:  # after page 1: record 3 (read) and record 18 (not yet) change
            del this.rows["3"], this.rows["18"]

    listing.on_read = two_change
    found = connectors.read_by_token(listing.fetch, key=lambda r: r["id"], version=lambda r: r["v"])
    assert sorted(int(r["id"]) for r in found) == [n for n in range(1, 26) if n != 18]  # 18: the next window's
    assert listing.reads == 3


def test_a_token_given_twice_stops_the_read() -> None:
    with pytest.raises(connectors.TokenRepeated, match="twice"):
        connectors.read_by_token(lambda token: ([{"id": "1"}], "same"), key=lambda r: r["id"], version=lambda r: 0)


class Cursor(connectors.SyncCursor):
    class Meta:
        table_name = "test_conn_cursor"


class Mirror(connectors.RecordMirror):
    class Meta:
        table_name = "test_conn_mirror"


class Held(connectors.RecordQuarantine):
    class Meta:
        table_name = "test_conn_quarantine"


class ShopMirror(connectors.RecordMirror):
    """A connector's own mirror: a column of its own; an equal version is stored again."""

    shop = pw.CharField(max_length=64, default="")

    class Meta:
        table_name = "test_conn_shop_mirror"

    def supersedes(self, version: datetime) -> bool:
        return self.updated_at > version


RECORD = {
    "subject": "破损",
    "channel": "api",
    "priority": "normal",
    "category": "售后/退货退款/质量问题",
    "tags": ["退款"],
    "external_ref": {"system": "test", "id": "A1"},
}


@pytest.fixture
def connector_tables(gongdan_db: Any) -> Any:
    models = [Cursor, Mirror, Held, ShopMirror]
    gongdan_db.create_tables(models)
    yield models
    gongdan_db.drop_tables(models)


def test_cursor_mirror_and_quarantine_tables(
    gongdan_db: Any, tenant: Any, other_tenant: Any, connector_tables: Any
) -> None:
    for model in connector_tables:  # shard-ready: the tenant first in every unique index
        unique = [i.columns for i in gongdan_db.get_indexes(model._meta.table_name) if i.unique and i.columns != ["id"]]
        assert unique, model
        assert all(columns[0] == "tenant_id" for columns in unique), unique
    assert Cursor.position(tenant, "shop-1") is None
    Cursor.advance(tenant, "shop-1", T0)
    Cursor.advance(tenant, "shop-1", T0 + timedelta(hours=1))
    Cursor.advance(other_tenant, "shop-1", T0)
    assert Cursor.position(tenant, "shop-1") == T0 + timedelta(hours=1)
    assert Cursor.of(tenant).count() == 1
    Held.hold(tenant, "9", {"id": 9}, "no status")
    Held.hold(tenant, "9", {"id": 9, "status": "?"}, "unknown status ?")
    assert [(h.reason, h.raw) for h in Held.of(tenant)] == [("unknown status ?", {"id": 9, "status": "?"})]
    assert Held.release(tenant, "9")
    assert not Held.release(tenant, "9")


def test_upsert_skips_old_versions_keeps_agents_edits_and_walks_the_ticket(tenant: Any, connector_tables: Any) -> None:
    mapped = RECORD
    ticket = connectors.upsert(tenant, mapped, mirror=Mirror, version=T0, actor=SYNC, target="open", state="6")
    assert (ticket.status, ticket.category.path) == ("new", "售后/退货退款/质量问题")  # a new ticket stays new
    assert Mirror.find(tenant, "A1").state == "6"
    tickets.update(tenant, ticket, {"priority": "urgent", "tags": ["退款", "VIP"]}, SYNC)
    assert connectors.upsert(tenant, {**mapped, "subject": "旧"}, mirror=Mirror, version=T0, actor=SYNC) is None
    later = {**mapped, "tags": ["退款中"]}
    again = connectors.upsert(tenant, later, mirror=Mirror, version=T0 + timedelta(1), actor=SYNC, target="pending")
    assert again.id == ticket.id
    stored = tickets.get(tenant, ticket.id)
    assert (stored.status, stored.priority, stored.subject, stored.tags) == (
        "pending",
        "urgent",
        "破损",
        ["VIP", "退款中"],
    )
    row = Mirror.find(tenant, "A1")
    assert (row.ticket_id, row.applied["tags"], row.updated_at) == (ticket.id, ["退款中"], T0 + timedelta(1))


def test_upsert_options_for_a_connector_with_more_to_keep(tenant: Any, connector_tables: Any) -> None:
    mapped = {**RECORD, "description": "买家：外包装破损", "external_ref": {"system": "test", "id": "B1"}}
    seen: list[tuple[int, bool]] = []

    def store(version: datetime, target: str, **options: Any) -> Any:
        options.setdefault("on_stored", lambda ticket, created: seen.append((ticket.id, created)))
        return connectors.upsert(
            tenant, options.pop("mapped", mapped), mirror=ShopMirror, version=version, actor=SYNC,
            target=target, keep_agent_status=True, **options,
        )  # fmt: skip

    ticket = store(T0, "pending", columns={"shop": "s1"}, remember={"due": "2026-11-03"})
    row = ShopMirror.find(tenant, "B1")
    assert (row.shop, row.applied["status"], row.applied["due"]) == ("s1", "pending", "2026-11-03")
    assert (tickets.get(tenant, ticket.id).status, seen) == ("pending", [(ticket.id, True)])

    tickets.transition(tenant, tickets.get(tenant, ticket.id), "open", SYNC)  # an agent reopens it
    updates = TicketEvent.select().where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "updated"))
    assert store(T0, "pending", known=ShopMirror.find(tenant, "B1")).id == ticket.id  # equal version: stored
    assert tickets.get(tenant, ticket.id).status == "open"  # the record's status did not change: the agent's kept
    assert (updates.count(), seen[-1]) == (0, (ticket.id, False))  # nothing differed: no write

    store(T0 + timedelta(hours=1), "resolved", mapped={**mapped, "description": "买家：已补充照片"})
    stored = tickets.get(tenant, ticket.id)
    assert (stored.status, stored.description, updates.count()) == ("resolved", "买家：已补充照片", 1)

    def fails(ticket: Any, created: bool) -> None:
        raise RuntimeError("the connector's own write failed")

    with pytest.raises(RuntimeError):
        store(T0 + timedelta(hours=2), "resolved", columns={"shop": "s2"}, on_stored=fails)
    row = ShopMirror.find(tenant, "B1")  # rolled back with it: the record is stored again next time
    assert (row.shop, row.updated_at) == ("s1", T0 + timedelta(hours=1))
    assert store(T0 - timedelta(hours=1), "open") is None  # older: skipped
    with pytest.raises(ValidationError):  # ensure_category=False: the path must exist already
        store(T0, "open", mapped={**mapped, "category": "未建/分类", "external_ref": {"system": "test", "id": "B2"}},
              ensure_category=False)  # fmt: skip
