"""`gongdan.connectors`: the parts every marketplace connector needs, taken from the Pinduoduo
connector (which uses them), so a new connector does not copy them.

* `plan_windows` — overlapping windows of update times up to an end behind the gateway's clock;
* `read_backwards` — every record of a window read from the last page to the first, again while
  the window grows, each record once (its newest version);
* `keep_agent_edits` — the update to send for a known record without undoing an agent's edits;
* `walk_to` — a ticket moved to a target status through the state machine's legal steps;
* `SlidingWindow` — a client-side rate limiter that stays a little under a published limit;
* `read_by_token` — every record of a window from an API paged by an opaque token (a cursor);
* `SyncCursor`, `RecordMirror`, `RecordQuarantine` — the tables every connector keeps (subclass
  each with a table name of your plugin's): how far a shop was read, what the sync last applied
  to each record's ticket, and the records that could not become tickets;
* `upsert` — one mapped record → its ticket (created, or updated keeping agents' edits, walked
  to its status) and its mirror row, skipping a version already stored; with options for a
  connector that keeps more (the Pinduoduo connector stores every record through it).

See docs/writing-connectors.md for why each rule matters.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import peewee as pw

from gongdan import categories, clock, tickets
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.fields import JSONField, UTCDateTimeField
from gongdan.models import Tenant, TenantModel, Ticket


@dataclass(frozen=True)
class Window:
    """A span of update times `[start, end]` read in one go."""

    start: datetime
    end: datetime


def plan_windows(
    cursor: datetime, end_limit: datetime, *, span: timedelta, overlap: timedelta, first_overlap: bool
) -> list[Window]:
    """Windows from `cursor` to `end_limit`, each at most `span` long and overlapping the previous
    one by `overlap` (the first one too when `first_overlap`: a cursor's window is read again).

    End `end_limit` a few minutes behind the gateway's clock: recent changes may not be listed yet.
    """
    windows: list[Window] = []
    start = cursor - overlap if first_overlap else cursor
    reached = cursor
    while reached < end_limit:
        end = min(start + span, end_limit)
        windows.append(Window(start, end))
        reached = end
        start = end - overlap
    return windows


class WindowKeptGrowing(RuntimeError):
    """Records kept arriving in a window while it was read; read it again later."""


Page = tuple[int, list[dict[str, Any]]]


def read_backwards(
    fetch: Callable[[int], Page],
    page_size: int,
    *,
    key: Callable[[dict[str, Any]], str],
    version: Callable[[dict[str, Any]], Any],
    rereads: int = 3,
) -> list[dict[str, Any]]:
    """Every record of one window: `fetch(page)` → `(total, items)` for pages numbered from 1.

    Lists sorted newest first shift while they are read: a record that changes leaves its page
    and the ones behind it move forward. Reading from the last page to the first meets every
    record at least once; a record met twice is kept once, its newest `version`; records without
    a `key` are all kept. If the total grew meanwhile the window is read again (at most
    `rereads` times, then `WindowKeptGrowing`).
    """
    for _ in range(rereads):
        total, first = fetch(1)
        pages = math.ceil(total / page_size)
        if pages <= 1:
            return list(first)
        found: dict[str, dict[str, Any]] = {}
        anonymous: list[dict[str, Any]] = []
        last_total = total
        for page in range(pages, 0, -1):
            last_total, items = fetch(page)
            _keep_newest(items, found, anonymous, key, version)
        if last_total <= total:
            return list(found.values()) + anonymous
    raise WindowKeptGrowing("the window kept growing while it was read")


def _keep_newest(
    items: list[dict[str, Any]],
    found: dict[str, dict[str, Any]],
    anonymous: list[dict[str, Any]],
    key: Callable[[dict[str, Any]], str],
    version: Callable[[dict[str, Any]], Any],
) -> None:
    """Add a page's `items` to `found` (by `key`, the newest `version` kept) or, keyless, to `anonymous`."""
    for item in items:
        name = key(item)
        if not name:
            anonymous.append(item)
        elif name not in found or version(item) >= version(found[name]):
            found[name] = item


def keep_agent_edits(ticket: Ticket | None, mapped: dict[str, Any], applied: dict[str, Any]) -> dict[str, Any]:
    """What to send to `tickets.create` for a record seen before: the `mapped` values, except where
    an agent changed a field since the connector last `applied` it and the record did not change
    it; tags an agent added are kept beside the record's own (re-creating replaces tags)."""
    if ticket is None or not applied:
        return dict(mapped)
    current = {
        "subject": ticket.subject,
        "priority": ticket.priority,
        "category": ticket.category.path if ticket.category_id else None,
    }
    out = {key: mapped[key] if mapped[key] != applied.get(key) else current[key] for key in current}
    own = set(applied.get("tags", []))
    kept = [t for t in ticket.tags if t not in own]
    out["tags"] = list(dict.fromkeys(kept + mapped["tags"]))
    return out


PATHS = {
    ("new", "open"): [],  # an agent's first reply opens it
    ("new", "pending"): ["open", "pending"],
    ("new", "resolved"): ["resolved"],
    ("open", "pending"): ["pending"],
    ("open", "resolved"): ["resolved"],
    ("pending", "open"): ["open"],
    ("pending", "resolved"): ["resolved"],
    ("resolved", "open"): ["open"],
    ("resolved", "pending"): ["open", "pending"],
}


def walk_to(tenant: Tenant, ticket: Ticket, target: str, actor: Actor) -> Ticket:
    """Move `ticket` to `target` (open / pending / resolved) through legal transitions, each one
    recorded; a `new` ticket stays new for `open` and a closed one stays closed."""
    for step in PATHS.get((ticket.status, target), []):
        ticket = tickets.transition(tenant, ticket, step, actor)
    return ticket


class SlidingWindow:
    """At most `calls` acquisitions in any `seconds`; `acquire()` blocks until one is allowed.

    Keeps a `margin` (a share of `calls`, at least one) and `slack` seconds under the published
    limit, so the other side, counting on its own clock, never sees a breach.
    """

    def __init__(
        self,
        calls: int,
        seconds: float,
        *,
        margin: float = 0.03,
        slack: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.calls = max(1, calls - max(1, int(calls * margin)))
        self.seconds = seconds + slack
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._sleep = sleep
        self.waited = 0.0

    def acquire(self) -> float:
        """Take one slot, waiting as needed; returns how long it waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self.seconds:
                    self._sent.popleft()
                if len(self._sent) < self.calls:
                    self._sent.append(now)
                    self.waited += waited
                    return waited
                pause = self.seconds - (now - self._sent[0])
            self._sleep(pause)
            waited += pause


TokenPage = tuple[list[dict[str, Any]], str | None]


class TokenRepeated(RuntimeError):
    """The API gave a page token it had given before: reading on would never end."""


def read_by_token(
    fetch: Callable[[str | None], TokenPage],
    *,
    key: Callable[[dict[str, Any]], str],
    version: Callable[[dict[str, Any]], Any],
    max_pages: int = 10_000,
) -> list[dict[str, Any]]:
    """Every record of one window from an API paged by an opaque token: `fetch(token)` →
    `(items, next_token)`, `None` for the first page and, as the answer, after the last.

    A token (a cursor such as 抖店's `cursor` with `has_more`) marks a position in a list sorted
    by update time and id, not an offset, so a record that changes while the window is read
    leaves the window (the next window reads its new version) and moves no other record: reading
    forward misses nothing, unlike page numbers (`read_backwards`). A record met twice is kept
    once, its newest `version`; records without a `key` are all kept. A token given twice raises
    `TokenRepeated`; more than `max_pages` pages raises it too.
    """
    found: dict[str, dict[str, Any]] = {}
    anonymous: list[dict[str, Any]] = []
    given: set[str] = set()
    token: str | None = None
    for _ in range(max_pages):
        items, token = fetch(token)
        _keep_newest(items, found, anonymous, key, version)
        if token is None:
            return list(found.values()) + anonymous
        if token in given:
            raise TokenRepeated(f"the API gave the page token {token[:40]!r} twice")
        given.add(token)
    raise TokenRepeated(f"more than {max_pages} pages in one window")


class SyncCursor(TenantModel):
    """How far the sync has read one shop (account) of a tenant: the end of the last window read
    completely. Subclass it with your table's name (the tenant comes first in its unique index)::

        class Cursor(SyncCursor):
            class Meta:
                table_name = "jd_cursor"
    """

    shop = pw.CharField(max_length=64)
    until = UTCDateTimeField()

    class Meta:
        indexes = ((("tenant", "shop"), True),)

    @classmethod
    def position(cls, tenant: Tenant, shop: str) -> datetime | None:
        """Where the shop's last complete window ended, or None before its first sync."""
        row = cls.of(tenant).where(cls.shop == shop).first()
        return row.until if row else None

    @classmethod
    def advance(cls, tenant: Tenant, shop: str, until: datetime) -> None:
        """Record that every record up to `until` is stored or quarantined (call it per window)."""
        with write_transaction():
            if not cls.update(until=until).where((cls.tenant == tenant) & (cls.shop == shop)).execute():
                cls.create(tenant=tenant, shop=shop, until=until)


class RecordMirror(TenantModel):
    """One outside record as the sync last stored it: its version (`updated_at`), its state in
    the outside system, its ticket and the ticket values the sync applied (`applied`, so a re-read
    keeps what agents changed since). Subclass it with your table's name, like `SyncCursor`."""

    record_id = pw.CharField(max_length=64)
    ticket_id = pw.BigIntegerField()
    state = pw.CharField(max_length=32, default="")
    applied = JSONField(default=dict)
    updated_at = UTCDateTimeField()

    class Meta:
        indexes = ((("tenant", "record_id"), True),)

    @classmethod
    def find(cls, tenant: Tenant, record_id: str) -> RecordMirror | None:
        """The mirror row of `record_id`, or None if the sync never stored it."""
        return cls.of(tenant).where(cls.record_id == str(record_id)).first()

    def supersedes(self, version: datetime) -> bool:
        """Whether this row is at least as new as `version`, so `upsert` skips the record.

        Override for another rule, e.g. a version of one-second resolution stored again when equal.
        """
        return self.updated_at >= version

    @classmethod
    def keep(cls, tenant: Tenant, record_id: str, row: RecordMirror | None, values: dict[str, Any]) -> None:
        """Write the mirror row of `record_id` (`row`: the one `upsert` read, or None) with `values`:
        `ticket_id`, `state`, `applied`, `updated_at` and the `columns` given to `upsert`.

        Called by `upsert` inside a transaction. Override when your table names its columns
        otherwise (the Pinduoduo connector's `PddRefund` does).
        """
        if row is None:
            cls.create(tenant=tenant, record_id=record_id, **values)
        else:
            cls.update(**values).where(cls.id == row.id).execute()


class RecordQuarantine(TenantModel):
    """An outside record that could not become a ticket: the raw record and the reason, for a
    person to act on (fix the mapping, the settings or the record) and a retry. Subclass it with
    your table's name, like `SyncCursor`."""

    record_id = pw.CharField(max_length=64)
    raw = JSONField(default=dict)
    reason = pw.TextField()
    at = UTCDateTimeField(default=clock.now)

    class Meta:
        indexes = ((("tenant", "record_id"), True),)

    @classmethod
    def hold(cls, tenant: Tenant, record_id: str, raw: dict[str, Any], reason: str) -> None:
        """Keep `raw` with its `reason` (the newest attempt replaces an older one)."""
        with write_transaction():
            query = cls.update(raw=raw, reason=reason, at=clock.now())
            if not query.where((cls.tenant == tenant) & (cls.record_id == str(record_id))).execute():
                cls.create(tenant=tenant, record_id=str(record_id), raw=raw, reason=reason)

    @classmethod
    def release(cls, tenant: Tenant, record_id: str) -> bool:
        """Forget the record (it was stored since); True if it was held."""
        return bool(cls.delete().where((cls.tenant == tenant) & (cls.record_id == str(record_id))).execute())


APPLIED = ("subject", "priority", "category", "tags")
_UNREAD: Any = object()


@tickets.ingesting()  # nobody waits: the tickets' hooks run in the worker's batches
def upsert(
    tenant: Tenant,
    mapped: dict[str, Any],
    *,
    mirror: type[RecordMirror],
    version: datetime,
    actor: Actor,
    target: str | None = None,
    state: str = "",
    known: RecordMirror | None = _UNREAD,
    keep_agent_status: bool = False,
    ensure_category: bool = True,
    columns: dict[str, Any] | None = None,
    remember: dict[str, Any] | None = None,
    on_stored: Callable[[Ticket, bool], None] | None = None,
) -> Ticket | None:
    """Store one outside record: `mapped` is its `tickets.create` payload (with `external_ref`).

    Skips a `version` the mirror row already `supersedes` (by default: not newer than the
    stored one; an old or the same version read again: None). Otherwise creates the ticket, or
    updates the fields that differ (subject, priority, category, tags, description) without
    undoing what agents changed since the last sync (`keep_agent_edits`), creates its category
    path (`categories.ensure`), walks it to `target` (`walk_to`; None leaves the status) and
    writes the mirror row (`mirror.keep`) with `version`, `state` (the record's own status, for
    your panels and actions) and what was applied. Returns the ticket. Runs under
    `tickets.ingesting()`: the tickets' notification hooks run in the worker's `core.dispatch`
    batches.

    Options for a connector with more to keep:

    * `known` — the mirror row when you read it already (a window's rows in one query), None
      when there is none; by default `mirror.find` reads it;
    * `keep_agent_status` — walk only a new ticket, or when `target` differs from the one applied
      last time, so a status an agent set stays until the record's own status changes;
    * `ensure_category=False` — the category path exists already (you resolved it yourself);
    * `columns` — more values for the mirror row (your subclass's own columns);
    * `remember` — more values kept in `applied` beside the ticket fields (read them from
      `known.applied` next time, e.g. a deadline you announced);
    * `on_stored(ticket, created)` — called in the mirror row's transaction, after it is
      written: your own writes that must commit with it (release the record from quarantine,
      announce a deadline, record an event); if it raises, the mirror row is not written.
    """
    record_id = str(mapped["external_ref"]["id"])
    row = mirror.find(tenant, record_id) if known is _UNREAD else known
    if row is not None and row.supersedes(version):
        return None
    applied = row.applied if row is not None else {}
    current = tickets.by_external_ref(tenant, mapped["external_ref"]["system"], record_id) if row else None
    if current is None:
        if ensure_category and mapped.get("category"):
            categories.ensure(tenant, mapped["category"])
        ticket, created = tickets.create(tenant, mapped, actor)
    else:
        ticket, created = _update_known(tenant, current, mapped, applied, actor, ensure_category), False
    if target and (created or not keep_agent_status or target != applied.get("status")):
        ticket = walk_to(tenant, ticket, target, actor)
    kept = {key: mapped.get(key) for key in APPLIED}
    if keep_agent_status:
        kept["status"] = target
    values = {
        "ticket_id": ticket.id,
        "state": str(state)[:32],
        "applied": {**kept, **(remember or {})},
        "updated_at": version,
        **(columns or {}),
    }
    with write_transaction():
        mirror.keep(tenant, record_id, row, values)
        if on_stored is not None:
            on_stored(ticket, created)
    return ticket


def _update_known(
    tenant: Tenant, current: Ticket, mapped: dict[str, Any], applied: dict[str, Any], actor: Actor, ensure: bool
) -> Ticket:
    """Send `tickets.update` only the fields that differ from `current` (nothing: no write)."""
    wanted = keep_agent_edits(current, mapped, applied)
    if mapped.get("description"):
        wanted["description"] = mapped["description"]
    if wanted.get("category") is None:  # a record without a category leaves the ticket's
        wanted.pop("category")
    now = {
        "subject": current.subject,
        "priority": current.priority,
        "category": current.category.path if current.category_id else None,
        "tags": current.tags,
        "description": current.description,
    }
    changed = {key: value for key, value in wanted.items() if now[key] != value}
    if not changed:
        return current
    if ensure and changed.get("category"):
        categories.ensure(tenant, changed["category"])
    return tickets.update(tenant, current, changed, actor)
