"""The outbox: replies and notifications queued with the change, sent through the ticket's channel."""

from __future__ import annotations

import threading

import pytest

from gongdan import accounts, delivery, tickets
from gongdan.actors import Actor
from gongdan.contributions import Channel, DeliveryReceipt
from gongdan.db import db
from gongdan.errors import DeliveryError
from gongdan.hookspecs import hookimpl
from gongdan.models import Delivery, PluginFailure, Tenant, User

CUSTOMER = Actor.system("channel:test")


class RecordingChannel:
    """A channel plugin that records what it is asked to deliver; `script` decides each answer."""

    def __init__(self) -> None:
        self.sent = []
        self.script = []  # DeliveryError instances to raise, in order; empty: accept
        self.lock = threading.Lock()
        self.delay = 0.0  # seconds each send takes

    def deliver(self, message):
        threading.Event().wait(self.delay)
        with self.lock:
            self.sent.append(message)
            if self.script:
                raise self.script.pop(0)
        return DeliveryReceipt(external_id=f"<{message.delivery_id}@test>")

    @hookimpl
    def gongdan_channels(self):
        return [Channel(name="testchan", label="Test", deliver=self.deliver)]

    @hookimpl
    def gongdan_notification_links(self, tenant, ticket, kind):
        if kind == "resolved":
            return [("评价服务", "Rate us", f"https://example.com/rate/{ticket.number}")]
        return None


@pytest.fixture
def channel(register_plugin):
    plugin = RecordingChannel()
    register_plugin(plugin, "testchan")
    return plugin


@pytest.fixture
def quiet(tenant):
    """The tenant without acknowledgements, so a test sees only what it makes."""
    Tenant.update(notify_acknowledgement=False).where(Tenant.id == tenant.id).execute()
    tenant.notify_acknowledgement = False
    return tenant


def open_ticket(tenant, channel_name="testchan", **extra):
    ticket, _ = tickets.create(
        tenant, {"subject": "快递破损", "channel": channel_name, "customer": {"name": "王女士"}, **extra}, CUSTOMER
    )
    return ticket


def agent(tenant):
    found = User.get_or_none(User.email == f"agent@{tenant.slug}.example.com")
    return found or accounts.create_user(tenant, f"agent@{tenant.slug}.example.com", "agent")


def test_reply_is_queued_in_the_same_transaction_then_sent(quiet, channel):
    ticket = open_ticket(quiet)
    reply = tickets.comment(quiet, ticket, "您好，已为您补发", Actor.of(agent(quiet)))
    row = Delivery.get(Delivery.comment == reply.id)
    assert (row.state, row.kind, row.channel, row.attempts) == ("queued", "reply", "testchan", 0)
    assert channel.sent == []  # nothing leaves in the request
    assert delivery.flush() == 1
    row = Delivery.get_by_id(row.id)
    assert (row.state, row.attempts, row.external_id) == ("sent", 1, f"<{row.id}@test>")
    assert row.sent_at is not None
    message = channel.sent[0]
    assert (message.kind, message.text, message.comment.id, message.language) == ("reply", reply.body, reply.id, "zh")
    assert message.subject == f"[#{ticket.number}] 快递破损"
    assert delivery.flush() == 0  # sent once


def test_internal_notes_and_customer_messages_are_not_delivered(quiet, channel):
    ticket = open_ticket(quiet)
    tickets.comment(quiet, ticket, "内部备注", Actor.of(agent(quiet)), internal=True)
    tickets.comment(quiet, ticket, "还没收到", CUSTOMER, from_customer=True)
    assert Delivery.select().count() == 0


def test_a_failed_comment_leaves_no_delivery(quiet, channel):
    ticket = open_ticket(quiet)
    with pytest.raises(Exception, match="unknown attachments"):
        tickets.comment(quiet, ticket, "附件", Actor.of(agent(quiet)), attachment_ids=[999])
    assert Delivery.select().count() == 0


def test_temporary_failure_retries_with_back_off_then_sends(quiet, channel, frozen_clock):
    ticket = open_ticket(quiet)
    tickets.comment(quiet, ticket, "您好", Actor.of(agent(quiet)))
    channel.script = [DeliveryError("451 try later"), DeliveryError("421 busy")]
    assert delivery.flush() == 0
    row = Delivery.get()
    assert (row.state, row.attempts, row.last_error) == ("retrying", 1, "451 try later")
    assert row.next_attempt_at == frozen_clock.now() + delivery.BACKOFF_FIRST
    assert delivery.flush() == 0
    assert len(channel.sent) == 1
    frozen_clock.advance(seconds=30)
    assert delivery.flush() == 0
    row = Delivery.get()
    assert (row.state, row.attempts) == ("retrying", 2)
    assert row.next_attempt_at == frozen_clock.now() + 2 * delivery.BACKOFF_FIRST  # doubled
    frozen_clock.advance(seconds=60)
    assert delivery.flush() == 1
    row = Delivery.get()
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, None)


def test_temporary_failures_give_up_after_max_attempts(quiet, channel, frozen_clock):
    ticket = open_ticket(quiet)
    tickets.comment(quiet, ticket, "您好", Actor.of(agent(quiet)))
    channel.script = [DeliveryError("timeout")] * delivery.MAX_ATTEMPTS
    for _ in range(delivery.MAX_ATTEMPTS):
        delivery.flush()
        frozen_clock.advance(hours=3)
    row = Delivery.get()
    assert (row.state, row.attempts, row.last_error) == ("failed", delivery.MAX_ATTEMPTS, "timeout")


def test_permanent_failure_fails_at_once_and_retry_queues_again(quiet, channel):
    ticket = open_ticket(quiet)
    tickets.comment(quiet, ticket, "您好", Actor.of(agent(quiet)))
    channel.script = [DeliveryError("550 no such user", permanent=True)]
    delivery.flush()
    row = Delivery.get()
    assert (row.state, row.last_error) == ("failed", "550 no such user")
    assert delivery.flush() == 0
    again = delivery.retry(quiet, row.id)
    assert (again.state, again.attempts) == ("queued", 0)
    assert delivery.flush() == 1
    assert Delivery.get().state == "sent"


def test_a_channel_bug_is_recorded_and_retried(quiet, channel):
    ticket = open_ticket(quiet)
    tickets.comment(quiet, ticket, "您好", Actor.of(agent(quiet)))
    channel.script = [RuntimeError("boom")]
    delivery.flush()
    row = Delivery.get()
    assert (row.state, row.last_error) == ("retrying", "RuntimeError: boom")
    assert PluginFailure.get().plugin == "testchan"


def test_bounce_marks_the_sent_delivery_failed(quiet, channel, other_tenant):
    ticket = open_ticket(quiet)
    tickets.comment(quiet, ticket, "您好", Actor.of(agent(quiet)))
    delivery.flush()
    external = Delivery.get().external_id
    assert delivery.fail(other_tenant, external, "not yours") is None  # tenant-scoped
    bounced = delivery.fail(quiet, external, "550 5.1.1 mailbox unavailable")
    assert (bounced.state, bounced.last_error) == ("failed", "550 5.1.1 mailbox unavailable")
    assert delivery.fail(quiet, "<unknown@test>", "x") is None


def test_a_channel_without_deliver_queues_nothing(quiet, channel):
    ticket = open_ticket(quiet, channel_name="api")
    tickets.comment(quiet, ticket, "您好", Actor.of(agent(quiet)))
    assert not delivery.can_reach(quiet, ticket)
    assert Delivery.select().count() == 0


def test_a_disabled_channel_plugin_queues_nothing_and_fails_what_was_queued(quiet, channel):
    from gongdan.plugins import get_host

    ticket = open_ticket(quiet)
    tickets.comment(quiet, ticket, "一", Actor.of(agent(quiet)))
    get_host().always_on.discard("testchan")  # now only enabled where switched on: nowhere
    try:
        assert not delivery.can_reach(quiet, ticket)
        tickets.comment(quiet, ticket, "二", Actor.of(agent(quiet)))
        assert Delivery.select().count() == 1
        delivery.flush()
        row = Delivery.get()
        assert row.state == "failed"
        assert "cannot reach" in row.last_error
        get_host().set_enabled(quiet, "testchan", enabled=True)
        assert delivery.can_reach(quiet, ticket)
    finally:
        get_host().always_on.add("testchan")


def test_notifications_in_the_customers_language_with_plugin_links(tenant, channel):
    ticket = open_ticket(tenant, language="en")
    tickets.transition(tenant, ticket, "resolved", Actor.of(agent(tenant)))
    kinds = [row.kind for row in Delivery.select().order_by(Delivery.id)]
    assert kinds == ["acknowledgement", "resolved"]
    assert delivery.flush() == 2
    ack, resolved = channel.sent
    assert f"ticket number is #{ticket.number}" in ack.text
    assert ack.language == "en"
    assert "Rate us: https://example.com/rate/" in resolved.text
    assert '<a href="https://example.com/rate/' in resolved.html
    zh = open_ticket(tenant)
    delivery.flush()
    assert f"工单号为 #{zh.number}" in channel.sent[-1].text


def test_each_notification_is_switchable(tenant, channel):
    Tenant.update(notify_acknowledgement=False, notify_resolved=False, notify_reply=False).where(
        Tenant.id == tenant.id
    ).execute()
    tenant = Tenant.get_by_id(tenant.id)
    ticket = open_ticket(tenant)
    tickets.comment(tenant, ticket, "您好", Actor.of(agent(tenant)))
    tickets.transition(tenant, ticket, "resolved", Actor.of(agent(tenant)))
    assert Delivery.select().count() == 0


def test_html_is_escaped(quiet, channel):
    ticket = open_ticket(quiet)
    tickets.comment(quiet, ticket, "<script>alert(1)</script>\n第二行", Actor.of(agent(quiet)))
    delivery.flush()
    assert channel.sent[0].html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;<br>第二行</p>"


def test_two_concurrent_flushers_never_send_twice(quiet, channel):
    """Two threads, each on its own connection, flush the same 40 due deliveries at once.

    PostgreSQL: claims with FOR UPDATE SKIP LOCKED plus the lease; SQLite: the write lock.
    """

    ticket = open_ticket(quiet)
    user = agent(quiet)
    for i in range(40):
        tickets.comment(quiet, ticket, f"回复 {i}", Actor.of(user))
    db.close()
    channel.delay = 0.01
    gate = threading.Barrier(2)
    counts = []

    def worker():
        gate.wait()
        counts.append(delivery.flush(limit=5))
        db.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [m.delivery_id for m in channel.sent]
    assert len(ids) == 40
    assert len(set(ids)) == 40
    assert sum(counts) == 40
    assert all(counts)
    assert Delivery.select().where(Delivery.state == "sent").count() == 40


def test_an_expired_lease_is_claimed_again(quiet, channel, frozen_clock):
    ticket = open_ticket(quiet)
    tickets.comment(quiet, ticket, "您好", Actor.of(agent(quiet)))
    claimed = delivery._claim(None, 10)  # a flusher that died after claiming
    assert len(claimed) == 1
    assert delivery.flush() == 0
    frozen_clock.advance(seconds=delivery.LEASE.total_seconds() + 1)
    assert delivery.flush() == 1
    delivery._finish(claimed[0], state="failed", last_error="late")  # the dead one's answer is ignored
    assert Delivery.get().state == "sent"


def test_retry_of_another_tenants_delivery_is_not_found(quiet, channel, other_tenant):
    ticket = open_ticket(quiet)
    tickets.comment(quiet, ticket, "您好", Actor.of(agent(quiet)))
    from gongdan.errors import NotFound

    with pytest.raises(NotFound):
        delivery.retry(other_tenant, Delivery.get().id)
