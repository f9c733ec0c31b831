"""Event webhooks to a real loopback receiver: signed deliveries with an id and a timestamp,
retries with back-off while the receiver is down, delivery log and replay; the inbound result
route, idempotent on its id."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from gongdan_automation import webhooks
from gongdan_automation.models import RulesState, WebhookDelivery
from peewee import fn

from gongdan import clock, tickets
from gongdan.actors import Actor
from gongdan.models import TicketEvent


class Receiver:
    """An HTTP receiver on a fixed loopback port that can be stopped and started again."""

    def __init__(self, port: int) -> None:
        self.port, self.seen, self.server = port, [], None

    def start(self) -> None:
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                seen.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_signed_deliveries_survive_the_receiver_being_down(
    auto_tenant, rule_api, new_ticket, http_server, outbound_loopback, frozen_clock
):
    placeholder = http_server()  # only to get a free loopback port, then it is down
    port = placeholder.port
    placeholder.stop()
    receiver = Receiver(port)
    created = rule_api.post(
        "/api/v1/automation/webhooks",
        json={"url": f"http://127.0.0.1:{port}/hook", "kinds": ["created", "status_changed"]},
    )
    assert created.status_code == 201, created.get_json()
    secret = created.get_json()["secret"]
    assert webhooks.enqueue_new_events(auto_tenant) == 0  # starts at the end of the log
    ticket = new_ticket("退款")
    tickets.transition(auto_tenant, ticket, "resolved", Actor.system())
    assert webhooks.enqueue_new_events(auto_tenant) == 2
    assert webhooks.send_due(auto_tenant) == 0  # down: connection refused
    log = rule_api.get("/api/v1/automation/webhooks/deliveries").get_json()["items"]
    assert {(d["state"], d["attempts"]) for d in log} == {("queued", 1)}
    assert {d["last_error"] for d in log} == {"no usable answer from the address (refused, timed out or failed TLS)"}
    assert webhooks.send_due(auto_tenant) == 0  # not due again before the back-off
    receiver.start()
    try:
        clock.advance(timedelta(seconds=31))
        assert webhooks.send_due(auto_tenant) == 2
        assert webhooks.send_due(auto_tenant) == 0
        kinds = []
        for headers, body in receiver.seen:
            expected = hmac.new(
                secret.encode(),
                f"{headers['X-Gongdan-Delivery']}.{headers['X-Gongdan-Timestamp']}.".encode() + body,
                hashlib.sha256,
            ).hexdigest()
            assert headers["X-Gongdan-Signature"] == f"sha256={expected}"
            payload = json.loads(body)
            assert payload["ticket_id"] == ticket.id
            kinds.append(payload["kind"])
        assert kinds == ["created", "status_changed"]
        log = rule_api.get("/api/v1/automation/webhooks/deliveries?state=sent").get_json()["items"]
        assert len(log) == 2
        replayed = rule_api.post(f"/api/v1/automation/webhooks/deliveries/{log[0]['id']}/replay")
        assert replayed.get_json()["state"] == "queued"
        assert rule_api.post(f"/api/v1/automation/webhooks/deliveries/{log[0]['id']}/replay").status_code == 409
        assert webhooks.send_due(auto_tenant) == 1
        assert len(receiver.seen) == 3
    finally:
        receiver.stop()


def test_a_url_the_guard_refuses_is_422(auto_tenant, rule_api):
    response = rule_api.post("/api/v1/automation/webhooks", json={"url": "http://169.254.169.254/latest"})
    assert response.status_code == 422
    assert "url" in response.get_json()["error"]["fields"]


def test_the_inbound_result_route_is_idempotent_on_its_id(auto_tenant, make_user, new_ticket):
    _, erp = make_user("agent")
    ticket = new_ticket("退款")
    body = {"id": "PAY-20261111-7", "ticket_id": ticket.id, "reference": "PAY-7", "status": "退款已打款"}
    first = erp.post("/api/v1/automation/results", json=body)
    assert first.status_code == 201, first.get_json()
    again = erp.post("/api/v1/automation/results", json={**body, "status": "别的"})
    assert again.status_code == 200
    assert again.get_json()["status"] == "退款已打款"
    events = list(TicketEvent.select().where(TicketEvent.kind == "automation.result_recorded"))
    assert [e.data["status"] for e in events] == ["退款已打款"]
    bad = erp.post("/api/v1/automation/results", json={"ticket_id": ticket.id})
    assert set(bad.get_json()["error"]["fields"]) == {"id", "status"}
    assert erp.post("/api/v1/automation/results", json={**body, "id": "x", "ticket_id": 99999}).status_code == 404


def _late_event(tenant, ticket, event_id, kind):
    """An event with the id `event_id`, written now: one whose transaction committed after a later one's."""
    TicketEvent.insert(
        id=event_id, tenant=tenant.id, ticket=ticket.id, kind=kind, data={}, at=clock.now(), dispatched_at=clock.now()
    ).execute()


@pytest.mark.parametrize("gongdan_backend", ["postgresql"], indirect=True)  # SQLite commits in id order
def test_an_event_that_becomes_visible_late_is_still_queued_once(
    auto_tenant, rule_api, new_ticket, outbound_loopback, frozen_clock
):
    created = rule_api.post("/api/v1/automation/webhooks", json={"url": "http://127.0.0.1:9/hook", "kinds": []})
    assert created.status_code == 201, created.get_json()
    assert webhooks.enqueue_new_events(auto_tenant) == 0  # starts at the end of the log
    ticket = new_ticket("退款")
    newest = TicketEvent.select(fn.MAX(TicketEvent.id)).scalar()
    _late_event(auto_tenant, ticket, newest + 50, "erp.synced")  # visible first, with the higher id
    assert webhooks.enqueue_new_events(auto_tenant) == 2  # created, erp.synced
    _late_event(auto_tenant, ticket, newest + 10, "erp.checked")  # committed later, with a lower id
    assert webhooks.enqueue_new_events(auto_tenant) == 1  # still read: the cursor stayed behind
    clock.advance(timedelta(seconds=31))
    assert webhooks.enqueue_new_events(auto_tenant) == 0
    kinds = [d.kind for d in WebhookDelivery.select().order_by(WebhookDelivery.event_id)]
    assert kinds == ["created", "erp.checked", "erp.synced"]  # each once
    assert RulesState.get(RulesState.tenant == auto_tenant.id).webhook_event_id == newest + 50
