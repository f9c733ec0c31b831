"""Notifications: in-app over the API, e-mail to a real SMTP server, signed webhooks with retries."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from gongdan_sla.models import Delivery
from gongdan_sla.notify import SIGNATURE_HEADER, signature
from gongdan_sla.sweep import sweep_tenant

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.contributions import NotificationTransport
from gongdan.hookspecs import hookimpl
from gongdan.models import PluginFailure

BREACHING = {"name": "Fast", "first_response": 30, "escalations": [{"after": 0, "actions": ["notify_admin"]}]}
SECRET = "s3cret-键"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_server(outbound_loopback: str) -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 (allow-listed for this test)."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield mailbox, controller.port
    controller.stop()


class Hooks:
    """A webhook receiver on 127.0.0.1 that fails the first `fail` requests with a 500."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.received: list[tuple[dict, bool]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = self.headers.get(SIGNATURE_HEADER) == signature(SECRET, body)
                receiver.received.append((json.loads(body), valid))
                status = 500 if len(receiver.received) <= receiver.fail else 204
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sla"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def webhook_receiver(outbound_loopback: str) -> Iterator[Any]:
    """`webhook_receiver(fail=0)` → a running `Hooks` receiver on allow-listed loopback, stopped after the test."""
    started: list[Hooks] = []

    def start(fail: int = 0) -> Hooks:
        started.append(Hooks(fail))
        return started[-1]

    yield start
    for hooks in started:
        hooks.server.shutdown()
        hooks.server.server_close()


def test_in_app_notifications_are_listed_and_marked_read(
    configure: Any, tenant: Any, make_user: Any, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    configure([BREACHING])
    agent, agent_api = make_user("agent")
    admin, admin_api = make_user("admin")
    ticket = new_ticket()
    tickets.assign(tenant, ticket, agent.id, Actor.of(admin))
    frozen_clock.set(look.sh(2026, 11, 2, 10, 31))
    sweep_tenant(tenant)
    mine = agent_api.get("/api/v1/notifications").get_json()
    assert mine["unread"] == 2
    assert [n["kind"] for n in mine["items"]] == ["sla.breach", "sla.warning"]
    assert mine["items"][0]["ticket_id"] == ticket.id
    assert f"#{ticket.number}" in mine["items"][0]["subject"]
    assert [n["kind"] for n in admin_api.get("/api/v1/notifications").get_json()["items"]] == ["sla.escalation"]
    first = mine["items"][0]["id"]
    assert agent_api.post(f"/api/v1/notifications/{first}/read").get_json()["read_at"] is not None
    assert admin_api.post(f"/api/v1/notifications/{first}/read").status_code == 404  # not theirs
    assert agent_api.get("/api/v1/notifications?unread=true").get_json()["total"] == 1
    assert agent_api.post("/api/v1/notifications/read", json={"all": True}).get_json() == {"marked": 1}
    assert agent_api.get("/api/v1/notifications").get_json()["unread"] == 0


def test_breaches_are_emailed_through_a_real_smtp_server(
    configure: Any,
    enable_plugin: Any,
    tenant: Any,
    make_user: Any,
    new_ticket: Any,
    frozen_clock: Any,
    look: Any,
    smtp_server: tuple[Mailbox, int],
) -> None:
    mailbox, port = smtp_server
    configure([BREACHING])
    settings = {"transports": ["email"], "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    enable_plugin("sla", settings=settings)
    agent, _ = make_user("agent", email="xiaoli@acme.example.com")  # no language of their own: the tenant's
    supervisor, _ = make_user("supervisor", email="sam@acme.example.com")
    supervisor.language = "en"
    supervisor.save()
    ticket = new_ticket(subject="没有收到货")
    tickets.assign(tenant, ticket, agent.id, Actor.system("test"))
    frozen_clock.set(look.sh(2026, 11, 2, 10, 31))
    sweep_tenant(tenant)

    def read(message: Any) -> tuple[str, str]:
        subject = str(make_header(decode_header(message["Subject"])))
        return subject, message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")

    mails = sorted((recipients, *read(message)) for recipients, message in mailbox.messages)
    assert len(mails) == 3  # the warning to the assignee; the breach to the assignee and the supervisor
    assert tenant.language.startswith("zh")
    number = ticket.number
    assert mails[0][:2] == (["sam@acme.example.com"], f"[SLA breached] #{number} 没有收到货")
    assert "target was due and is not met" in mails[0][2]
    assert mails[1][:2] == (["xiaoli@acme.example.com"], f"[SLA 已超时] #{number} 没有收到货")
    assert f"工单 #{number}：首次响应目标已于" in mails[1][2]
    assert "到期，尚未达成" in mails[1][2]
    assert mails[2][:2] == (["xiaoli@acme.example.com"], f"[SLA 预警] #{number} 没有收到货")
    assert all(d.status == "delivered" for d in Delivery.select())


def test_webhooks_are_signed_retried_with_back_off_and_delivered(
    configure: Any,
    enable_plugin: Any,
    tenant: Any,
    new_ticket: Any,
    frozen_clock: Any,
    look: Any,
    webhook_receiver: Any,
) -> None:
    receiver = webhook_receiver(fail=2)
    configure([{"name": "Fast", "first_response": 30, "warning_percent": 99}])
    settings = {"transports": ["webhook"], "webhook_url": receiver.url, "webhook_secret": SECRET}
    enable_plugin("sla", settings=settings)
    ticket = new_ticket()
    frozen_clock.set(look.sh(2026, 11, 2, 10, 30))
    sweep_tenant(tenant)  # the warning (at 29.7 minutes) and the breach: two deliveries, both fail at first
    deliveries = list(Delivery.select().order_by(Delivery.id))
    assert [(d.status, d.attempts) for d in deliveries] == [("pending", 1), ("pending", 1)]
    assert "500" in deliveries[0].last_error
    assert (deliveries[0].next_attempt_at - frozen_clock.now()).total_seconds() == 30
    frozen_clock.advance(seconds=29)
    sweep_tenant(tenant)
    assert len(receiver.received) == 2  # not due yet
    frozen_clock.advance(seconds=1)
    sweep_tenant(tenant)
    assert [(d.status, d.attempts) for d in Delivery.select().order_by(Delivery.id)] == [
        ("delivered", 2),
        ("delivered", 2),
    ]
    payloads = [body for body, _ in receiver.received]
    assert all(valid for _, valid in receiver.received)
    assert {p["kind"] for p in payloads} == {"sla.warning", "sla.breach"}
    assert payloads[-1]["ticket_id"] == ticket.id
    assert payloads[-1]["tenant"] == "acme"


def test_a_webhook_that_keeps_failing_ends_failed_and_visible(
    configure: Any,
    enable_plugin: Any,
    tenant: Any,
    make_user: Any,
    new_ticket: Any,
    frozen_clock: Any,
    look: Any,
    webhook_receiver: Any,
) -> None:
    receiver = webhook_receiver(fail=100)
    configure([{"name": "Fast", "first_response": 30, "warning_percent": 99}])
    settings = {"transports": ["webhook"], "webhook_url": receiver.url, "webhook_secret": SECRET, "max_attempts": 3}
    enable_plugin("sla", settings=settings)
    new_ticket()
    frozen_clock.set(look.sh(2026, 11, 2, 10, 30))
    sweep_tenant(tenant)
    for wait in (30, 60):  # 30 s, then 60 s: exponential back-off
        frozen_clock.advance(seconds=wait)
        sweep_tenant(tenant)
    assert len(receiver.received) == 6
    _, admin_api = make_user("admin")
    failed = admin_api.get("/api/v1/sla/deliveries?status=failed").get_json()
    assert failed["total"] == 2
    assert failed["items"][0]["attempts"] == 3
    assert "500" in failed["items"][0]["last_error"]
    assert failed["items"][0]["next_attempt_at"] is None


def test_third_party_transports_register_through_the_hook_and_fail_alone(
    configure: Any,
    enable_plugin: Any,
    tenant: Any,
    make_user: Any,
    new_ticket: Any,
    frozen_clock: Any,
    look: Any,
    register_plugin: Any,
) -> None:
    sent: list[Any] = []

    class Sms:
        @hookimpl
        def gongdan_notification_transports(self) -> list[NotificationTransport]:
            return [NotificationTransport(name="sms", send=sent.append), NotificationTransport(name="chat", send=_boom)]

    register_plugin(Sms(), "sms-transport")
    configure([BREACHING])
    enable_plugin("sla", settings={"transports": ["chat", "sms", "in_app"]})
    agent, agent_api = make_user("agent")
    ticket = new_ticket()
    tickets.assign(tenant, ticket, agent.id, Actor.system("test"))
    frozen_clock.set(look.sh(2026, 11, 2, 10, 31))
    sweep_tenant(tenant)
    assert [n.kind for n in sent] == ["sla.warning", "sla.breach", "sla.escalation"]
    assert sent[0].recipient_ids == [agent.id]
    assert PluginFailure.select().where(PluginFailure.hook == "transport:chat").count() == 3
    assert agent_api.get("/api/v1/notifications").get_json()["total"] == 2


def _boom(notification: Any) -> None:
    raise ConnectionError("chat service down")
