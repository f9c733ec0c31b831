"""Sixty days of realistic history for the demo: tickets that arrived over two months, were
answered (mostly in time, a few late), waited on customers, were resolved and closed.

Built through the ticket service with the clock moved to each moment (`gongdan.clock.freeze`,
a dry run before the server starts), so every plugin reacts as it would have then: the SLA
plugin stamps and stops its clocks, the assignment plugin routes, analytics counts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from gongdan import categories, clock, tickets
from gongdan.actors import Actor
from gongdan.errors import GongdanError
from gongdan.models import Tenant, Ticket, User

HISTORY_DAYS = 60
PER_DAY = (1, 4)  # tickets a day, at random between these
SEED = 16

# (subject, category, priority)
TOPICS = (
    ("收到的衣服开线了，想退货", "售后/退货退款/质量问题", "normal"),
    ("七天无理由退货怎么操作", "售后/退货退款/七天无理由", "low"),
    ("显示签收但没收到货", "售后/仅退款/未收到货", "high"),
    ("鞋码偏小想换大一码", "售后/换货/尺码不合适", "normal"),
    ("少发了一件，请补寄", "售后/补寄/少件漏发", "normal"),
    ("快递三天没有更新", "物流/配送/物流停滞", "normal"),
    ("什么时候发货？", "物流/配送/催发货", "low"),
    ("身高170穿什么码", "咨询/商品/尺码建议", "low"),
    ("需要开增值税专用发票", "咨询/发票/开具发票", "low"),
    ("优惠券用不了", "咨询/活动/优惠券", "normal"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
CHANNELS = ("web", "web", "email", "phone", "api")
REPLIES = (
    "您好，已收到您的问题，正在为您处理。",
    "您好，已为您登记，请留意后续短信通知。",
    "抱歉给您带来不便，马上为您核实。",
)
CUSTOMER_REPLIES = ("好的，谢谢。", "请尽快处理，着急用。", "还是没有收到，麻烦再看看。")


@dataclass
class Step:
    """One thing that happens to a ticket at `at`."""

    at: datetime
    ticket_index: int
    kind: str  # reply | customer | pending | resolve | close


def _plan(start: datetime, days: int, rng: random.Random) -> tuple[list[dict], list[Step]]:
    """The tickets to create (with their moment) and what happens to them afterwards, in time order."""
    made: list[dict] = []
    steps: list[Step] = []
    now = clock.now()
    for day in range(days):
        for _ in range(rng.randint(*PER_DAY)):
            at = start + timedelta(days=day, hours=rng.uniform(8.5, 21.5))
            if at >= now:
                continue
            index = len(made)
            made.append({"at": at, "topic": rng.choice(TOPICS), "customer": rng.randrange(30)})
            late = rng.random() < 0.08
            reply = at + timedelta(minutes=rng.uniform(180, 600) if late else rng.uniform(4, 75))
            steps.append(Step(reply, index, "reply"))
            if rng.random() < 0.3:
                steps.append(Step(reply + timedelta(minutes=rng.uniform(20, 300)), index, "customer"))
            age = (now - at).days
            if age >= 2 or rng.random() < 0.3:
                resolved = reply + timedelta(hours=rng.uniform(1, 40))
                steps.append(Step(resolved, index, "resolve"))
                if age >= 10 and rng.random() < 0.7:
                    steps.append(Step(resolved + timedelta(days=rng.uniform(3, 7)), index, "close"))
            elif rng.random() < 0.4:
                steps.append(Step(reply + timedelta(minutes=30), index, "pending"))
    steps = [s for s in steps if s.at < now]
    return made, sorted(steps, key=lambda s: s.at)


def _customer(index: int) -> dict:
    name = SURNAMES[index % len(SURNAMES)] + ("先生" if index % 2 else "女士")
    return {"name": name, "email": f"buyer{index}@example.com", "tier": "vip" if index % 9 == 0 else "normal"}


def build(tenant: Tenant, agents: list[User], days: int = HISTORY_DAYS) -> int:
    """Create `days` of history in `tenant` (the same every time: a fixed seed); returns how many
    tickets. The clock follows real time again afterwards."""
    rng = random.Random(SEED)
    for _, path, _ in TOPICS:
        categories.ensure(tenant, path)
    start = clock.now() - timedelta(days=days)
    made, steps = _plan(start, days, rng)
    created: list[Ticket | None] = [None] * len(made)
    events = sorted(
        [(item["at"], n, "create") for n, item in enumerate(made)] + [(s.at, s.ticket_index, s.kind) for s in steps]
    )
    try:
        for at, index, kind in events:
            if kind != "create" and created[index] is None:
                continue
            clock.freeze(at)
            try:
                created[index] = _apply(tenant, made[index], created[index], kind, agents, rng)
            except GongdanError:
                continue  # a step the ticket's state no longer allows (e.g. already closed)
    finally:
        clock.unfreeze()
    return len(made)


def _apply(
    tenant: Tenant, item: dict, ticket: Ticket | None, kind: str, agents: list[User], rng: random.Random
) -> Ticket:
    """One step of the plan through the ticket service."""
    if kind == "create":
        subject, category, priority = item["topic"]
        payload = {
            "subject": subject,
            "description": f"{subject}。订单号 {rng.randint(10**9, 10**10 - 1)}",
            "channel": rng.choice(CHANNELS),
            "priority": priority,
            "category": category,
            "customer": _customer(item["customer"]),
        }
        ticket, _ = tickets.create(tenant, payload, Actor.system("channel:web"))
        return ticket
    ticket = tickets.get(tenant, ticket.id)
    agent = ticket.assignee if ticket.assignee_id else rng.choice(agents)
    actor = Actor.of(agent)
    if ticket.assignee_id is None:
        ticket = tickets.assign(tenant, ticket, agent.id, actor)
    if kind == "reply":
        tickets.comment(tenant, ticket, rng.choice(REPLIES), actor)
    elif kind == "customer":
        tickets.comment(tenant, ticket, rng.choice(CUSTOMER_REPLIES), Actor.system("customer"), from_customer=True)
    else:
        target = {"resolve": "resolved", "close": "closed", "pending": "pending"}[kind]
        tickets.transition(tenant, ticket, target, actor)
    return tickets.get(tenant, ticket.id)
