"""The buyer's Pinduoduo orders on the customer card (`gongdan_customer_orders`), from the records a
real sync stored; and merging two of the buyer's tickets keeps each one's after-sales id."""

from __future__ import annotations

from gongdan_pdd_connector.customer_orders import STATUS_EN
from gongdan_pdd_connector.mapping import STATUS_LABELS
from gongdan_pdd_connector.models import PddRefund

from gongdan import merge
from gongdan.actors import Actor
from gongdan.models import Ticket


def test_the_card_lists_the_buyers_orders(synced, pdd_tenant, make_user):
    _, api = make_user("agent")
    refund = PddRefund.select().where(PddRefund.tenant == pdd_tenant).first()
    ticket = Ticket.get_by_id(refund.ticket_id)
    theirs = {
        r.order_sn: r
        for r in PddRefund.select()
        .join(Ticket, on=(PddRefund.ticket == Ticket.id))
        .where(Ticket.customer == ticket.customer_id)
    }
    card = api.get(f"/api/v1/customers/{ticket.customer_id}/card", headers={"Accept-Language": "zh-CN"}).get_json()
    assert {o["order_id"] for o in card["orders"]} == set(theirs)
    shown = next(o for o in card["orders"] if o["order_id"] == refund.order_sn)
    assert STATUS_LABELS[theirs[refund.order_sn].status] in shown["status"]
    english = api.get(f"/api/v1/customers/{ticket.customer_id}/card", headers={"Accept-Language": "en"}).get_json()
    assert (
        next(o for o in english["orders"] if o["order_id"] == refund.order_sn)["status"]
        == STATUS_EN[theirs[refund.order_sn].status]
    )
    assert set(STATUS_EN) == set(STATUS_LABELS)  # every platform status has English words


def test_merged_pinduoduo_tickets_keep_their_after_sales_ids(synced, pdd_tenant, make_user):
    lead, _ = make_user("supervisor")
    open_ones = (
        PddRefund.select()
        .join(Ticket, on=(PddRefund.ticket == Ticket.id))
        .where((PddRefund.tenant == pdd_tenant) & (Ticket.status != "closed"))
    )
    first, second = list(open_ones.limit(2))
    keeper, duplicate = Ticket.get_by_id(first.ticket_id), Ticket.get_by_id(second.ticket_id)
    merge.merge(pdd_tenant, duplicate, keeper, Actor.of(lead))
    assert Ticket.get_by_id(duplicate.id).external_id == duplicate.external_id
    assert Ticket.get_by_id(keeper.id).external_id == keeper.external_id
    assert PddRefund.get_by_id(second.id).ticket_id == duplicate.id  # the platform's case stays bound
