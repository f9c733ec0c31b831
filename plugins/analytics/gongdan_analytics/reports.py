"""The reports, read from the rollups (never by scanning tickets): see docs/analytics.md for each figure.

* `summary`: per value of a dimension, the period's figures and the change against the period before;
* `daily`: the figures of each day of the period (all tickets, or one dimension value);
* `top_problems`: the problems (third category level) with most new tickets, and their trend;
* `backlog`: open tickets now and their age, per value of a dimension;
* `heatmap`: arrivals per local weekday × hour.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from peewee import fn

from gongdan.models import Team, Tenant, User

from .models import Backlog, Daily, Hourly
from .periods import Period, today
from .rollup import CATCH_UP_SECONDS, DIMENSIONS, counted_at, tz_of

Cells = dict[str, tuple[int, float]]
AGE_BUCKETS = (("lt_1d", 0, 1), ("d1_3", 1, 3), ("d3_7", 3, 7), ("ge_7d", 7, None))
GROUPS = (*DIMENSIONS, "day")
PORTAL_CHANNEL = "portal"


def _ratio(part: float, whole: float, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def _avg(cells: Cells, metric: str) -> dict[str, Any]:
    count, total = cells.get(metric, (0, 0.0))
    return {"count": count, "avg_minutes": round(total / count, 1) if count else None}


def figures(cells: Cells) -> dict[str, Any]:
    """The figures of one group from its summed cells `{metric: (count, total)}`."""

    def n(metric: str) -> int:
        return cells.get(metric, (0, 0.0))[0]

    sla = {}
    for name, prefix in (("first_response", "sla_fr"), ("resolution", "sla_res")):
        met, missed = n(f"{prefix}_met"), n(f"{prefix}_missed")
        sla[name] = {"met": met, "missed": missed, "attainment": _ratio(met, met + missed)}
    met_all = sla["first_response"]["met"] + sla["resolution"]["met"]
    missed_all = sla["first_response"]["missed"] + sla["resolution"]["missed"]
    sla["attainment"] = _ratio(met_all, met_all + missed_all)
    csat_count, csat_total = cells.get("csat", (0, 0.0))
    return {
        "created": n("created"),
        "first_response": _avg(cells, "first_response"),
        "first_response_business": _avg(cells, "first_response_biz"),
        "resolved": n("resolved"),
        "resolution": _avg(cells, "resolved"),
        "resolution_business": _avg(cells, "resolution_biz"),
        "reopened": n("reopened"),
        "reopen_rate": _ratio(n("reopened"), n("resolved")),
        "sla": sla,
        "csat": {
            "responses": csat_count,
            "avg_score": round(csat_total / csat_count, 2) if csat_count else None,
            "satisfied_share": _ratio(n("csat_good"), csat_count),
        },
        "handling": _avg(cells, "work"),
    }


def sums(tenant: Tenant, dim: str, span: Period, metrics: tuple[str, ...] = ()) -> dict[str, Cells]:
    """`{value: {metric: (count, total)}}` summed over the period's days for dimension `dim`."""
    query = (
        Daily.select(Daily.value, Daily.metric, fn.SUM(Daily.count), fn.SUM(Daily.total))
        .where((Daily.tenant == tenant) & (Daily.dim == dim) & Daily.day.between(span.start, span.end))
        .group_by(Daily.value, Daily.metric)
    )
    if metrics:
        query = query.where(Daily.metric.in_(metrics))
    found: dict[str, Cells] = defaultdict(dict)
    for value, metric, count, total in query.tuples():
        if count or total:  # cells a ticket moved away from sum to zero
            found[value][metric] = (int(count or 0), float(total or 0.0))
    return found


# the core's codes a report groups by, as a person reads them: (English, Chinese)
CODE_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "channel": {"api": ("API", "API"), "web": ("Web", "网页"), "email": ("E-mail", "邮箱"), "phone": ("Phone", "电话")},
    "priority": {
        "low": ("Low", "低"),
        "normal": ("Normal", "普通"),
        "high": ("High", "高"),
        "urgent": ("Urgent", "紧急"),
    },
    "tier": {"normal": ("Regular", "普通"), "vip": ("VIP", "VIP"), "svip": ("SVIP", "SVIP")},
    "status": {
        "new": ("New", "新建"),
        "open": ("Open", "处理中"),
        "pending": ("Pending", "等待中"),
        "resolved": ("Resolved", "已解决"),
        "closed": ("Closed", "已关闭"),
    },
}


def code_words(dim: str, lang: str) -> dict[str, str]:
    """`{code: words}` of `dim`'s codes in `lang` (`zh` or `en`); channels that plugins register
    (拼多多, the portal) with the labels they give."""
    pick = 1 if lang == "zh" else 0
    words = {code: pair[pick] for code, pair in CODE_WORDS.get(dim, {}).items()}
    if dim == "channel":
        from gongdan import hooks

        for code, channel in hooks.channels().items():
            words.setdefault(code, (channel.label_zh if pick else channel.label_en) or channel.label or code)
    return words


def labels(tenant: Tenant, dim: str, values: list[str], lang: str = "en") -> dict[str, str | None]:
    """What a person reads for each value: team and agent names instead of ids, channels,
    priorities and customer tiers in words of `lang`; None for "none"."""
    ids = [int(v) for v in values if v.isdigit()]
    if dim == "team" and ids:
        names = {str(t.id): t.name for t in Team.of(tenant).where(Team.id.in_(ids))}
    elif dim == "agent" and ids:
        names = {str(u.id): u.display_name for u in User.of(tenant).where(User.id.in_(ids))}
    else:
        names = code_words(dim, lang)
    return {value: (names.get(value, value) if value else None) for value in values}


def _change(now: int, before: int) -> float | None:
    return _ratio(now - before, before)


def deflection(tenant: Tenant, span: Period) -> dict[str, Any] | None:
    """Knowledge deflection in the period: portal visitors who said an article answered their
    question and sent nothing (`portal_deflection`, counted on its index by tenant and time)
    against tickets raised through the portal; None when the portal plugin is not installed."""
    try:
        from gongdan_portal.models import Deflection
    except ImportError:
        return None
    first, after = span.utc_bounds(tenant)
    deflected = (
        Deflection.select()
        .where((Deflection.tenant == tenant) & (Deflection.at >= first) & (Deflection.at < after))
        .count()
    )
    raised = sums(tenant, "channel", span, ("created",)).get(PORTAL_CHANNEL, {}).get("created", (0, 0.0))[0]
    return {"deflected": deflected, "portal_tickets": raised, "rate": _ratio(deflected, deflected + raised)}


def summary(tenant: Tenant, span: Period, group_by: str, lang: str = "en") -> dict[str, Any]:
    """Figures per value of `group_by` (and in total) for the period, with the previous period's
    volume and the change in volume; labels in `lang`. `group_by="day"` gives the daily series instead."""
    if group_by == "day":
        return daily(tenant, span)
    current, before = sums(tenant, group_by, span), sums(tenant, group_by, span.previous(), ("created",))
    totals = sums(tenant, "all", span).get("", {})
    totals_before = sums(tenant, "all", span.previous()).get("", {})
    names = labels(tenant, group_by, sorted(set(current) | set(before)), lang)
    rows = []
    for value in sorted(set(current) | set(before), key=lambda v: -current.get(v, {}).get("created", (0, 0))[0]):
        row = figures(current.get(value, {}))
        previous = before.get(value, {}).get("created", (0, 0.0))[0]
        rows.append({"value": value, "label": names[value], **row, "previous_created": previous})
        rows[-1]["created_change"] = _change(row["created"], previous)
    total = figures(totals)
    previous_total = figures(totals_before)
    return {
        "report": "summary",
        "from": span.start.isoformat(),
        "to": span.end.isoformat(),
        "previous": {"from": span.previous().start.isoformat(), "to": span.previous().end.isoformat()},
        "group_by": group_by,
        "total": {
            **total,
            "created_change": _change(total["created"], previous_total["created"]),
            "deflection": deflection(tenant, span),
        },
        "previous_total": previous_total,
        "items": rows,
        "counted": counted(tenant),
    }


def counted(tenant: Tenant) -> dict[str, Any]:
    """How current the figures are: `at`, when the catch-up job last counted the tenant's changes
    (ISO 8601 in the tenant's zone; None before its first run), and `every_seconds`, how often it
    runs. Figures include every change made before `at`; later ones appear within `every_seconds`."""
    at = counted_at(tenant)
    return {"at": at.astimezone(tz_of(tenant)).isoformat() if at else None, "every_seconds": CATCH_UP_SECONDS}


def daily(tenant: Tenant, span: Period, dim: str = "all", value: str = "") -> dict[str, Any]:
    """The figures of each day of the period, for every ticket or for one dimension value."""
    query = (
        Daily.select(Daily.day, Daily.metric, fn.SUM(Daily.count), fn.SUM(Daily.total))
        .where(
            (Daily.tenant == tenant)
            & (Daily.dim == dim)
            & (Daily.value == value)
            & Daily.day.between(span.start, span.end)
        )
        .group_by(Daily.day, Daily.metric)
    )
    per_day: dict[date, Cells] = defaultdict(dict)
    for day, metric, count, total in query.tuples():
        per_day[day if isinstance(day, date) else date.fromisoformat(str(day))][metric] = (int(count), float(total))
    return {
        "report": "daily",
        "from": span.start.isoformat(),
        "to": span.end.isoformat(),
        "group_by": "day",
        "items": [
            {"value": d.isoformat(), "label": d.isoformat(), **figures(per_day.get(d, {}))} for d in span.dates()
        ],
    }


def top_problems(tenant: Tenant, span: Period, limit: int = 10) -> dict[str, Any]:
    """The `limit` problems with most new tickets in the period, with the previous period's count."""
    current = sums(tenant, "problem", span, ("created",))
    before = sums(tenant, "problem", span.previous(), ("created",))
    ranked = sorted(
        ((value, cells.get("created", (0, 0))[0]) for value, cells in current.items() if value),
        key=lambda item: (-item[1], item[0]),
    )[:limit]
    total = sum(cells.get("created", (0, 0))[0] for cells in current.values())
    items = []
    for value, count in ranked:
        previous = before.get(value, {}).get("created", (0, 0))[0]
        items.append(
            {
                "value": value,
                "label": value,
                "created": count,
                "share": _ratio(count, total),
                "previous_created": previous,
                "created_change": _change(count, previous),
            }
        )
    return {"report": "top_problems", "from": span.start.isoformat(), "to": span.end.isoformat(), "items": items}


def backlog(tenant: Tenant, group_by: str, lang: str = "en") -> dict[str, Any]:
    """Open tickets (new, open, pending) now per value of `group_by`: how many, their mean age in
    days and how many fall in each age bucket (by local creation day); labels in `lang`."""
    now_day = today(tenant)
    query = (
        Backlog.select(Backlog.value, Backlog.day, Backlog.count)
        .where((Backlog.tenant == tenant) & (Backlog.dim == ("all" if group_by == "day" else group_by)))
        .tuples()
    )
    groups: dict[str, dict[str, Any]] = {}
    for value, day, count in query:
        if count <= 0:
            continue
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        age = (now_day - day).days
        group = groups.setdefault(value, {"open": 0, "age_days_sum": 0, **{name: 0 for name, _, _ in AGE_BUCKETS}})
        group["open"] += count
        group["age_days_sum"] += age * count
        for name, low, high in AGE_BUCKETS:
            if age >= low and (high is None or age < high):
                group[name] += count
    names = labels(tenant, group_by, sorted(groups), lang)
    items = []
    for value, group in sorted(groups.items(), key=lambda item: -item[1]["open"]):
        age_sum = group.pop("age_days_sum")
        items.append(
            {"value": value, "label": names.get(value), **group, "avg_age_days": round(age_sum / group["open"], 1)}
        )
    return {"report": "backlog", "as_of": now_day.isoformat(), "group_by": group_by, "items": items}


def heatmap(tenant: Tenant, span: Period) -> dict[str, Any]:
    """Arrivals per local weekday (0 = Monday) × hour over the period."""
    first, after = span.utc_bounds(tenant)
    tz = tz_of(tenant)
    grid = [[0] * 24 for _ in range(7)]
    query = (
        Hourly.select(Hourly.hour, fn.SUM(Hourly.count))
        .where(
            (Hourly.tenant == tenant) & (Hourly.metric == "created") & (Hourly.hour >= first) & (Hourly.hour < after)
        )
        .group_by(Hourly.hour)
        .tuples()
    )
    for hour, count in query:
        local = Hourly.hour.python_value(hour).astimezone(tz)
        grid[local.weekday()][local.hour] += int(count)
    return {"report": "heatmap", "from": span.start.isoformat(), "to": span.end.isoformat(), "grid": grid}


def week(tenant: Tenant, lang: str = "en") -> dict[str, Any]:
    """The week at a glance: the last 7 days (to today) against the 7 before; labels in `lang`."""
    end = today(tenant)
    span = Period(end - timedelta(days=6), end)
    return {
        "summary": summary(tenant, span, "channel", lang),
        "daily": daily(tenant, span),
        "top_problems": top_problems(tenant, span, 5),
        "heatmap": heatmap(tenant, span),
        "backlog": backlog(tenant, "team", lang),
    }
