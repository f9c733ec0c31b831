"""The connector against its fake gateway on loopback: mapping, schema, sync job, panel action."""

import pytest

from gongdan import scheduler, tickets
from gongdan.models import PluginFailure, Ticket, TicketEvent
from gongdan.plugins import get_host
from gongdan_jd import mapping, sync
from gongdan_jd.models import Cursor
from gongdan_jd.simulator import FakeGateway


@pytest.fixture
def gateway(outbound_loopback):
    fake = FakeGateway(api_key="k-123")
    yield fake
    fake.stop()


@pytest.fixture
def connected(on, gateway):
    settings = {"gateway_url": gateway.url, "api_key": "k-123", "shop_id": "shop-1"}
    get_host().set_enabled(on, "jd", settings=settings)
    return on


def test_mapping():
    payload = mapping.to_ticket({"id": 7, "reason": "damaged", "amount": 800, "buyer": "张三", "buyer_id": "b1"})
    assert payload["external_ref"] == {"system": "jd", "id": "7"}
    assert (payload["priority"], payload["category"]) == ("high", "售后/退货退款/质量问题")
    with pytest.raises(mapping.Malformed, match="reason"):
        mapping.to_ticket({"id": 8})


def test_schema_creates_the_cursor_table(gongdan_db):
    assert gongdan_db.table_exists(Cursor._meta.table_name)


def test_channel_and_connector_are_registered():
    assert "jd" in [channel.name for _, channel in get_host().registered("gongdan_channels")]
    assert "jd" in [c.system for _, c in get_host().registered("gongdan_connectors")]


def test_the_sync_job_stores_each_record_once_and_moves_the_cursor(connected, gateway):
    gateway.add("1001", reason="damaged", buyer="张三", buyer_id="b1")
    gateway.add("1002", reason="not_received")
    gateway.add("1003", title="no reason")  # malformed: recorded, the others stored
    job = next(job for job in scheduler.jobs(get_host()) if job.id == "jd.sync")
    assert scheduler.run_job(job)
    found = {t.external_id: t for t in Ticket.select().where(Ticket.tenant == connected)}
    assert set(found) == {"1001", "1002"}
    assert found["1001"].channel == "jd"
    assert PluginFailure.get(PluginFailure.plugin == "jd").hook == "jd.record"
    assert Cursor.of(connected).get().shop == "shop-1"
    gateway.add("1002", reason="damaged")  # changed since: read again, updated, not doubled
    sync.sync_tenant(connected)
    assert tickets.by_external_ref(connected, "jd", "1002").tags == ["damaged"]
    assert Ticket.select().where(Ticket.tenant == connected).count() == 2


def test_the_panel_action_approves_the_refund(connected, gateway, console_client):
    gateway.add("2001", reason="damaged")
    sync.sync_tenant(connected)
    ticket = tickets.by_external_ref(connected, "jd", "2001")
    agent = console_client("agent", language="zh_CN")
    assert "批准退款" in agent.text(f"/console/tickets/{ticket.id}")
    refused = agent.post(f"/console/jd-actions/{ticket.id}/approve-refund")
    assert refused.status_code == 302
    assert gateway.records["2001"]["status"] == "waiting"
    agent.post(f"/console/jd-actions/{ticket.id}/approve-refund", {"confirm": "1"})
    assert gateway.records["2001"]["status"] == "approved"
    assert TicketEvent.get(TicketEvent.kind == "jd.refund_approved").data == {"record": "2001"}
