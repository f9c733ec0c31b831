"""Anomaly alerts delivered to WeCom, DingTalk and Feishu robots at a real loopback receiver:
message formats, DingTalk's and Feishu's signatures, once per episode, a refusal recorded."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from datetime import UTC, timedelta
from typing import Any

from gongdan_analytics import alerts
from gongdan_analytics.models import Episode, Hourly

from gongdan import accounts, clock, tickets
from gongdan.actors import Actor
from gongdan.models import Ticket
from gongdan.testing import answer

from .conftest import sh

DING_SECRET, FEISHU_SECRET = "SEC0123456789abcdef", "feishu-secret"


def history(tenant: Any, channel: str, per_hour: int, days: int = 28) -> None:
    """`per_hour` arrivals in every hour of the `days` days before today (Shanghai) on `channel`."""
    start = sh(2026, 11, 2).astimezone(UTC) - timedelta(days=days)
    rows = [
        {
            "tenant": tenant.id,
            "hour": start + timedelta(hours=n),
            "channel": channel,
            "metric": "created",
            "count": per_hour,
        }
        for n in range(days * 24)
    ]
    Hourly.insert_many(rows).execute()


def robots(http_server: Any, enable_plugin: Any, feishu_answer: bytes = b'{"code": 0, "msg": "success"}') -> tuple:
    wecom, ding = http_server(), http_server(respond=answer(body=b'{"errcode": 0, "errmsg": "ok"}'))
    feishu = http_server(respond=answer(body=feishu_answer))
    enable_plugin(
        "analytics",
        settings={
            "wecom_url": f"{wecom.base}/cgi-bin/webhook/send?key=k1",
            "dingtalk_url": f"{ding.base}/robot/send?access_token=t1",
            "dingtalk_secret": DING_SECRET,
            "feishu_url": f"{feishu.base}/open-apis/bot/v2/hook/h1",
            "feishu_secret": FEISHU_SECRET,
            "console_url": "https://kefu.example.com",
        },
    )
    return wecom, ding, feishu


def test_spike_once_per_episode_to_three_robots(
    analytics: Any,
    tenant: Any,
    at: Any,
    new_ticket: Any,
    http_server: Any,
    outbound_loopback: Any,
    enable_plugin: Any,
    counted: Any,
) -> None:
    wecom, ding, feishu = robots(http_server, enable_plugin)
    history(tenant, "web", 1)
    at(2026, 11, 2, 9, 10)
    for n in range(15):
        new_ticket(f"同一个问题 {n}", channel="web")
    at(2026, 11, 2, 10, 5)
    counted()
    found = alerts.evaluate(tenant)
    assert [f.kind for f in found] == ["arrivals_spike"]
    assert found[0].data["actual"] == 15
    assert (len(wecom.seen), len(ding.seen), len(feishu.seen)) == (1, 1, 1)

    body = json.loads(wecom.seen[0][3])
    assert body["msgtype"] == "markdown"
    assert "工单量突增" in body["markdown"]["content"]
    assert "https://kefu.example.com/console/analytics/week/" in body["markdown"]["content"]

    path = urllib.parse.urlsplit(ding.seen[0][1])
    query = urllib.parse.parse_qs(path.query)
    stamp = query["timestamp"][0]
    assert abs(int(stamp) - clock.now().timestamp() * 1000) < 1000
    expected = base64.b64encode(
        hmac.new(DING_SECRET.encode(), f"{stamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    )
    assert query["sign"][0] == expected.decode()
    assert query["access_token"] == ["t1"]
    assert json.loads(ding.seen[0][3])["msgtype"] == "markdown"

    sent = json.loads(feishu.seen[0][3])
    key = f"{sent['timestamp']}\n{FEISHU_SECRET}".encode()
    assert sent["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert sent["msg_type"] == "text"
    assert "15" in sent["content"]["text"]

    at(2026, 11, 2, 10, 35)
    assert [f.kind for f in alerts.evaluate(tenant)] == ["arrivals_spike"]  # same hour, same episode
    assert len(wecom.seen) == 1
    at(2026, 11, 2, 11, 5)
    assert alerts.evaluate(tenant) == []  # the hour 10:00–11:00 was quiet: the episode closes
    episode = Episode.get(Episode.tenant == tenant)
    assert episode.closed_at is not None
    assert episode.notified_at is not None
    at(2026, 11, 2, 11, 20)
    for n in range(15):
        new_ticket(f"又来了 {n}", channel="web")
    at(2026, 11, 2, 12, 1)
    counted()
    alerts.evaluate(tenant)
    assert len(wecom.seen) == 2  # a new episode, announced again
    assert Episode.select().where(Episode.tenant == tenant).count() == 2


def test_silent_channel_and_a_refusing_robot(
    analytics: Any, tenant: Any, at: Any, http_server: Any, outbound_loopback: Any, enable_plugin: Any
) -> None:
    _, _, feishu = robots(http_server, enable_plugin, feishu_answer=b'{"code": 19021, "msg": "sign match fail"}')
    history(tenant, "email", 3)
    at(2026, 11, 2, 10, 5)
    found = alerts.evaluate(tenant)
    assert [(f.kind, f.subject) for f in found] == [("channel_silent", "email")]
    assert found[0].lines[0].startswith("渠道「邮箱」最近")  # the channel in words, not its code
    assert len(feishu.seen) == 1
    episode = Episode.get(Episode.tenant == tenant)
    assert episode.notified_at is not None  # WeCom and DingTalk took it
    assert episode.last_error == "feishu: the robot refused the message (code 19021)"


def test_settings_refuse_a_private_robot_address(analytics: Any, admin_api: Any) -> None:
    answer_ = admin_api.put(
        "/api/v1/plugins/analytics", json={"enabled": True, "settings": {"wecom_url": "http://10.0.0.8/hook"}}
    )
    assert answer_.status_code == 422
    assert "settings.wecom_url" in answer_.json["error"]["fields"]


def test_slow_handling_and_a_surge_of_breaches(analytics: Any, tenant: Any, at: Any, new_ticket: Any) -> None:
    agent = accounts.create_user(tenant, "slow@acme.example.com", "agent", "慢慢", "pw-123456789")
    ticket = new_ticket("一直在聊", channel="web")
    for day, gap in ((1, 2), (2, 20)):  # yesterday two minutes a reply, today twenty
        for n in range(6):
            at(2026, 11, day, 9, 0)
            clock.advance(timedelta(minutes=gap * n))
            tickets.comment(tenant, Ticket.get_by_id(ticket.id), f"回复 {n}", Actor.of(agent))
    for _ in range(5):
        tickets.record_event(tenant, ticket, "sla.breach", {"target": "first_response"}, Actor.system("plugin:sla"))
    clock.advance(timedelta(minutes=1))
    found = {(f.kind, f.subject): f for f in alerts.evaluate(tenant)}
    slow = found[("handling_slow", f"agent:{agent.id}")]
    assert slow.data["minutes"] == 20.0
    assert slow.data["norm"] == 2.0
    assert "慢慢" in slow.lines[0]
    assert found[("sla_breach_surge", "")].data["breaches"] == 5


def test_a_mailbox_nobody_can_read_is_reported_once(
    analytics: Any, enable_plugin: Any, tenant: Any, at: Any, outbound_loopback: str
) -> None:
    from gongdan_email import mailboxes
    from gongdan_email.models import Mailbox

    settings = {"silent_hours": 3}
    enable_plugin("email")
    at(2026, 11, 2, 6)
    box = mailboxes.create(
        tenant,
        {"address": "support@acme.example", "imap_host": "127.0.0.1", "imap_port": 1, "imap_security": "none",
         "password": "x"},
    )  # fmt: skip
    now = at(2026, 11, 2, 8)
    Mailbox.update(last_success_at=now).where(Mailbox.id == box.id).execute()
    assert alerts.mailboxes(tenant, {**settings}, now) == []  # read just now
    later = at(2026, 11, 2, 11, 30)
    (finding,) = alerts.mailboxes(tenant, settings, later)
    assert (finding.kind, finding.subject) == ("mailbox_silent", "support@acme.example")
    assert "上次成功：2026-11-02 08:00" in finding.lines[0]
    alerts.evaluate(tenant)
    alerts.evaluate(tenant)
    assert Episode.select().where(Episode.kind == "mailbox_silent").count() == 1
    Mailbox.update(last_success_at=later).where(Mailbox.id == box.id).execute()
    alerts.evaluate(tenant)
    assert Episode.get(Episode.kind == "mailbox_silent").closed_at == later
