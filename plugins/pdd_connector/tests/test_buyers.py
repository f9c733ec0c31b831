"""Issue 16 bug 4: Pinduoduo buyers become customers, known by the platform's buyer id and named
only as the platform masks them, so tier routing, VIP SLAs and the customer's history apply."""

from __future__ import annotations

from gongdan_pdd_connector import mapping
from gongdan_pdd_connector.models import PddRefund

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import CustomerIdentity, Ticket


def test_every_synced_ticket_has_its_buyer_as_customer(synced, pdd_tenant):
    _sim, _shop = synced
    refunds = list(PddRefund.select().where(PddRefund.tenant == pdd_tenant))
    assert refunds
    made = [Ticket.get_by_id(r.ticket_id) for r in refunds]
    assert all(t.customer_id for t in made)
    identities = {i.customer_id: i for i in CustomerIdentity.select().where(CustomerIdentity.tenant == pdd_tenant)}
    for ticket, refund in zip(made, refunds, strict=True):
        identity = identities[ticket.customer_id]
        assert identity.system == "pdd"
        assert identity.external_id == refund.record["buyer_uid"]
        assert ticket.customer.name.endswith("*")  # the platform's mask, never the full name
        assert not ticket.customer.email
        assert not ticket.customer.phone


def test_the_same_buyer_twice_is_one_customer_with_both_tickets(pdd_tenant):
    record = {"buyer_uid": "u0123456789abcdef", "buyer_name_mask": "张*"}
    assert mapping.customer(record) == {"external_id": "u0123456789abcdef", "name": "张*"}
    assert mapping.customer({"buyer_uid": ""}) is None
    made = [
        tickets.create(
            pdd_tenant,
            {
                "subject": f"退款 {n}",
                "channel": "pdd",
                "customer": mapping.customer(record),
                "external_ref": {"system": "pdd", "id": f"99{n}"},
            },
            Actor.system("plugin:pdd_connector"),
        )[0]
        for n in range(2)
    ]
    assert made[0].customer_id == made[1].customer_id
