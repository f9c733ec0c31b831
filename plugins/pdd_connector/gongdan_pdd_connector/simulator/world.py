"""The simulated platform's state: shops, their records and orders, tokens and the clock.

Records are kept in a per-shop index sorted by update time, so a window query is a bisect,
and every change (`mutate`, new records, a merchant's action) re-indexes the record and tells
the message service (`on_change`).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .. import protocol
from . import data
from .clock import SimClock
from .records import MALFORMED_KINDS, Order, RecordFactory, Refund

DAY = 86400


@dataclass
class Token:
    """One grant of a shop to the app."""

    access_token: str
    refresh_token: str
    owner_id: str
    expires_at: int
    refresh_expires_at: int
    scope: list[str] = field(default_factory=lambda: ["pdd.refund.list.increment.get", "pdd.order.information.get"])


@dataclass
class Shop:
    """One merchant's shop (mall) with its after-sales records, orders and return addresses."""

    owner_id: str
    owner_name: str
    addresses: list[dict]
    permitted: bool = False
    refunds: dict[int, Refund] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    refund_index: list[tuple[int, int]] = field(default_factory=list)
    order_index: list[tuple[int, str]] = field(default_factory=list)
    order_refunds: dict[str, list[int]] = field(default_factory=dict)

    def add(self, order: Order, refund: Refund, index: bool = True) -> None:
        """Store a new order and its after-sales request (`index=False`: call `reindex` later)."""
        self.orders[order.order_sn] = order
        self.refunds[refund.id] = refund
        self.order_refunds.setdefault(order.order_sn, []).append(refund.id)
        if index:
            bisect.insort(self.order_index, (order.updated, order.order_sn))
            bisect.insort(self.refund_index, (refund.updated, refund.id))

    def reindex(self) -> None:
        """Rebuild both time indexes from scratch."""
        self.refund_index = sorted((r.updated, r.id) for r in self.refunds.values())
        self.order_index = sorted((o.updated, o.order_sn) for o in self.orders.values())

    def change(self, refund: Refund, apply: Callable[[], None]) -> None:
        """Run `apply` (which may move `refund` and its order in time) and re-index both."""
        order = self.orders[refund.order_sn]
        old_refund_key, old_order_key = (refund.updated, refund.id), (order.updated, order.order_sn)
        apply()
        _move(self.refund_index, old_refund_key, (refund.updated, refund.id))
        _move(self.order_index, old_order_key, (order.updated, order.order_sn))

    def refunds_between(self, start: int, end: int) -> list[Refund]:
        """Records updated in [start, end], newest first (ties: higher id first)."""
        lo = bisect.bisect_left(self.refund_index, (start, -1))
        hi = bisect.bisect_right(self.refund_index, (end, float("inf")))
        return [self.refunds[rid] for _, rid in reversed(self.refund_index[lo:hi])]

    def orders_between(self, start: int, end: int) -> list[Order]:
        """Orders updated in [start, end], newest first."""
        lo = bisect.bisect_left(self.order_index, (start, ""))
        hi = bisect.bisect_right(self.order_index, (end, "\uffff"))
        return [self.orders[sn] for _, sn in reversed(self.order_index[lo:hi])]


def _move(index: list, old: tuple, new: tuple) -> None:
    if old == new:
        return
    del index[bisect.bisect_left(index, old)]
    bisect.insort(index, new)


@dataclass
class Settings:
    """How the simulator was started (the CLI's options)."""

    client_id: str = "gongdan-sim-client"
    client_secret: str = "gongdan-sim-secret"  # noqa: S105 - the documented simulator default
    shops: int = 2
    records: int = 200
    seed: int = 7
    rate_limit: bool = True
    shop_rate_limit: tuple[int, float] | None = None  # None: the published limit of each API
    app_rate_limit: tuple[int, float] = protocol.APP_RATE_LIMIT
    token_ttl: int = DAY
    refresh_token_ttl: int = 30 * DAY
    spread_days: float = 7.0
    heartbeat_seconds: float = 5.0
    redeliver_seconds: float = 10.0


class World:
    """All the simulated platform's data for one app (client id)."""

    def __init__(self, settings: Settings, clock: SimClock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SimClock()
        self.rng = random.Random(settings.seed)
        self.factory = RecordFactory(self.rng)
        self.shops: dict[str, Shop] = {}
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, Token] = {}
        self.auth_codes: dict[str, tuple[str, int]] = {}
        self.on_change: Callable[[Shop, Refund, str], None] = lambda shop, refund, why: None
        self._populate()

    def _populate(self) -> None:
        names = list(data.SHOP_NAMES)
        self.rng.shuffle(names)
        now = self.clock.seconds()
        for number in range(self.settings.shops):
            name = names[number % len(names)] + (f"{number // len(names) + 1}号店" if number >= len(names) else "")
            shop = Shop(owner_id=data.digits(self.rng, 9), owner_name=name, addresses=self._addresses())
            self.shops[shop.owner_id] = shop
            # Spread over the window, clear of its edges: a backfill started a little later still finds all.
            newest, oldest = now - 600, now - int(self.settings.spread_days * DAY) + 3600
            for _ in range(self.settings.records):
                self._new_record(shop, self.rng.randint(min(oldest, newest), newest), index=False)
            shop.reindex()
            self.issue_token(shop.owner_id)

    def _addresses(self) -> list[dict]:
        rng, out = self.rng, []
        for number, contact in enumerate(rng.sample(data.RETURN_CONTACTS, 2)):
            province, city, town = rng.choice(data.REGIONS)
            out.append(
                {
                    "refund_address_id": int(data.digits(rng, 8)),
                    "refund_name": contact,
                    "refund_phone": "1" + rng.choice("3578") + data.digits(rng, 9),
                    "province_name": province,
                    "city_name": city,
                    "district_name": town,
                    "refund_address": f"{rng.choice(data.STREETS)}{rng.randint(1, 500)}号 仓储中心{number + 1}号库",
                    "is_default": number == 0,
                }
            )
        return out

    def _new_record(self, shop: Shop, updated: int, malformed: str = "", index: bool = True) -> Refund:
        order = self.factory.order(shop.owner_id, updated - self.rng.randint(DAY, 5 * DAY))
        refund = self.factory.refund(order, updated, malformed)
        shop.add(order, refund, index)
        return refund

    # -- tokens -------------------------------------------------------------------------------

    def issue_token(self, owner_id: str) -> Token:
        """A fresh access and refresh token for the shop."""
        now = self.clock.seconds()
        token = Token(
            access_token=data.hex_token(self.rng),
            refresh_token=data.hex_token(self.rng),
            owner_id=owner_id,
            expires_at=now + self.settings.token_ttl,
            refresh_expires_at=now + self.settings.refresh_token_ttl,
        )
        self.tokens[token.access_token] = token
        self.refresh_tokens[token.refresh_token] = token
        return token

    def first_token(self, owner_id: str) -> Token:
        """The token the shop was started with (printed on start)."""
        return next(t for t in self.tokens.values() if t.owner_id == owner_id)

    def auth_code(self, owner_id: str) -> str:
        """An authorisation code for the shop, valid 10 minutes (for `pdd.pop.auth.token.create`)."""
        code = data.hex_token(self.rng, 40)
        self.auth_codes[code] = (owner_id, self.clock.seconds() + 600)
        return code

    # -- changes --------------------------------------------------------------------------------

    def mutate(self, count: int, owner_id: str | None = None) -> list[Refund]:
        """Move `count` records (of one shop or of all) to a next status, updated now."""
        shops = [self.shops[owner_id]] if owner_id else list(self.shops.values())
        pool = [(shop, refund) for shop in shops for refund in shop.refunds.values()]
        now, changed = self.clock.seconds(), []
        for shop, refund in self.rng.sample(pool, min(count, len(pool))):
            order = shop.orders[refund.order_sn]
            shop.change(refund, lambda r=refund, o=order: self.factory.advance(r, o, now))
            changed.append(refund)
            self.on_change(shop, refund, "mutated")
        return changed

    def add_records(self, owner_id: str, count: int, malformed: bool | str = False) -> list[Refund]:
        """New records updated now; malformed ones cycle through MALFORMED_KINDS (or use the one named)."""
        shop, now, out = self.shops[owner_id], self.clock.seconds(), []
        for number in range(count):
            how = malformed if isinstance(malformed, str) else (MALFORMED_KINDS[number % 3] if malformed else "")
            refund = self._new_record(shop, now, how)
            out.append(refund)
            self.on_change(shop, refund, "created")
        return out

    def act(self, shop: Shop, refund: Refund, status: int) -> None:
        """The merchant acted on `refund` (agree, agree to a return): new status, updated now."""
        now = self.clock.seconds()

        def apply() -> None:
            refund.status, refund.updated, refund.operator_role = status, now, 2
            self.factory.follow(shop.orders[refund.order_sn], refund)

        shop.change(refund, apply)
        self.on_change(shop, refund, "agreed")

    def repair(self, shop: Shop, refund: Refund) -> None:
        """Fix a malformed record (valid status, every field), updated now."""
        now = self.clock.seconds()
        shop.change(refund, lambda: self.factory.repair(refund, shop.orders[refund.order_sn], now))
        self.on_change(shop, refund, "repaired")

    def touch_order(self, shop: Shop, order: Order, apply: Callable[[], None]) -> None:
        """Change an order (a note) and re-index it."""
        old = (order.updated, order.order_sn)
        apply()
        order.updated = self.clock.seconds()
        _move(shop.order_index, old, (order.updated, order.order_sn))

    def all_refunds(self, owner_id: str | None = None) -> Iterable[tuple[Shop, Refund]]:
        """Every record (of one shop or of all), oldest first."""
        shops = [self.shops[owner_id]] if owner_id else self.shops.values()
        for shop in shops:
            for _, rid in shop.refund_index:
                yield shop, shop.refunds[rid]
