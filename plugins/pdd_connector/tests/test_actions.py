"""Actions from the ticket (agree to a refund or a return, order note) and the masked order."""

from __future__ import annotations

import pytest
from gongdan_pdd_connector.models import PddRefund
from gongdan_pdd_connector.testing import truth

from gongdan.models import TicketEvent


def _ticket_with_status(tenant, sim, status):
    for record in truth(sim):
        if record["status"] == status and not record["malformed"]:
            row = PddRefund.get(PddRefund.tenant == tenant, PddRefund.after_sales_id == str(record["id"]))
            return row.ticket
    pytest.skip(f"the seeded data has no record in status {status}")


def _events(ticket, kind):
    return list(TicketEvent.select().where((TicketEvent.ticket == ticket) & (TicketEvent.kind == kind)))


def test_agree_refund_calls_the_gateway_records_an_event_and_follows_the_status(synced, pdd_tenant, agent_api):
    sim, _shop = synced
    ticket = _ticket_with_status(pdd_tenant, sim, 2)
    assert ticket.status == "new"
    response = agent_api.post(f"/api/v1/pdd/tickets/{ticket.id}/agree-refund", json={"note": "同意，已核实"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["result"]["succ"] is True
    assert body["refund"]["status"] == 4  # re-read after the action: merchant agreed, refunding
    (event,) = _events(ticket, "pdd_connector.refund_agreed")
    assert event.data["note"] == "同意，已核实"
    assert event.actor_id == agent_api.user.id
    truth_status = {str(r["id"]): r["status"] for r in truth(sim)}
    assert truth_status[ticket.external_id] == 4
    refreshed = agent_api.get(f"/api/v1/tickets/{ticket.id}").get_json()
    assert refreshed["status"] == "pending"
    assert refreshed["pdd_connector"]["status"] == 4

    # the same again: the platform refuses (no longer waiting for the merchant); that is recorded too
    again = agent_api.post(f"/api/v1/pdd/tickets/{ticket.id}/agree-refund", json={})
    assert again.status_code == 409
    (failed,) = _events(ticket, "pdd_connector.action_failed")
    assert failed.data["action"] == "agree_refund"
    assert "不允许" in failed.data["error"]["message"]


def test_agree_return_needs_one_of_the_shops_addresses(synced, pdd_tenant, agent_api):
    sim, _shop = synced
    ticket = _ticket_with_status(pdd_tenant, sim, 3)
    addresses = agent_api.get(f"/api/v1/pdd/tickets/{ticket.id}/addresses").get_json()["items"]
    assert addresses
    bad = agent_api.post(f"/api/v1/pdd/tickets/{ticket.id}/agree-return", json={"address_id": 999999})
    assert bad.status_code == 422
    assert "address_id" in bad.get_json()["error"]["fields"]
    address_id = addresses[0]["refund_address_id"]
    good = agent_api.post(f"/api/v1/pdd/tickets/{ticket.id}/agree-return", json={"address_id": address_id})
    assert good.status_code == 200, good.get_json()
    assert good.get_json()["refund"]["status"] == 7
    (event,) = _events(ticket, "pdd_connector.return_agreed")
    assert str(event.data["address"]["refund_address_id"]) == str(address_id)


def test_order_note_and_masked_order(synced, pdd_tenant, agent_api):
    sim, _shop = synced
    ticket = _ticket_with_status(pdd_tenant, sim, 10)
    response = agent_api.post(
        f"/api/v1/pdd/tickets/{ticket.id}/order-note", json={"note": "已退款，勿重复发货", "tag": 2, "tag_name": "黄"}
    )
    assert response.status_code == 200, response.get_json()
    assert len(_events(ticket, "pdd_connector.order_noted")) == 1
    order = agent_api.get(f"/api/v1/pdd/tickets/{ticket.id}/order").get_json()
    assert order["remark"] == "已退款，勿重复发货"
    assert order["receiver_phone_mask"]
    assert "*" in order["receiver_phone_mask"]
    for secret in ("receiver_name", "receiver_phone", "receiver_address", "address"):
        assert secret not in order
    assert order["item_list"][0]["goods_name"]


def test_a_gateway_error_on_an_action_is_recorded_on_the_ticket(synced, pdd_tenant, agent_api):
    sim, _shop = synced
    ticket = _ticket_with_status(pdd_tenant, sim, 2)
    sim.control("POST", "faults", {"error_code": 20031, "rate": 1.0, "apis": ["pdd.refund.agree"]})
    response = agent_api.post(f"/api/v1/pdd/tickets/{ticket.id}/agree-refund", json={})
    assert response.status_code == 409
    assert "20031" in response.get_json()["error"]["message"]
    (failed,) = _events(ticket, "pdd_connector.action_failed")
    assert failed.data["error"]["code"] == 20031
    assert "permission" in failed.data["error"]["hint"]


def test_actions_need_a_pinduoduo_ticket_and_the_plugin(synced, pdd_tenant, agent_api, other_tenant, make_user):
    plain = agent_api.post("/api/v1/tickets", json={"subject": "not from pdd"}).get_json()
    assert agent_api.post(f"/api/v1/pdd/tickets/{plain['id']}/agree-refund", json={}).status_code == 404
    _user, outsider = make_user("agent", in_tenant=other_tenant)
    sim, _shop = synced
    ticket = _ticket_with_status(pdd_tenant, sim, 2)
    assert outsider.post(f"/api/v1/pdd/tickets/{ticket.id}/agree-refund", json={}).status_code == 404
