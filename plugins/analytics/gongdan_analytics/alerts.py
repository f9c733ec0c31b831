"""Anomaly alerts: find what is unusual now, and announce each episode once to the tenant's robots.

Findings (thresholds from the tenant's settings, see `settings.py` and docs/analytics.md):

* `arrivals_spike`: the last full hour's arrivals are at least `spike_min`, above the forecast's
  80 % upper bound and at least `spike_ratio` × the forecast;
* `channel_silent`: a channel brought nothing in the last `silent_hours` hours while its forecast
  expected at least `silent_expected` tickets in them;
* `mailbox_silent`: an active mailbox of the e-mail plugin not read successfully for
  `silent_hours` hours (fetching fails or stopped: its customers' mail reaches nobody);
* `handling_slow`: an agent's or a team's work minutes per reply today exceed `slow_ratio` × its
  mean over the 28 days before (each side counting at least `slow_min_replies` replies);
* `sla_breach_surge`: at least `breach_min` SLA breaches in the last hour, and at least
  `breach_ratio` × the hourly mean of the last 7 days.

An episode opens when a finding appears (a partial unique index allows one open episode per kind
and subject), is announced once (retried while it stays open if no robot took it), and closes
when the finding is gone; the next appearance is a new episode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import peewee as pw
from peewee import fn

from gongdan import clock, outbound
from gongdan.models import Tenant, TicketEvent
from gongdan.plugins import get_host

from . import robots
from .forecast import fit, interval, load_history, predict_day, promotions_of, specials
from .models import Episode, Hourly
from .periods import Period, today
from .reports import code_words, labels, sums
from .rollup import local_hour_start, tz_of

NORM_DAYS = 28

TITLES = {
    "arrivals_spike": ("工单量突增", "Arrivals spike"),
    "channel_silent": ("渠道无新工单", "Channel gone silent"),
    "mailbox_silent": ("邮箱收不到信", "Mailbox gone silent"),
    "handling_slow": ("处理变慢", "Handling slower than usual"),
    "sla_breach_surge": ("SLA 超时激增", "Surge of SLA breaches"),
}


@dataclass(frozen=True)
class Finding:
    """Something unusual now: its kind, what it is about, the numbers, and where to look."""

    kind: str
    subject: str
    lines: tuple[str, ...]
    path: str
    data: dict[str, Any]


def _hour_counts(tenant: Tenant, start: datetime, end: datetime) -> dict[str, int]:
    rows = (
        Hourly.select(Hourly.channel, fn.SUM(Hourly.count))
        .where((Hourly.tenant == tenant) & (Hourly.metric == "created") & (Hourly.hour >= start) & (Hourly.hour < end))
        .group_by(Hourly.channel)
        .tuples()
    )
    return {channel: int(count) for channel, count in rows}


def _expected_hours(tenant: Tenant, hours: list[datetime], channel: str | None) -> list[tuple[float, float]]:
    """The forecast `(expected, upper)` of each UTC hour in `hours`, from history before today."""
    tz, start = tz_of(tenant), today(tenant)
    history = load_history(tenant, start, channel)
    marks = specials(min(history), start + timedelta(days=1), promotions_of(tenant))
    model = fit(history, marks)
    found = []
    for hour in hours:
        local = hour.astimezone(tz)
        _, per_hour = predict_day(model, local.date(), marks.get(local.date()))
        expected = per_hour[local.hour]
        found.append((expected, interval(model, expected, hourly=True)[1]))
    return found


def spike(tenant: Tenant, settings: dict[str, Any], now: datetime) -> list[Finding]:
    """`arrivals_spike` over every channel in the last full local hour (a half-hour zone's hour
    starts at :30 UTC: the hourly table is kept per quarter hour)."""
    end = local_hour_start(now, tz_of(tenant))
    start = end - timedelta(hours=1)
    actual = sum(_hour_counts(tenant, start, end).values())
    expected, upper = _expected_hours(tenant, [start], None)[0]
    if actual < settings["spike_min"] or actual <= upper or actual < settings["spike_ratio"] * expected:
        return []
    local = start.astimezone(tz_of(tenant))
    return [
        Finding(
            "arrivals_spike",
            "",
            (
                f"{local:%Y-%m-%d %H:00} 新工单 {actual} 张，预测 {expected:.1f}（上限 {upper:.1f}）",
                f"{actual} new tickets in the hour from {local:%H:00}, forecast {expected:.1f} (upper {upper:.1f})",
            ),
            "analytics/week/",
            {"actual": actual, "expected": round(expected, 2), "upper": round(upper, 2), "hour": start.isoformat()},
        )
    ]


def silent(tenant: Tenant, settings: dict[str, Any], now: datetime) -> list[Finding]:
    """`channel_silent` for each channel that usually brings tickets in these (local) hours."""
    end = local_hour_start(now, tz_of(tenant))
    hours = [end - timedelta(hours=n) for n in range(settings["silent_hours"], 0, -1)]
    actual = _hour_counts(tenant, hours[0], end)
    known = {
        row[0]
        for row in Hourly.select(Hourly.channel)
        .where((Hourly.tenant == tenant) & (Hourly.hour >= end - timedelta(days=28)))
        .distinct()
        .tuples()
    }
    found = []
    zh, en = code_words("channel", "zh"), code_words("channel", "en")
    for channel in sorted(known):
        if actual.get(channel, 0):
            continue
        expected = sum(e for e, _ in _expected_hours(tenant, hours, channel))
        if expected >= settings["silent_expected"]:
            found.append(
                Finding(
                    "channel_silent",
                    channel,
                    (
                        f"渠道「{zh.get(channel, channel)}」最近 {len(hours)} 小时没有新工单，预测约 {expected:.1f} 张",
                        f"channel {en.get(channel, channel)}: no ticket in {len(hours)} hours, forecast {expected:.1f}",
                    ),
                    f"analytics/reports/?group_by=channel&channel={channel}",
                    {"channel": channel, "expected": round(expected, 2), "hours": len(hours)},
                )
            )
    return found


def slow(tenant: Tenant, settings: dict[str, Any], now: datetime) -> list[Finding]:
    """`handling_slow` per agent and per team: today's work minutes per reply against the norm."""
    day = today(tenant)
    found = []
    for dim in ("agent", "team"):
        current = sums(tenant, dim, Period(day, day), ("work",))
        norm = sums(tenant, dim, Period(day - timedelta(days=NORM_DAYS), day - timedelta(days=1)), ("work",))
        names = labels(tenant, dim, sorted(current))
        for value, cells in current.items():
            count, total = cells.get("work", (0, 0.0))
            base_count, base_total = norm.get(value, {}).get("work", (0, 0.0))
            if not value or count < settings["slow_min_replies"] or base_count < settings["slow_min_replies"]:
                continue
            mean, base = total / count, base_total / base_count
            if base and mean > settings["slow_ratio"] * base:
                who = names.get(value) or value
                found.append(
                    Finding(
                        "handling_slow",
                        f"{dim}:{value}",
                        (
                            f"{'客服' if dim == 'agent' else '团队'} {who} 今天每次回复平均 {mean:.1f} 分钟，"
                            f"平时 {base:.1f} 分钟",
                            f"{dim} {who}: {mean:.1f} min per reply today, usually {base:.1f}",
                        ),
                        f"analytics/reports/?group_by={dim}",
                        {
                            "dim": dim,
                            "value": value,
                            "minutes": round(mean, 2),
                            "norm": round(base, 2),
                            "replies": count,
                        },
                    )
                )
    return found


def _breaches(tenant: Tenant, start: datetime, end: datetime) -> int:
    return (
        TicketEvent.select()
        .where(
            (TicketEvent.tenant == tenant)
            & (TicketEvent.at >= start)
            & (TicketEvent.at < end)
            & (TicketEvent.kind == "sla.breach")
        )
        .count()
    )


def breaches(tenant: Tenant, settings: dict[str, Any], now: datetime) -> list[Finding]:
    """`sla_breach_surge`: SLA breaches of the last hour against the hourly mean of the week before."""
    hour = timedelta(hours=1)
    recent = _breaches(tenant, now - hour, now)
    week = _breaches(tenant, now - timedelta(days=7), now - hour) / (7 * 24 - 1)
    if recent < settings["breach_min"] or recent < settings["breach_ratio"] * week:
        return []
    return [
        Finding(
            "sla_breach_surge",
            "",
            (
                f"最近一小时 {recent} 个 SLA 超时，过去 7 天平均每小时 {week:.1f} 个",
                f"{recent} SLA breaches in the last hour, {week:.1f} per hour over the last 7 days",
            ),
            "analytics/reports/?group_by=team",
            {"breaches": recent, "hourly_mean": round(week, 2)},
        )
    ]


def mailboxes(tenant: Tenant, settings: dict[str, Any], now: datetime) -> list[Finding]:
    """`mailbox_silent`: an active mailbox of the e-mail plugin that has not been read successfully
    for `silent_hours` hours (the fetch fails or stopped), so its mail no longer reaches anyone."""
    host = get_host()
    if "email" not in host.loaded or not host.is_enabled(tenant, "email"):
        return []
    from gongdan_email.models import Mailbox

    since = now - timedelta(hours=settings["silent_hours"])
    rows = Mailbox.of(tenant).where(
        (Mailbox.active == True)  # noqa: E712
        & (Mailbox.created_at < since)
        & (Mailbox.last_success_at.is_null() | (Mailbox.last_success_at < since))
    )
    tz = tz_of(tenant)
    found = []
    for box in rows.order_by(Mailbox.address):
        last = box.last_success_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if box.last_success_at else None
        found.append(
            Finding(
                "mailbox_silent",
                box.address[:100],
                (
                    f"邮箱 {box.address} 已 {settings['silent_hours']} 小时未能收信（上次成功：{last or '从未'}）",
                    f"mailbox {box.address}: not read for {settings['silent_hours']} hours "
                    f"(last success: {last or 'never'})",
                ),
                "email-mailboxes/",
                {"mailbox": box.id, "address": box.address, "last_success_at": last},
            )
        )
    return found


DETECTORS = (spike, silent, mailboxes, slow, breaches)


def _message(tenant: Tenant, settings: dict[str, Any], finding: Finding) -> robots.Message:
    zh, en = TITLES[finding.kind]
    base = (settings.get("console_url") or "").rstrip("/")
    return robots.Message(f"【{tenant.name}】{zh} / {en}", finding.lines, f"{base}/console/{finding.path}")


def _announce(tenant: Tenant, settings: dict[str, Any], episode: Episode, finding: Finding) -> None:
    message, errors, sent = _message(tenant, settings, finding), [], False
    for robot, url, secret in robots.configured(settings):
        try:
            robots.send(robot, url, secret, message, clock.now().timestamp())
            sent = True
        except outbound.OutboundError as exc:
            errors.append(f"{robot}: {outbound.describe(exc)}")
    Episode.update(notified_at=clock.now() if sent else None, last_error="; ".join(errors) or None).where(
        Episode.id == episode.id
    ).execute()


def evaluate(tenant: Tenant) -> list[Finding]:
    """Run every detector; open, announce and close episodes. Returns the findings."""
    settings = get_host().settings(tenant, "analytics")
    now = clock.now()
    findings = [finding for detect in DETECTORS for finding in detect(tenant, settings, now)]
    current = {(f.kind, f.subject): f for f in findings}
    open_rows = {(e.kind, e.subject): e for e in Episode.of(tenant).where(Episode.closed_at.is_null())}
    for key, episode in open_rows.items():
        if key not in current:
            Episode.update(closed_at=now).where(Episode.id == episode.id).execute()
    for key, finding in current.items():
        episode = open_rows.get(key)
        if episode is None:
            try:
                episode = Episode.create(tenant=tenant, kind=finding.kind, subject=finding.subject, data=finding.data)
            except pw.IntegrityError:  # another worker opened it a moment ago
                continue
        if episode.notified_at is None:
            _announce(tenant, settings, episode, finding)
    return findings
