"""Console pages: shops, quarantine, and the ticket panel's confirmed actions."""

from __future__ import annotations

from gongdan_pdd_connector.models import PddRefund
from gongdan_pdd_connector.testing import truth

from gongdan.models import TicketEvent
from gongdan.testing import ConsoleClient


def test_shops_and_quarantine_pages(synced, app, make_user):
    sim, shop = synced
    supervisor, _ = make_user("supervisor")
    browser = ConsoleClient(app, supervisor)
    page = browser.text("/console/pdd-shops/")
    assert shop.owner_id in page
    assert "authorized" in page
    assert sim.client_secret not in page
    assert 'name="since"' not in page  # supervisors see the state; admins start syncs
    assert "pdd-quarantined" not in browser.text("/console/pdd-quarantine/")
    admin, _ = make_user("admin")
    assert 'name="since"' in ConsoleClient(app, admin).text("/console/pdd-shops/")
    agent, _ = make_user("agent")
    assert ConsoleClient(app, agent).get("/console/pdd-shops/").status_code == 403


def test_ticket_panel_actions_need_confirmation(synced, app, make_user, pdd_tenant):
    sim, _shop = synced
    waiting = next(r for r in truth(sim) if r["status"] == 2)
    ticket = PddRefund.get(PddRefund.after_sales_id == str(waiting["id"])).ticket
    agent, _ = make_user("agent")
    browser = ConsoleClient(app, agent)
    page = browser.text(f"/console/tickets/{ticket.id}")
    assert "panel-pdd_connector" in page
    assert f"/console/pdd-actions/{ticket.id}/agree-refund" in page
    assert 'data-confirm="Agree to this refund on Pinduoduo?"' in page  # asked by console.js, no inline script
    assert "onsubmit" not in page

    browser.post(f"/console/pdd-actions/{ticket.id}/agree-refund", {})
    assert (
        not TicketEvent.select()
        .where((TicketEvent.ticket == ticket.id) & TicketEvent.kind.startswith("pdd_connector."))
        .exists()
    )

    done = browser.post(f"/console/pdd-actions/{ticket.id}/agree-refund", {"confirm": "yes"})
    assert done.status_code == 302
    kinds = [e.kind for e in TicketEvent.select().where(TicketEvent.ticket == ticket)]
    assert "pdd_connector.refund_agreed" in kinds
    assert {str(r["id"]): r["status"] for r in truth(sim)}[str(waiting["id"])] == 4

    order = browser.text(f"/console/pdd-actions/{ticket.id}/order")
    assert "receiver_phone_mask" in order
    assert 'id="pdd-addresses"' in order
