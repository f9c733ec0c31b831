"""The simulator's after-sales records and orders, and how they are generated and move on.

A record keeps the detail API's type numbering (`kind`: 1 refund only, 2 return and refund,
3 exchange, 4 resend, 5 repair) and amounts in integer fen; `views.py` turns it into each
API's shape.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from ..protocol import AFTER_SALES_STATUS, MERCHANT_TO_ACT
from . import data
from .clock import CHINA

# Initial statuses per kind, repeated to weight the draw.
STATUSES_BY_KIND: dict[int, list[int]] = {
    1: [2, 2, 2, 2, 4, 5, 6, 8, 9, 10, 10, 10, 11, 12],
    2: [3, 3, 3, 7, 7, 27, 10, 10, 6, 11, 13],
    3: [14, 15, 16, 17, 18],
    4: [32, 33, 10],
    5: [21, 22, 23, 24, 25],
}
KIND_WEIGHTS = {1: 55, 2: 35, 3: 5, 4: 3, 5: 2}
# Where a record can move next (used by `/_sim/mutate`); statuses not listed may go anywhere
# in their kind (a buyer may apply again after a closed request).
NEXT_STATUS: dict[int, list[int]] = {
    2: [4, 6, 11],
    3: [7, 6, 11],
    4: [10],
    5: [10],
    6: [8, 11, 2],
    7: [27, 13],
    8: [5, 9],
    27: [10],
    14: [15],
    15: [16],
    16: [17],
    17: [18],
    21: [22],
    22: [23],
    23: [24],
    24: [25],
    32: [33],
}
ACT_HOURS = 48  # a request the merchant ignores this long is decided for them
MALFORMED_KINDS = ("non_numeric_status", "missing_order_sn", "unknown_status")


@dataclass
class Order:
    """One order of a shop (the part the simulator's APIs expose)."""

    order_sn: str
    owner_id: str
    goods_id: int
    goods_name: str
    goods_price: int
    goods_count: int
    sku_id: int
    outer_id: str
    created: int
    updated: int
    receiver_name: str
    receiver_phone: str
    province: str
    city: str
    town: str
    address: str
    buyer_memo: str
    tracking_number: str
    shipping_name: str
    order_status: int = 2
    refund_status: int = 1
    after_sales_status: int = 0
    remark: str = ""
    remark_tag: int | None = None
    remark_tag_name: str = ""

    @property
    def pay_amount(self) -> int:
        """What the buyer paid, in fen."""
        return self.goods_price * self.goods_count


@dataclass
class Refund:
    """One after-sales request."""

    id: int
    owner_id: str
    order_sn: str
    kind: int
    status: int | str
    reason: str
    remark: str
    images: list[str]
    refund_amount: int
    created: int
    updated: int
    operator_role: int = 1
    tracking_number: str = ""
    shipping_name: str = ""
    confirm: int | None = None
    malformed: str = ""
    list_view: tuple[tuple, dict] | None = field(default=None, repr=False, compare=False)

    @property
    def expire_time(self) -> int | None:
        """When the platform decides for a merchant who has not acted, else None."""
        if self.status in MERCHANT_TO_ACT:
            return self.updated + ACT_HOURS * 3600
        return None


class RecordFactory:
    """Draws orders and after-sales records from one seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._next_id = 10_000_000_000 + rng.randint(0, 10**8)

    def new_id(self) -> int:
        """The next after-sales id (increasing, with gaps like the real ones)."""
        self._next_id += self.rng.randint(1, 97)
        return self._next_id

    def order(self, owner_id: str, created: int) -> Order:
        """A paid and shipped order created at `created` (Unix seconds)."""
        rng = self.rng
        goods_name, price = rng.choice(data.GOODS)
        province, city, town = rng.choice(data.REGIONS)
        name, phone = rng.choice(data.BUYER_NAMES), "1" + rng.choice("3578") + data.digits(rng, 9)
        street = f"{rng.choice(data.STREETS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2808)}室"
        order = Order(
            order_sn=f"{_yymmdd(created)}-{data.digits(rng, 15)}",
            owner_id=owner_id,
            goods_id=int(data.digits(rng, 11)),
            goods_name=goods_name,
            goods_price=price,
            goods_count=rng.choice([1, 1, 1, 2, 3]),
            sku_id=int(data.digits(rng, 12)),
            outer_id=f"SKU-{rng.randint(1000, 9999)}",
            created=created,
            updated=created,
            receiver_name=name,
            receiver_phone=phone,
            province=province,
            city=city,
            town=town,
            address=street,
            buyer_memo=rng.choice(["", "", "请尽快发货", "不要放快递柜", "周末送货"]),
            tracking_number=f"YT{data.digits(rng, 13)}",
            shipping_name=rng.choice(data.SHIPPING_NAMES),
            order_status=rng.choice([2, 2, 3]),
        )
        return order

    def refund(self, order: Order, updated: int, malformed: str = "") -> Refund:
        """An after-sales request on `order`, last updated at `updated`."""
        rng = self.rng
        kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
        reason = rng.choice(data.REASONS_BY_KIND[kind])
        created = max(order.created + 3600, updated - rng.randint(0, 3 * 86400))
        refund = Refund(
            id=self.new_id(),
            owner_id=order.owner_id,
            order_sn=order.order_sn,
            kind=kind,
            status=rng.choice(STATUSES_BY_KIND[kind]),
            reason=reason,
            remark=rng.choice(data.REMARKS_BY_REASON[reason]),
            images=[
                f"https://img.pddpic.com/mms-material-img/{data.hex_token(rng, 24)}.jpeg"
                for _ in range(rng.choice([0, 0, 1, 2, 3]))
            ],
            refund_amount=order.pay_amount if rng.random() < 0.8 else order.pay_amount // 2,
            created=min(created, updated),
            updated=updated,
        )
        if kind == 2 and refund.status in (27, 10):
            refund.tracking_number, refund.shipping_name = f"ZT{data.digits(rng, 12)}", rng.choice(data.SHIPPING_NAMES)
        if refund.status == 10:
            refund.confirm = updated
        self.spoil(refund, malformed)
        self.follow(order, refund)
        return refund

    def spoil(self, refund: Refund, how: str) -> None:
        """Make `refund` malformed in the way `how` names (one of MALFORMED_KINDS); "" leaves it."""
        if how == "non_numeric_status":
            refund.status = self.rng.choice(["退款中", "UNKNOWN", ""])
        elif how == "unknown_status":
            refund.status = 99
        refund.malformed = how  # "missing_order_sn": the list leaves the field out

    def repair(self, refund: Refund, order: Order, now: int) -> None:
        """Undo `spoil`: a valid status and every field present again, updated now."""
        if not isinstance(refund.status, int) or refund.status not in AFTER_SALES_STATUS:
            refund.status = STATUSES_BY_KIND[refund.kind][0]
        refund.malformed, refund.updated = "", now
        self.follow(order, refund)

    def advance(self, refund: Refund, order: Order, now: int) -> None:
        """Move `refund` to a plausible next status, updated now (what `/_sim/mutate` does)."""
        if isinstance(refund.status, int) and refund.status in NEXT_STATUS:
            refund.status = self.rng.choice(NEXT_STATUS[refund.status])
        elif refund.malformed in ("non_numeric_status", "unknown_status"):
            pass  # a broken record stays broken until `repair`
        else:
            choices = [s for s in set(STATUSES_BY_KIND[refund.kind]) if s != refund.status]
            refund.status = self.rng.choice(sorted(choices))
        refund.updated = now
        refund.confirm = now if refund.status == 10 else refund.confirm
        self.follow(order, refund)

    @staticmethod
    def follow(order: Order, refund: Refund) -> None:
        """Mirror the after-sales state on its order (the order changes when its refund does)."""
        status = refund.status if isinstance(refund.status, int) else 0
        order.after_sales_status = status
        order.refund_status = 4 if status == 10 else (1 if status in (0, 9, 11, 12, 13) else 2)
        order.updated = max(order.updated, refund.updated)


def _yymmdd(ts: int) -> str:
    return datetime.fromtimestamp(ts, CHINA).strftime("%y%m%d")
