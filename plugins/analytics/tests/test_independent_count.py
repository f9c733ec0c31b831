"""Every report's figures against a plain count of the same tickets, as an independent checker does it.

Forty-odd tickets live through a fortnight in Asia/Shanghai (UTC+8, no DST): channels, three
category levels (and a two-level one), tags, teams, agents, customer tiers, priorities, public
replies and internal notes, waiting on the customer, resolving, reopening, CSAT ratings, SLA
targets met and missed in business time (09:00–12:00, 13:30–18:00 on China's working days), and
tickets on both sides of the period's local-midnight boundaries. The catch-up job counts them
between steps, as the worker does. Then each report (`summary` by every dimension, `daily`,
`top_problems`, `backlog` by every dimension, `heatmap`, deflection) is compared with figures
computed here from the rows alone — tickets, comments, status events, ratings, deflections — by
the definitions of docs/analytics.md, with business minutes counted day by day from
python-holidays' working days (not the SLA plugin's calendar code).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from gongdan_analytics import reports
from gongdan_analytics.periods import Period
from gongdan_analytics.rollup import DIMENSIONS
from gongdan_portal import csat
from gongdan_portal.models import Deflection, Survey
from gongdan_sla.policies import save_calendars, save_policies
from gongdan_sla.sweep import sweep_all

from gongdan import accounts, categories, tickets
from gongdan.actors import Actor
from gongdan.models import Comment, Team, Ticket, TicketEvent, User

from .conftest import CUSTOMER, SH

LUNCH = {str(d): [["09:00", "12:00"], ["13:30", "18:00"]] for d in range(5)}
FIRST_RESPONSE, RESOLUTION = 60, 480  # business minutes
PATHS = [
    "售后/退货退款/质量问题",
    "售后/退货退款/尺码不合",
    "售后/换货/发错货",
    "物流/配送/物流停滞",
    "咨询/产品",
    None,
]
CHANNELS = ["web", "email", "phone", "api", "portal"]
TAGS = ["破损", "催发货", "大促"]
TIERS = ["normal", "vip", "svip", None]
PRIORITIES = ["low", "normal", "high", "urgent"]
RATINGS = {"satisfied": 5, "okay": 3, "unsatisfied": 1}
OPEN = ("new", "open", "pending")


@dataclass(frozen=True)
class Case:
    """A tenant's zone and the week compared (Monday to Sunday; the previous week is counted too)."""

    zone: str
    period: Period
    extra: tuple[tuple[int, ...], ...] = ()
    """Local times (`(y, m, d, h, min, fold)`) some tickets are created at, beside the period's edges."""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def at(self, *parts: int, fold: int = 0) -> datetime:
        """A local wall-clock time in the zone, as UTC (`fold=1`: the second of a repeated hour)."""
        return datetime(*parts, tzinfo=self.tz, fold=fold).astimezone(UTC)

    @property
    def now(self) -> datetime:
        """15:00 local on the Monday after the period."""
        day = self.period.end + timedelta(days=1)
        return self.at(day.year, day.month, day.day, 15, 0)

    def midnight(self, day: date, minutes: int = 0) -> datetime:
        return self.at(day.year, day.month, day.day) + timedelta(minutes=minutes)

    def boundary(self) -> list[datetime]:
        """A minute before and at each of the period's local midnights, and the case's own times."""
        first, after = self.period.start, self.period.end + timedelta(days=1)
        edges = [self.midnight(first, -1), self.midnight(first), self.midnight(after, -1), self.midnight(after)]
        return edges + [self.at(*parts[:5], fold=parts[5]) for parts in self.extra]


SHANGHAI = Case("Asia/Shanghai", Period(date(2026, 11, 9), date(2026, 11, 15)))
CASES = [
    SHANGHAI,
    # +05:30: a local hour is 30 minutes off the UTC hour; 00:10 IST is 18:40 UTC the day before
    Case(
        "Asia/Kolkata", SHANGHAI.period, ((2026, 11, 9, 0, 10, 0), (2026, 11, 12, 5, 40, 0), (2026, 11, 15, 23, 45, 0))
    ),
    # +10:30 → +09:30 at 03:00 on Sunday 5 April 2026: 02:00–03:00 happens twice, that day has 25 hours
    Case(
        "Australia/Adelaide",
        Period(date(2026, 3, 30), date(2026, 4, 5)),
        ((2026, 4, 5, 2, 20, 0), (2026, 4, 5, 2, 20, 1), (2026, 4, 5, 2, 50, 1), (2026, 4, 5, 23, 40, 0)),
    ),
]


# --- the tickets' lives ---------------------------------------------------------------------------


class Timeline:
    """Actions at distinct whole minutes, run in time order with the clock set to each one's time."""

    def __init__(self) -> None:
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.used: set[datetime] = set()

    def at(self, when: datetime, action: Callable[[], None]) -> datetime:
        when = when.astimezone(UTC)  # exact arithmetic across summer time
        while when in self.used:
            when += timedelta(minutes=1)
        self.used.add(when)
        heapq.heappush(self.queue, (when, len(self.queue), action))
        return when

    def run(self, move: Callable[..., Any], until: datetime, count: Callable[[], Any]) -> None:
        last_count = None
        while self.queue and self.queue[0][0] <= until:
            when, _, action = heapq.heappop(self.queue)
            local = when.astimezone(SH)
            move(local.year, local.month, local.day, local.hour, local.minute)
            action()
            if last_count is None or when - last_count > timedelta(hours=30):
                count()  # the worker's catch-up, now and then: counts are moved as well as made
                last_count = when


def build(tenant: Any, at: Any, counted: Any, case: Case) -> None:
    """The tickets, their replies, status changes, ratings and deflections, up to `case.now`."""
    rng = random.Random(18)
    teams = [Team.create(tenant=tenant, name=name) for name in ("售后组", "物流组")]
    agents = [
        accounts.create_user(tenant, f"a{n}@acme.example.com", "agent", name, "pw-123456789", team=teams[n % 2])
        for n, name in enumerate(("李娜", "王强", "张敏"))
    ]
    for path in PATHS:
        if path:
            categories.ensure(tenant, path)
    line = Timeline()
    starts = case.boundary()
    begin = case.midnight(case.period.previous().start)
    starts += [begin + timedelta(minutes=rng.randrange(14 * 24 * 60 + 12 * 60)) for _ in range(40)]
    for n, start in enumerate(starts):
        plan_ticket(tenant, line, rng, n, start, agents, teams)
    late_then_waiting(tenant, line, agents[0], case)
    first, after = case.period.start, case.period.end + timedelta(days=1)
    for when in (case.midnight(first) - timedelta(seconds=1), case.midnight(first)):
        Deflection.create(tenant=tenant, article_id=1, subject="怎么退货", at=when)  # on the period's edges
    for when in (case.midnight(after) - timedelta(seconds=1), case.midnight(after)):
        Deflection.create(tenant=tenant, article_id=1, subject="怎么退货", at=when)
    line.run(at, case.now, lambda: worker(counted))
    now = case.now.astimezone(SH)
    at(now.year, now.month, now.day, now.hour, now.minute)
    worker(counted)


def worker(counted: Any) -> None:
    """What the worker does between requests: the SLA sweep (breaches become events), then the catch-up."""
    sweep_all()
    counted()


def plan_ticket(
    tenant: Any, line: Timeline, rng: random.Random, n: int, start: datetime, agents: list, teams: list
) -> None:
    """One ticket's life as timed actions (each step after the previous one)."""
    holder: dict[str, Ticket] = {}
    agent = rng.choice(agents)
    data: dict[str, Any] = {
        "channel": rng.choice(CHANNELS),
        "priority": rng.choice(PRIORITIES),
        "tags": rng.sample(TAGS, rng.randrange(3)),
    }
    path = rng.choice(PATHS)
    if path:
        data["category"] = path
    team = rng.choice([*teams, None])
    if team is not None:
        data["team"] = team.name
    tier = rng.choice(TIERS)
    if tier:
        data["customer"] = {"name": f"顾客{n}", "email": f"c{n}@shop.example.com", "tier": tier}

    def fresh() -> Ticket:
        return Ticket.get_by_id(holder["t"].id)

    def create() -> None:
        holder["t"], _ = tickets.create(tenant, {"subject": f"工单 {n}", **data}, CUSTOMER)

    t = line.at(start, create)
    minute = timedelta(minutes=1)
    if rng.random() < 0.8:
        t = line.at(
            t + minute * rng.randrange(1, 90), lambda: tickets.assign(tenant, fresh(), agent.id, Actor.of(agent))
        )
    fate = rng.random()
    if fate < 0.12:  # answered only by an internal note, then resolved: never "met"
        t = line.at(
            t + minute * rng.randrange(5, 300),
            lambda: tickets.comment(tenant, fresh(), "内部", Actor.of(agent), internal=True),
        )
        line.at(
            t + minute * rng.randrange(5, 3000),
            lambda: tickets.transition(tenant, fresh(), "resolved", Actor.of(agent)),
        )
        return
    if fate < 0.2:  # nobody has answered yet
        return
    t = line.at(t + minute * rng.randrange(3, 900), lambda: tickets.comment(tenant, fresh(), "您好", Actor.of(agent)))
    if rng.random() < 0.5:  # a second reply soon after: the agent's work time between replies
        t = line.at(
            t + minute * rng.randrange(2, 45), lambda: tickets.comment(tenant, fresh(), "补充", Actor.of(agent))
        )
    if rng.random() < 0.3:  # waiting on the customer, who answers later
        t = line.at(
            t + minute * rng.randrange(5, 120), lambda: tickets.transition(tenant, fresh(), "pending", Actor.of(agent))
        )
        t = line.at(
            t + minute * rng.randrange(30, 2000),
            lambda: tickets.comment(tenant, fresh(), "补充信息", CUSTOMER, from_customer=True),
        )
    if rng.random() < 0.2:
        new_path = rng.choice(PATHS[:-1])
        t = line.at(
            t + minute * rng.randrange(5, 600),
            lambda: tickets.update(tenant, fresh(), {"category": new_path}, Actor.of(agent)),
        )
    if rng.random() < 0.25:
        return  # still open
    t = line.at(
        t + minute * rng.randrange(10, 3000), lambda: tickets.transition(tenant, fresh(), "resolved", Actor.of(agent))
    )
    if rng.random() < 0.3:  # the customer writes again: reopened, resolved again (or not yet)
        t = line.at(
            t + minute * rng.randrange(30, 1500),
            lambda: tickets.comment(tenant, fresh(), "还是不行", CUSTOMER, from_customer=True),
        )
        t = line.at(
            t + minute * rng.randrange(5, 200), lambda: tickets.comment(tenant, fresh(), "再看看", Actor.of(agent))
        )
        if rng.random() < 0.3:
            return
        t = line.at(
            t + minute * rng.randrange(10, 1500),
            lambda: tickets.transition(tenant, fresh(), "resolved", Actor.of(agent)),
        )
    if rng.random() < 0.6:
        rating = rng.choice(list(RATINGS))
        line.at(t + minute * rng.randrange(5, 600), lambda: _rate(tenant, fresh(), rating))


def late_then_waiting(tenant: Any, line: Timeline, agent: Any, case: Case) -> None:
    """Past its resolution target on Tuesday, then waiting on the customer: still a missed target."""
    holder: dict[str, Ticket] = {}

    def create() -> None:
        holder["t"], _ = tickets.create(tenant, {"subject": "超时后等待顾客", "channel": "web"}, CUSTOMER)

    def fresh() -> Ticket:
        return Ticket.get_by_id(holder["t"].id)

    monday, wednesday = case.period.start, case.period.start + timedelta(days=2)
    line.at(case.midnight(monday, 9 * 60), create)
    line.at(case.midnight(monday, 9 * 60 + 10), lambda: tickets.comment(tenant, fresh(), "您好", Actor.of(agent)))
    line.at(case.midnight(wednesday, 10 * 60), lambda: tickets.transition(tenant, fresh(), "pending", Actor.of(agent)))


def _rate(tenant: Any, ticket: Ticket, rating: str) -> None:
    if ticket.status == "resolved":
        csat.rate(tenant, ticket, rating, "", CUSTOMER)


# --- the plain count ------------------------------------------------------------------------------


def business_minutes(start: datetime, end: datetime, tz: ZoneInfo) -> int:
    """Business minutes in [start, end): 09:00–12:00 and 13:30–18:00 local on python-holidays' working days."""
    china = holidays.China(years=range(start.year, end.year + 1))
    start, end = start.astimezone(tz), end.astimezone(tz)
    total, day = 0, start.date()
    while day <= end.date():
        if china.is_working_day(day):
            for (h1, m1), (h2, m2) in (((9, 0), (12, 0)), ((13, 30), (18, 0))):
                low = max(start, datetime(day.year, day.month, day.day, h1, m1, tzinfo=tz))
                high = min(end, datetime(day.year, day.month, day.day, h2, m2, tzinfo=tz))
                total += max(0, round((high - low).total_seconds()) // 60)
        day += timedelta(days=1)
    return total


def local(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def running_spans(
    ticket: Ticket, changes: list[tuple[datetime, str]], end: datetime
) -> list[tuple[datetime, datetime]]:
    """When the ticket's SLA clocks count: while `new` or `open` (pending and resolved stop them)."""
    spans, status, since = [], "new", ticket.created_at
    for when, to in [*changes, (end, "end")]:
        if status in ("new", "open") and when > since:
            spans.append((since, when))
        status, since = to, when
    return spans


def spent_until(spans: list[tuple[datetime, datetime]], until: datetime, tz: ZoneInfo) -> int:
    return sum(business_minutes(a, min(b, until), tz) for a, b in spans if a < until)


class Plain:
    """Per ticket, the dated facts the docs define, computed from the rows."""

    def __init__(self, tenant: Any, case: Case) -> None:
        self.case, self.tz = case, case.tz
        self.tickets = list(Ticket.of(tenant).order_by(Ticket.id))
        events = defaultdict(list)
        for event in (
            TicketEvent.select()
            .where((TicketEvent.tenant == tenant) & (TicketEvent.kind == "status_changed"))
            .order_by(TicketEvent.at, TicketEvent.id)
        ):
            events[event.ticket_id].append((event.at, event.data["from"], event.data["to"]))
        replies = defaultdict(list)
        self.agent_replies: dict[int, list[datetime]] = defaultdict(list)
        for note in (
            Comment.select()
            .where((Comment.tenant == tenant) & Comment.internal.not_in([True]))
            .order_by(Comment.created_at)
        ):
            if not note.from_customer:
                replies[note.ticket_id].append(note.created_at)
            if note.author_kind == "agent" and note.author_id:
                self.agent_replies[note.author_id].append(note.created_at)
        self.teams = {user.id: user.team_id for user in User.of(tenant)}
        self.ratings = defaultdict(list)
        for survey in Survey.select().where((Survey.tenant == tenant) & Survey.score.is_null(False)):
            self.ratings[survey.ticket_id].append((survey.score, survey.rated_at))
        self.facts = {t.id: self.facts_of(t, events[t.id], replies[t.id]) for t in self.tickets}

    def local(self, at: datetime) -> date:
        return local(at, self.tz)

    def facts_of(self, t: Ticket, changes: list[tuple], replies: list[datetime]) -> list[tuple[date, str, float]]:
        first_reply = replies[0] if replies else None
        assert t.first_response_at == first_reply, t.id  # the first public reply that is not the customer's
        found = [(self.local(t.created_at), "created", 0)]
        spans = running_spans(t, [(at, to) for at, _, to in changes], self.case.now)
        if first_reply is not None:
            found.append((self.local(first_reply), "first_response", (first_reply - t.created_at).total_seconds() / 60))
            spent = spent_until(spans, first_reply, self.tz)
            found.append((self.local(first_reply), "first_response_biz", spent))
            outcome = "met" if spent <= FIRST_RESPONSE else "missed"
        else:
            stop = next((at for at, _, to in changes if to in ("resolved", "closed")), None)
            spent = spent_until(spans, stop or self.case.now, self.tz)
            outcome = "missed" if spent >= FIRST_RESPONSE else None  # resolved silently in time: not applicable
        if outcome:
            found.append((self.local(t.created_at), f"sla_fr_{outcome}", 0))
        if t.status in ("resolved", "closed"):
            found.append((self.local(t.resolved_at), "resolved", (t.resolved_at - t.created_at).total_seconds() / 60))
            if any(old in ("resolved", "closed") and to == "open" for _, old, to in changes):
                found.append((self.local(t.resolved_at), "reopened", 0))
            spent = spent_until(spans, t.resolved_at, self.tz)
            found.append((self.local(t.resolved_at), "resolution_biz", spent))
            found.append((self.local(t.created_at), "sla_res_met" if spent <= RESOLUTION else "sla_res_missed", 0))
        elif spent_until(spans, self.case.now, self.tz) >= RESOLUTION:
            found.append((self.local(t.created_at), "sla_res_missed", 0))  # open (or waiting) past its target
        for score, rated_at in self.ratings[t.id]:
            found.append((self.local(rated_at), "csat", score))
        return found

    def values(self, t: Ticket, dim: str) -> list[str]:
        parts = t.category.path.split("/") if t.category_id else []
        if dim in ("appeal", "scene", "problem"):
            size = ("appeal", "scene", "problem").index(dim) + 1
            return ["/".join(parts[:size]) if len(parts) >= size else ""]
        if dim == "tag":
            return sorted(set(t.tags)) or [""]
        return [
            {
                "channel": t.channel,
                "team": str(t.team_id or ""),
                "agent": str(t.assignee_id or ""),
                "tier": t.customer.tier if t.customer_id else "",
                "priority": t.priority,
                "all": "",
            }[dim]
        ]

    def work(self, dim: str) -> dict[str, list[tuple[date, float]]]:
        """Each agent reply's work time (≤ 30 min since the same agent's previous public reply)."""
        found = defaultdict(list)
        for user_id, times in self.agent_replies.items():
            for before, now in itertools.pairwise(times):
                gap = (now - before).total_seconds() / 60
                if gap <= 30:
                    value = {"all": "", "agent": str(user_id), "team": str(self.teams.get(user_id) or "")}.get(dim)
                    if value is not None:
                        found[value].append((self.local(now), gap))
        return found

    def figures(self, dim: str, span: Period) -> dict[str, dict[str, Any]]:
        """`{value: figures}` like the summary's rows (without labels and trends)."""
        cells: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for t in self.tickets:
            for value in self.values(t, dim):
                for day, metric, amount in self.facts[t.id]:
                    if span.start <= day <= span.end:
                        cells[value][metric].append(amount)
        for value, items in self.work(dim).items():
            for day, gap in items:
                if span.start <= day <= span.end:
                    cells[value]["work"].append(gap)
        return {value: plain_figures(metrics) for value, metrics in cells.items()}


def _avg(values: list[float]) -> dict[str, Any]:
    return {"count": len(values), "avg_minutes": round(sum(values) / len(values), 1) if values else None}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def plain_figures(m: dict[str, list[float]]) -> dict[str, Any]:
    def n(metric: str) -> int:
        return len(m.get(metric, []))

    sla: dict[str, Any] = {}
    for name, prefix in (("first_response", "sla_fr"), ("resolution", "sla_res")):
        met, missed = n(f"{prefix}_met"), n(f"{prefix}_missed")
        sla[name] = {"met": met, "missed": missed, "attainment": _share(met, met + missed)}
    met_all = sla["first_response"]["met"] + sla["resolution"]["met"]
    missed_all = sla["first_response"]["missed"] + sla["resolution"]["missed"]
    sla["attainment"] = _share(met_all, met_all + missed_all)
    scores = m.get("csat", [])
    return {
        "created": n("created"),
        "first_response": _avg(m.get("first_response", [])),
        "first_response_business": _avg(m.get("first_response_biz", [])),
        "resolved": n("resolved"),
        "resolution": _avg(m.get("resolved", [])),
        "resolution_business": _avg(m.get("resolution_biz", [])),
        "reopened": n("reopened"),
        "reopen_rate": _share(n("reopened"), n("resolved")),
        "sla": sla,
        "csat": {
            "responses": len(scores),
            "avg_score": round(sum(scores) / len(scores), 2) if scores else None,
            "satisfied_share": _share(sum(1 for s in scores if s >= 5), len(scores)),
        },
        "handling": _avg(m.get("work", [])),
    }


def differences(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[tuple[str, str, Any, Any]]:
    """`(value, figure, reported, counted)` where the report and the plain count differ."""
    by = {row["value"]: row for row in want}
    found = [(row["value"], "(row)", row, None) for row in got if row["value"] not in by]
    for row in got:
        for key, value in row.items():
            if row["value"] in by and by[row["value"]].get(key) != value:
                found.append((row["value"], key, value, by[row["value"]].get(key)))
    return found + [(v, "(row)", None, r) for v, r in by.items() if v not in {row["value"] for row in got}]


def expected_summary(plain: Plain, dim: str) -> list[dict[str, Any]]:
    period = plain.case.period
    now, before = plain.figures(dim, period), plain.figures(dim, period.previous())
    rows = []
    for value in set(now) | {v for v, f in before.items() if f["created"]}:
        row = now.get(value) or plain_figures({})
        previous = before.get(value, plain_figures({}))["created"]
        change = round((row["created"] - previous) / previous, 4) if previous else None
        rows.append({"value": value, **row, "previous_created": previous, "created_change": change})
    return sorted(rows, key=lambda r: r["value"])


@pytest.mark.parametrize("case", CASES, ids=[case.zone for case in CASES])
def test_every_report_matches_a_plain_count(
    analytics: Any, enable_plugin: Any, tenant: Any, at: Any, counted: Any, frozen_clock: Any, case: Case
) -> None:
    tenant.timezone = case.zone
    tenant.save()
    enable_plugin("sla")
    enable_plugin("portal")
    save_calendars(tenant, {"items": [{"name": "default", "weekly": LUNCH, "region": "CN", "tz": case.zone}]})
    save_policies(tenant, {"items": [{"name": "all", "first_response": FIRST_RESPONSE, "resolution": RESOLUTION}]})
    build(tenant, at, counted, case)
    plain = Plain(tenant, case)
    PERIOD, tz = case.period, case.tz  # noqa: N806
    # the scenario has what it claims: every kind of fact in the period, and tickets on its edges
    kinds = {metric for facts in plain.facts.values() for day, metric, _ in facts if PERIOD.start <= day <= PERIOD.end}
    assert {"created", "first_response", "resolved", "reopened", "csat", "sla_fr_met", "sla_fr_missed"} <= kinds
    assert {"sla_res_met", "sla_res_missed"} <= kinds
    assert plain.work("all")[""]

    for dim in DIMENSIONS:
        report = reports.summary(tenant, PERIOD, dim)
        got = sorted(
            ({k: v for k, v in row.items() if k != "label"} for row in report["items"]), key=lambda r: r["value"]
        )
        want = expected_summary(plain, dim)
        assert got == want, (dim, differences(got, want))
    report = reports.summary(tenant, PERIOD, "channel")
    total = plain.figures("all", PERIOD)[""]
    previous_total = plain.figures("all", PERIOD.previous()).get("", plain_figures({}))
    assert {k: v for k, v in report["total"].items() if k not in ("created_change", "deflection")} == total
    assert report["previous_total"] == previous_total
    assert report["total"]["created_change"] == round(
        (total["created"] - previous_total["created"]) / previous_total["created"], 4
    )
    names = {str(u.id): u.display_name for u in User.of(tenant)}
    assert {r["value"]: r["label"] for r in reports.summary(tenant, PERIOD, "agent")["items"]} == {
        v: names.get(v) for v in (r["value"] for r in reports.summary(tenant, PERIOD, "agent")["items"])
    }

    days = reports.daily(tenant, PERIOD)["items"]
    assert [d["value"] for d in days] == [d.isoformat() for d in PERIOD.dates()]
    for item in days:
        day = date.fromisoformat(item["value"])
        expected = plain.figures("all", Period(day, day)).get("", plain_figures({}))
        assert {k: v for k, v in item.items() if k not in ("value", "label")} == expected, day

    created = {t.id: plain.local(t.created_at) for t in plain.tickets}
    count_now, count_before = defaultdict(int), defaultdict(int)
    for t in plain.tickets:
        path = plain.values(t, "problem")[0]
        if PERIOD.start <= created[t.id] <= PERIOD.end:
            count_now[path] += 1
        elif PERIOD.previous().start <= created[t.id] <= PERIOD.previous().end:
            count_before[path] += 1
    in_period = sum(count_now.values())
    ranked = sorted(((v, c) for v, c in count_now.items() if v), key=lambda item: (-item[1], item[0]))[:3]
    assert [
        (i["value"], i["created"], i["share"], i["previous_created"])
        for i in reports.top_problems(tenant, PERIOD, 3)["items"]
    ] == [(v, c, round(c / in_period, 4), count_before.get(v, 0)) for v, c in ranked]

    today = plain.local(case.now)
    for dim in DIMENSIONS:
        groups: dict[str, list[int]] = defaultdict(list)
        for t in plain.tickets:
            if t.status in OPEN:
                for value in plain.values(t, dim):
                    groups[value].append((today - created[t.id]).days)
        expected = {
            value: {
                "open": len(ages),
                "avg_age_days": round(sum(ages) / len(ages), 1),
                "lt_1d": sum(a < 1 for a in ages),
                "d1_3": sum(1 <= a < 3 for a in ages),
                "d3_7": sum(3 <= a < 7 for a in ages),
                "ge_7d": sum(a >= 7 for a in ages),
            }
            for value, ages in groups.items()
        }
        got = {
            i["value"]: {k: i[k] for k in ("open", "avg_age_days", "lt_1d", "d1_3", "d3_7", "ge_7d")}
            for i in reports.backlog(tenant, dim)["items"]
        }
        assert got == expected, dim

    grid = [[0] * 24 for _ in range(7)]
    for t in plain.tickets:
        when = t.created_at.astimezone(tz)
        if PERIOD.start <= when.date() <= PERIOD.end:
            grid[when.weekday()][when.hour] += 1
    assert reports.heatmap(tenant, PERIOD)["grid"] == grid

    first, after = (
        datetime.combine(d, datetime.min.time(), tz) for d in (PERIOD.start, PERIOD.end + timedelta(days=1))
    )
    deflected = sum(1 for row in Deflection.select() if first <= row.at < after)
    portal = sum(1 for t in plain.tickets if t.channel == "portal" and PERIOD.start <= created[t.id] <= PERIOD.end)
    assert deflected == 2  # 23:59:59 on the 8th and midnight starting the 16th are outside
    assert report["total"]["deflection"] == {
        "deflected": deflected,
        "portal_tickets": portal,
        "rate": round(deflected / (deflected + portal), 4),
    }
