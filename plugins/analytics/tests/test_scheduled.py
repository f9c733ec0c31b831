"""Scheduled e-mail reports: when they run, who may subscribe whom, the e-mail a real SMTP server
(aiosmtpd) receives, exactly one send per run, retries, the console page."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from click.testing import CliRunner
from gongdan_analytics import scheduled
from gongdan_analytics.cli import analytics as analytics_cli
from gongdan_analytics.models import Subscription
from gongdan_email.testing import SmtpSink, sending_mailbox

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.errors import Forbidden, ValidationError
from gongdan.models import Ticket, TicketEvent

from .conftest import sh

BOSS = "boss@acme.example.com"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An aiosmtpd server on loopback that keeps what it receives."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def mailbox(enable_plugin: Any, tenant: Any, outbound_loopback: str, smtp_sink: SmtpSink) -> Any:
    """The e-mail plugin on in acme, with a mailbox that sends through `smtp_sink`."""
    enable_plugin("email")
    return sending_mailbox(tenant, smtp_sink)


@pytest.fixture
def boss(make_user: Any) -> Actor:
    """A supervisor of acme, boss@acme.example.com."""
    return Actor.of(make_user("supervisor", email=BOSS, name="店长")[0])


def subscribe(tenant: Any, actor: Actor, **data: Any) -> Subscription:
    """A subscription with sensible defaults for the test."""
    return scheduled.save(tenant, {"name": "周报", "recipients": [BOSS], **data}, actor)


def parts(envelope: Any) -> tuple[Any, str, str, list[Any]]:
    """(message, plain text, HTML, attachments) of a received message."""
    mail = message_from_bytes(envelope.content, policy=policy.default)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    return mail, text, html, list(mail.iter_attachments())


def test_when_a_subscription_runs_and_what_it_covers(analytics: Any, tenant: Any, boss: Actor) -> None:
    # the clock: Monday 2026-11-02 10:00 Shanghai
    weekly = subscribe(tenant, boss, frequency="weekly", weekday=0, hour=8)
    assert weekly.next_run_at == datetime(2026, 11, 9, 0, 0, tzinfo=UTC)  # next Monday 08:00 +08:00
    daily = subscribe(tenant, boss, name="日报", frequency="daily", hour=8)
    assert daily.next_run_at == datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    later_today = subscribe(tenant, boss, name="午报", frequency="daily", hour=11)
    assert later_today.next_run_at == datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    sent_on = sh(2026, 11, 9, 8).date()
    assert scheduled.period_of(weekly, sent_on).start.isoformat() == "2026-11-02"
    assert scheduled.period_of(weekly, sent_on).end.isoformat() == "2026-11-08"
    assert scheduled.period_of(daily, sent_on).start == scheduled.period_of(daily, sent_on).end
    tenant.timezone = "Europe/London"
    tenant.save()
    # 10:00 in Shanghai is 02:00 in London: this Monday's 08:00 London time is still to come
    assert scheduled.next_run(weekly, tenant, sh(2026, 11, 2, 10)) == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_who_may_subscribe_whom(analytics: Any, tenant: Any, make_user: Any, boss: Actor) -> None:
    agent = Actor.of(make_user("agent")[0])
    with pytest.raises(Forbidden):
        subscribe(tenant, agent)
    with pytest.raises(ValidationError) as outside:
        subscribe(tenant, boss, recipients=[BOSS, "friend@rival.example"])
    assert "friend@rival.example" in outside.value.fields["recipients"][0]
    with pytest.raises(ValidationError) as wrong:
        subscribe(tenant, boss, recipients=["not-an-address"], hour=24, frequency="monthly")
    assert set(wrong.value.fields) == {"recipients.0", "hour", "frequency"}
    subscribe(tenant, boss)
    with pytest.raises(ValidationError) as twice:
        subscribe(tenant, boss)
    assert list(twice.value.fields) == ["name"]
    admin = Actor.of(make_user("admin")[0])
    row = subscribe(tenant, admin, name="给老板", recipients=["Owner@Home.example"])
    assert row.recipients == ["owner@home.example"]
    kinds = [e.kind for e in TicketEvent.select().where(TicketEvent.kind.startswith("analytics.subscription"))]
    assert kinds == ["analytics.subscription_created", "analytics.subscription_created"]


def _tickets_of_the_week(new_ticket: Any, at: Any) -> None:
    at(2026, 11, 2, 9)
    new_ticket("破损", channel="web")
    new_ticket("少件", channel="web")
    at(2026, 11, 5, 14)
    done = new_ticket("催单", channel="email")
    tickets.transition(done.tenant, done, "resolved", Actor.system())
    at(2026, 11, 8, 23, 30)  # Sunday night: still in the week
    new_ticket("发票", channel="web")
    at(2026, 11, 9, 0, 30)  # Monday: the next week
    new_ticket("改地址", channel="email")


def test_weekly_report_reaches_the_recipients_once_in_chinese(
    analytics: Any,
    tenant: Any,
    boss: Actor,
    mailbox: Any,
    smtp_sink: SmtpSink,
    new_ticket: Any,
    at: Any,
    counted: Any,
) -> None:
    row = subscribe(tenant, boss, format="csv", group_by="channel", language="zh")
    _tickets_of_the_week(new_ticket, at)
    counted()
    now = at(2026, 11, 9, 8, 0, 30)
    stale = Subscription.get_by_id(row.id)  # what a second worker read before the first claimed
    assert scheduled.run_due(tenant, now) == 1
    assert scheduled.run_due(tenant, now) == 0
    assert scheduled.claim(tenant, stale, now) is False
    (envelope,) = smtp_sink.wait_for(1)
    assert envelope.rcpt_tos == [BOSS]
    mail, text, html, (attachment,) = parts(envelope)
    assert str(mail["Subject"]) == "【定时报表】周报：2026-11-02 至 2026-11-08"
    assert "统计周期" in html
    assert "生成时间：2026-11-09 08:00 (Asia/Shanghai)" in html
    # our own count of the same tickets: created in [Mon 2026-11-02 00:00, Mon 2026-11-09 00:00) Shanghai
    start, end = sh(2026, 11, 2).astimezone(UTC), sh(2026, 11, 9).astimezone(UTC)
    ours = Counter(t.channel for t in Ticket.select().where((Ticket.created_at >= start) & (Ticket.created_at < end)))
    assert ours == {"web": 3, "email": 1}
    headline = re.search(r"新建工单</td>\s*<td[^>]*>(\d+)</td>", html)
    assert headline
    assert int(headline.group(1)) == sum(ours.values())
    assert "新建工单：4" in text
    assert attachment.get_filename() == "summary-2026-11-02-2026-11-08.csv"
    content = attachment.get_content()
    content = content.decode("utf-8") if isinstance(content, bytes) else content
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff"))))
    header = rows[0]
    found = {r[header.index("取值")]: int(r[header.index("新建工单")]) for r in rows[1:]}
    assert found == dict(ours)
    event = TicketEvent.get(TicketEvent.kind == "export.created")
    assert event.data["scheduled"] == row.id
    assert event.data["recipients"] == [BOSS]
    row = Subscription.get_by_id(row.id)
    assert row.last_sent_at == now
    assert row.next_run_at == datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
    at(2026, 11, 16, 8, 1)
    done = CliRunner().invoke(analytics_cli, ["send-reports", "--tenant", tenant.slug])
    assert done.output.strip() == "1 scheduled reports sent"
    assert len(smtp_sink.wait_for(2)) == 2


def test_a_refused_send_is_retried_and_reads_in_english(
    analytics: Any, tenant: Any, boss: Actor, mailbox: Any, smtp_sink: SmtpSink, at: Any
) -> None:
    row = subscribe(tenant, boss, frequency="daily", hour=9, language="en", format="xlsx", report="top_problems")
    smtp_sink.reply = "451 4.3.0 try later"
    now = at(2026, 11, 3, 9, 0, 10)
    assert scheduled.run_due(tenant, now) == 0
    row = Subscription.get_by_id(row.id)
    assert row.last_error == "the mail server refused (SMTP 451)"
    assert scheduled.localized(row.last_error) == "邮件服务器拒绝发送（SMTP 451）"
    assert row.next_run_at == now + scheduled.RETRY
    smtp_sink.reply = None
    assert scheduled.run_due(tenant, now + timedelta(minutes=5)) == 0  # not yet
    assert scheduled.run_due(tenant, now + scheduled.RETRY) == 1
    mail, _text, html, (attachment,) = parts(smtp_sink.wait_for(1)[0])
    assert str(mail["Subject"]) == "Scheduled report: 周报, 2026-11-02 to 2026-11-02"
    assert "Top problems" in html
    assert attachment.get_content()[:2] == b"PK"
    row = Subscription.get_by_id(row.id)
    assert (row.last_error, row.failures) == (None, 0)
    assert row.next_run_at == datetime(2026, 11, 4, 1, 0, tzinfo=UTC)


def test_without_a_mailbox_the_page_says_why(analytics: Any, console_client: Any, make_user: Any) -> None:
    page = console_client("supervisor", language="zh_CN")
    form = page.text("/console/analytics/schedules/new")
    assert page.user.email in form
    wrong = page.post(
        "/console/analytics/schedules/new",
        {"name": "团队周报", "report": "summary", "group_by": "team", "frequency": "weekly", "weekday": "4",
         "hour": "18", "recipients": "someone@outside.example", "language": "zh", "format": "xlsx"},
    )  # fmt: skip
    assert wrong.status_code == 422
    body = wrong.get_data(as_text=True)
    assert "收件人" in body
    assert "不是本工作区的员工" in body
    assert "someone@outside.example" in body
    saved = page.post(
        "/console/analytics/schedules/new",
        {"name": "团队周报", "report": "summary", "group_by": "team", "frequency": "weekly", "weekday": "4",
         "hour": "18", "recipients": page.user.email, "language": "zh", "format": "xlsx", "active": "1"},
    )  # fmt: skip
    assert saved.status_code == 302
    listing = page.text("/console/analytics/schedules/")
    assert "团队周报" in listing
    assert "每周五 18:00" in listing
    row = Subscription.get(Subscription.name == "团队周报")
    sent = page.post(f"/console/analytics/schedules/{row.id}/send", follow_redirects=True)
    assert "没有可发信的邮箱" in sent.get_data(as_text=True)
    assert "新建了定时报表" in console_client("admin", language="zh_CN").text("/console/audit/")
    assert console_client("agent").get("/console/analytics/schedules/").status_code == 403
    assert page.post(f"/console/analytics/schedules/{row.id}/delete").status_code == 302
    assert not Subscription.select().exists()


def test_the_same_through_the_api(analytics: Any, make_user: Any) -> None:
    _, api = make_user("supervisor", email=BOSS)
    made = api.post(
        "/api/v1/reports/subscriptions",
        json={"name": "日报", "frequency": "daily", "hour": 9, "recipients": [BOSS], "report": "daily"},
    )
    assert made.status_code == 201, made.get_json()
    created = made.get_json()
    assert created["next_run_at"] == "2026-11-03T09:00:00+08:00"
    path = f"/api/v1/reports/subscriptions/{created['id']}"
    changed = api.put(path, json={**{k: created[k] for k in ("name", "report", "recipients", "frequency")}, "hour": 7})
    assert changed.get_json()["next_run_at"] == "2026-11-03T07:00:00+08:00"
    assert [row["name"] for row in api.get("/api/v1/reports/subscriptions").get_json()["items"]] == ["日报"]
    outside = api.post("/api/v1/reports/subscriptions", json={"name": "x", "recipients": ["a@rival.example"]})
    assert outside.status_code == 422
    assert "recipients" in outside.get_json()["error"]["fields"]
    failed = api.post(f"{path}/send", headers={"Accept-Language": "zh-CN"})
    assert failed.status_code == 502
    assert "没有可发信的邮箱" in failed.get_json()["error"]["message"]
    assert api.get(f"/api/v1/reports/subscriptions/{2**40}").status_code == 404
    assert make_user("agent")[1].get("/api/v1/reports/subscriptions").status_code == 403
    assert api.delete(path).status_code == 200
    assert api.get(path).status_code == 404


def test_bad_bodies_are_422_naming_the_field(analytics: Any, make_user: Any) -> None:
    _, api = make_user("supervisor", email=BOSS)
    cases = [
        ({"name": "x", "recipients": BOSS}, "recipients"),
        ({"name": "x", "recipients": [BOSS], "weekday": 9}, "weekday"),
        ({"name": "x" * 101, "recipients": [BOSS]}, "name"),
        ({"name": "x", "recipients": [BOSS, BOSS.upper()]}, "recipients"),
        ({"name": "x", "recipients": [BOSS], "group_by": "day"}, "group_by"),
        ({"name": "x", "recipients": []}, "recipients"),
    ]
    for body, field in cases:
        answer = api.post("/api/v1/reports/subscriptions", json=body)
        assert answer.status_code == 422, body
        assert field in answer.get_json()["error"]["fields"], body
    assert api.post("/api/v1/reports/subscriptions", data="nope", content_type="application/json").status_code in (
        400,
        422,
    )
    assert not Subscription.select().exists()
