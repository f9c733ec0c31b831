"""The JD connector against its fake gateway on loopback: mapping, signature, windows, paging,
agents' edits, statuses, quarantine, the rate limit, the approve action and the toggle."""

from datetime import datetime, timedelta

import pytest

from gongdan import scheduler, tickets
from gongdan.actors import Actor
from gongdan.models import PluginFailure, Ticket, TicketEvent
from gongdan.plugins import get_host
from gongdan_jd import gateway as jd_gateway
from gongdan_jd import mapping, sync
from gongdan_jd.models import Cursor, Mirror, Quarantine
from gongdan_jd.simulator import FakeGateway

SETTINGS = {"app_key": "jd-app", "app_secret": "jd-secret", "access_token": "jd-token", "vender_id": "10001"}


def _next_run(tenant):
    """As if the next sync came two minutes later (JD's clock counts whole seconds)."""
    cursor = Cursor.of(tenant).get()
    cursor.until -= timedelta(minutes=2)
    cursor.save()


@pytest.fixture
def gateway(outbound_loopback):
    fake = FakeGateway()
    yield fake
    fake.stop()


@pytest.fixture
def connected(on, gateway):
    get_host().set_enabled(on, "jd", settings={"gateway_url": gateway.url, **SETTINGS})
    return on


def test_mapping_of_a_service_order():
    record = {
        "afsServiceId": 7,
        "orderId": "30012",
        "customerPin": "jd_buyer",
        "customerName": "张三",
        "questionTypeCode": "20",
        "questionDesc": "尺码不合适",
        "applyAmount": 899,
        "afsServiceStep": "50",
        "updateTime": "2026-11-30 09:30:00",
    }
    payload = mapping.to_ticket(record)
    assert payload["external_ref"] == {"system": "jd", "id": "7"}
    assert (payload["priority"], payload["category"], payload["tags"]) == ("high", "售后/换货/换货", ["换货", "已完成"])
    assert payload["customer"] == {"name": "张三", "external_id": "jd_buyer"}
    assert mapping.target_status(record) == "resolved"
    assert mapping.updated_at(record).utcoffset() == timedelta(hours=8)  # Beijing, though JD writes no zone
    with pytest.raises(mapping.Malformed, match="customerPin"):
        mapping.to_ticket({"afsServiceId": 8, "updateTime": "2026-11-30 09:30:00"})
    with pytest.raises(mapping.Malformed, match="updateTime"):
        mapping.to_ticket({**record, "updateTime": "30/11/2026"})


def test_jd_refuses_a_bad_signature_in_its_own_words(gateway, outbound_loopback):
    wrong = jd_gateway.Gateway(gateway.url, "jd-app", "not-the-secret", "jd-token")
    with pytest.raises(jd_gateway.GatewayError, match="签名无效") as refused:
        wrong.now()
    assert refused.value.jd_code == "14"
    right = jd_gateway.Gateway(gateway.url, "jd-app", "jd-secret", "jd-token")
    assert abs((right.now() - datetime.now(jd_gateway.BEIJING)).total_seconds()) < 60
    gateway.stop()
    with pytest.raises(jd_gateway.GatewayError, match=r"JD -: .* / "):  # unreachable: JD's error type, both languages
        right.now()


def test_schema_creates_the_tables(jd, gongdan_db):
    assert all(gongdan_db.table_exists(model._meta.table_name) for model in (Cursor, Mirror))


def test_channel_connector_and_timeline_labels_are_registered(jd):
    assert "jd" in [channel.name for _, channel in get_host().registered("gongdan_channels")]
    assert "jd" in [c.system for _, c in get_host().registered("gongdan_connectors")]
    assert "jd.refund_approved" in [k.kind for _, k in get_host().registered("gongdan_event_kinds")]


def test_the_sync_job_stores_each_order_once_quarantines_bad_ones_and_moves_the_cursor(connected, gateway):
    gateway.add("1001", questionTypeCode="10", questionDesc="屏幕有划痕", applyAmount=1200, customerName="张三")
    gateway.add("1002", questionTypeCode="30", afsServiceStep="31")
    gateway.add("1003", customerPin=None)  # malformed: recorded, the others stored
    job = next(job for job in scheduler.jobs(get_host()) if job.id == "jd.sync")
    assert scheduler.run_job(job)
    found = {t.external_id: t for t in Ticket.select().where(Ticket.tenant == connected)}
    assert set(found) == {"1001", "1002"}
    assert (found["1001"].channel, found["1001"].priority, found["1001"].status) == ("jd", "high", "new")
    assert found["1002"].status == "pending"  # 待收货: waiting on the buyer, walked new → open → pending
    assert PluginFailure.get(PluginFailure.plugin == "jd").hook == "jd.record"
    assert Cursor.of(connected).get().shop == "10001"
    assert Quarantine.of(connected).get().reason == "the service order has no customerPin"
    gateway.add("1002", minutes_ago=2, afsServiceStep="50")  # changed a minute later: read again, updated, not doubled
    _next_run(connected)
    sync.sync_tenant(connected)
    assert tickets.by_external_ref(connected, "jd", "1002").status == "resolved"
    assert Ticket.select().where(Ticket.tenant == connected).count() == 2


def test_a_long_pause_is_read_in_windows_of_a_day_and_pages_from_the_last(connected, gateway, monkeypatch):
    monkeypatch.setattr(jd_gateway, "PAGE_SIZE", 2)
    monkeypatch.setattr(sync, "PAGE_SIZE", 2)
    for n in range(5):
        gateway.add(f"20{n}", minutes_ago=60 * 24 * 2 + n)  # two days ago
    gateway.add("299", minutes_ago=30)
    Cursor.create(tenant=connected, shop="10001", until=datetime.now(jd_gateway.BEIJING) - timedelta(days=3))
    assert sync.sync_tenant(connected) == 6
    assert gateway.calls.count("jingdong.afs.service.list") >= 3 + 3  # three windows, three pages in one
    assert Ticket.select().where(Ticket.tenant == connected).count() == 6


def test_a_re_read_keeps_what_an_agent_changed(connected, gateway, make_user):
    gateway.add("3001", applyAmount=100, questionDesc="少发配件")
    sync.sync_tenant(connected)
    ticket = tickets.by_external_ref(connected, "jd", "3001")
    agent, _ = make_user("agent")
    tickets.update(connected, ticket, {"priority": "urgent", "tags": [*ticket.tags, "VIP"]}, Actor.of(agent))
    gateway.add(
        "3001", minutes_ago=2, applyAmount=100, questionDesc="少发配件，请尽快补发"
    )  # a minute later, JD changed the words
    _next_run(connected)
    sync.sync_tenant(connected)
    ticket = tickets.by_external_ref(connected, "jd", "3001")
    assert ticket.priority == "urgent"
    assert "VIP" in ticket.tags
    assert "请尽快补发" in ticket.subject


def test_the_client_stays_under_jds_rate_limit(gateway, outbound_loopback):
    client = jd_gateway.Gateway(gateway.url, "jd-app", "jd-secret", "jd-token")
    pauses: list[float] = []
    client.limiter = jd_gateway.SlidingWindow(3, 60, sleep=lambda s: (pauses.append(s), client.limiter._sent.clear()))
    for _ in range(4):
        client.now()
    assert len(pauses) == 1  # the fourth call waited instead of being refused
    assert "jingdong.system.time.get" in gateway.calls


def test_the_panel_action_approves_the_service_order(connected, gateway, console_client):
    gateway.add("4001", questionTypeCode="10")
    sync.sync_tenant(connected)
    ticket = tickets.by_external_ref(connected, "jd", "4001")
    agent = console_client("agent", language="zh_CN")
    page = agent.text(f"/console/tickets/{ticket.id}")
    assert "审核通过（同意售后）" in page
    assert "京东服务单 4001" in page
    refused = agent.post(f"/console/jd-actions/{ticket.id}/approve-refund")
    assert refused.status_code == 302
    assert gateway.audits == []
    agent.post(f"/console/jd-actions/{ticket.id}/approve-refund", {"confirm": "1"})
    assert gateway.audits == [{"afsServiceId": "4001", "approveResult": 1, "remark": f"gongdan #{ticket.number}"}]
    assert TicketEvent.get(TicketEvent.kind == "jd.refund_approved").data == {"record": "4001"}


def test_switching_off_and_on_drops_the_cached_client(connected, gateway):
    first = sync.gateway(connected)
    assert sync.gateway(connected) is first
    get_host().set_enabled(connected, "jd", enabled=False)
    get_host().set_enabled(connected, "jd", enabled=True)
    assert sync.gateway(connected) is not first
