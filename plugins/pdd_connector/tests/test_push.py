"""Push messages over the simulator's WebSocket message service."""

from __future__ import annotations

from gongdan_pdd_connector import push
from gongdan_pdd_connector.models import PddRefund
from gongdan_pdd_connector.testing import connect_all, truth, wait_for


def _stored(tenant, refund_id):
    return PddRefund.get_or_none(PddRefund.tenant == tenant, PddRefund.after_sales_id == str(refund_id))


def test_a_new_refund_arrives_by_push_is_reread_and_acked(pdd_tenant, listening):
    sim, shop, listener = listening()
    (added,) = sim.control("POST", "records", {"owner_id": shop.owner_id, "count": 1})["records"]
    row = wait_for(lambda: _stored(pdd_tenant, added["id"]))
    assert row.status == added["status"]
    assert row.ticket.channel == "pdd"
    assert row.record["has_detail"] is True
    wait_for(lambda: all(m["state"] == "acked" for m in sim.control("GET", "messages")["messages"]))

    # a status change pushed later moves the same ticket on
    (changed,) = sim.control("POST", "mutate", {"count": 1, "owner_id": shop.owner_id})["changed"]
    wait_for(lambda: (_stored(pdd_tenant, changed["id"]) or row).status == changed["status"])
    assert listener.handled >= 2


def test_the_listener_reconnects_after_a_dropped_connection(pdd_tenant, listening):
    sim, shop, listener = listening()
    sim.control("POST", "disconnect")
    wait_for(lambda: listener.connections >= 2)
    (added,) = sim.control("POST", "records", {"owner_id": shop.owner_id, "count": 1})["records"]
    wait_for(lambda: _stored(pdd_tenant, added["id"]))


def test_a_failed_handler_answers_fail_and_the_message_comes_again(pdd_tenant, listening):
    sim, shop, _listener = listening(error_code=20005, rate=1.0, apis=["pdd.refund.information.get"])
    (added,) = sim.control("POST", "records", {"owner_id": shop.owner_id, "count": 1})["records"]
    failed = wait_for(
        lambda: [m for m in sim.control("GET", "messages")["messages"] if m["state"] == "failed"], timeout=10
    )
    assert "20005" in failed[0]["fail_reason"]
    assert _stored(pdd_tenant, added["id"]) is None  # a message alone is never trusted
    sim.control("POST", "faults", {})
    wait_for(lambda: _stored(pdd_tenant, added["id"]))
    wait_for(lambda: all(m["state"] == "acked" for m in sim.control("GET", "messages")["messages"]))


def test_ensure_listeners_permits_shops_and_starts_one_listener_per_app(pdd_tenant, start_sim):
    sim = start_sim(shops=2, records=5, heartbeat_seconds=1, redeliver_seconds=1)
    connected = connect_all(pdd_tenant, sim)
    started = push.ensure_listeners()
    try:
        assert len(started) == 1
        assert push.ensure_listeners() == []  # already running
        assert started[0].connected.wait(10)
        assert all(s["permitted"] for s in sim.control("GET", "shops")["shops"])
        (added,) = sim.control("POST", "records", {"owner_id": connected[1].owner_id, "count": 1})["records"]
        wait_for(lambda: _stored(pdd_tenant, added["id"]))
        assert {str(r["id"]) for r in truth(sim, connected[1].owner_id)} >= {str(added["id"])}
    finally:
        push.listener_lease.release()  # stops renewing: no lease row written under later tests
        for listener in started:
            push._listeners.clear()
            listener.stop()
