"""`gongdan.connectors`: the parts every marketplace connector needs, taken from the Pinduoduo
connector (which uses them), so a new connector does not copy them.

* `plan_windows` — overlapping windows of update times up to an end behind the gateway's clock;
* `read_backwards` — every record of a window read from the last page to the first, again while
  the window grows, each record once (its newest version);
* `keep_agent_edits` — the update to send for a known record without undoing an agent's edits;
* `walk_to` — a ticket moved to a target status through the state machine's legal steps;
* `SlidingWindow` — a client-side rate limiter that stays a little under a published limit.

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

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import Tenant, Ticket


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
            for item in items:
                name = key(item)
                if not name:
                    anonymous.append(item)
                elif name not in found or version(item) >= version(found[name]):
                    found[name] = item
        if last_total <= total:
            return list(found.values()) + anonymous
    raise WindowKeptGrowing("the window kept growing while it was read")


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
