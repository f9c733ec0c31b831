"""The connector's agreements and order note as ticket actions (`/api/v1/tickets/ID/actions`)."""

from __future__ import annotations

from gongdan_pdd_connector.models import PddRefund
from gongdan_pdd_connector.testing import truth

from gongdan.models import TicketEvent

PDD_ACTIONS = {"pdd_connector.agree_refund", "pdd_connector.agree_return", "pdd_connector.order_note"}


def _ticket(tenant, sim, status):
    record = next(r for r in truth(sim) if r["status"] == status and not r["malformed"])
    return PddRefund.get(PddRefund.tenant == tenant, PddRefund.after_sales_id == str(record["id"])).ticket


def test_the_agreements_are_ticket_actions_on_pinduoduo_tickets_only(synced, pdd_tenant, agent_api):
    sim, _shop = synced
    ticket = _ticket(pdd_tenant, sim, 2)
    listed = {a["name"]: a for a in agent_api.get(f"/api/v1/tickets/{ticket.id}/actions").get_json()["items"]}
    assert PDD_ACTIONS - {"pdd_connector.agree_return"} <= set(listed)
    assert "pdd_connector.agree_return" not in listed  # Pinduoduo takes a return agreement in status 3 only
    assert listed["pdd_connector.agree_refund"]["needs_confirmation"] is True
    assert listed["pdd_connector.agree_refund"]["label_zh"] == "同意退款（拼多多）"

    url = f"/api/v1/tickets/{ticket.id}/actions/pdd_connector.agree_refund"
    response = agent_api.post(url, json={"note": "同意，已核实"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["succ"] is True
    assert {str(r["id"]): r["status"] for r in truth(sim)}[ticket.external_id] == 4
    kinds = [e.kind for e in TicketEvent.select().where(TicketEvent.ticket == ticket.id).order_by(TicketEvent.id)]
    assert "pdd_connector.refund_agreed" in kinds
    assert kinds[-1] == "action.run"
    again = agent_api.post(url, json={})
    assert again.status_code == 409  # no longer offered in the new status (issue 16): refused before the platform
    runs = TicketEvent.select().where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "action.run"))
    assert [r.data["outcome"] for r in runs] == ["ok", "unavailable"]

    bad = agent_api.post(f"/api/v1/tickets/{ticket.id}/actions/pdd_connector.order_note", json={"tag": 9})
    assert set(bad.get_json()["error"]["fields"]) == {"note", "tag"}

    plain = agent_api.post("/api/v1/tickets", json={"subject": "not from pdd"}).get_json()
    names = {a["name"] for a in agent_api.get(f"/api/v1/tickets/{plain['id']}/actions").get_json()["items"]}
    assert not names & PDD_ACTIONS
