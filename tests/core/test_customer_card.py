"""The customer card (`gongdan.customer_card`): tickets, orders and ratings from plugins, agents' notes;
over the API and on the console's ticket page, in Chinese and English."""

from __future__ import annotations

from datetime import UTC, datetime

from gongdan import audit, tickets
from gongdan.actors import Actor
from gongdan.contributions import CustomerOrder, CustomerRating
from gongdan.hookspecs import hookimpl
from gongdan.models import Customer

SYSTEM = Actor.system("test")


class Shop:
    """A connector that knows two orders of every customer, and a survey with one answer."""

    @hookimpl
    def gongdan_customer_orders(self, tenant, customer):
        return [
            CustomerOrder(
                "shop", "A-1", "蓝色围巾 × 1", "已签收", "delivered", "¥59.00", datetime(2026, 11, 1, tzinfo=UTC)
            ),
            CustomerOrder(
                "shop", "A-2", "羊毛手套", "退款中", "refunding", "¥89.00", datetime(2026, 11, 20, tzinfo=UTC)
            ),
        ]

    @hookimpl
    def gongdan_customer_ratings(self, tenant, customer):
        ticket = customer.tickets.first()
        return [CustomerRating(ticket.id, 1, datetime(2026, 11, 21, tzinfo=UTC), "太慢了")]


def _customer_ticket(tenant) -> tuple:
    ticket, _ = tickets.create(
        tenant,
        {"subject": "围巾起球", "channel": "web", "customer": {"name": "张三", "email": "z@example.com"}},
        SYSTEM,
    )
    return ticket, Customer.get_by_id(ticket.customer_id)


def test_the_card_over_the_api_in_both_languages(tenant, make_user, register_plugin):
    register_plugin(Shop(), "shop")
    _, api = make_user("agent")
    ticket, customer = _customer_ticket(tenant)
    english = api.get(f"/api/v1/customers/{customer.id}/card", headers={"Accept-Language": "en"}).get_json()
    assert [o["order_id"] for o in english["orders"]] == ["A-2", "A-1"]  # newest first
    assert english["orders"][0]["status"] == "refunding"
    assert english["ratings"][0]["words"] == "unsatisfied"
    assert english["average_score"] == 1.0
    assert english["customer"]["email"] != "z@example.com"  # masked
    assert [t["id"] for t in english["tickets"]] == [ticket.id]
    chinese = api.get(f"/api/v1/customers/{customer.id}/card", headers={"Accept-Language": "zh-CN"}).get_json()
    assert chinese["orders"][0]["status"] == "退款中"
    assert chinese["ratings"][0]["words"] == "不满意"


def test_any_agent_edits_the_notes_and_the_trail_keeps_no_words(tenant, make_user):
    _, api = make_user("agent", name="李娜")
    _, customer = _customer_ticket(tenant)
    saved = api.put(f"/api/v1/customers/{customer.id}/notes", json={"notes": "  只接受下午电话  "})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["notes"]["text"] == "只接受下午电话"
    assert saved.get_json()["notes"]["by"] == "李娜"  # by name, not an e-mail address
    assert Customer.get_by_id(customer.id).notes == "只接受下午电话"
    (entry,) = audit.events(tenant, kind="customer.notes_changed")
    assert entry.data == {"customer_id": customer.id, "length": 7}
    too_long = api.put(f"/api/v1/customers/{customer.id}/notes", json={"notes": "长" * 5001})
    assert too_long.status_code == 422
    assert "notes" in too_long.get_json()["error"]["fields"]
    assert api.put(f"/api/v1/customers/{customer.id}/notes", json={}).status_code == 422


def test_the_card_on_the_ticket_page(tenant, register_plugin, console_client):
    register_plugin(Shop(), "shop")
    ticket, customer = _customer_ticket(tenant)
    browser = console_client("agent", language="zh_CN")
    page = browser.text(f"/console/tickets/{ticket.id}")
    assert "蓝色围巾 × 1" in page
    assert "退款中" in page
    assert "不满意" in page
    assert "太慢了" in page
    assert "客户备注" in page
    answer = browser.post(
        f"/console/tickets/{ticket.id}/customer-notes", {"notes": "VIP 老客户"}, follow_redirects=True
    )
    assert "客户备注已保存" in answer.get_data(as_text=True)
    assert Customer.get_by_id(customer.id).notes == "VIP 老客户"
    english = console_client("agent", language="en").text(f"/console/tickets/{ticket.id}")
    assert "refunding" in english
    assert "unsatisfied" in english
    assert "Notes on the customer" in english
    assert "VIP 老客户" in english
