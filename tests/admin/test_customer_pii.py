"""Customer personal data: encrypted at rest, found by blind index, masked, revealed only with an audit entry."""

from __future__ import annotations

import pytest

from gongdan import customers, masking, tickets
from gongdan.actors import Actor
from gongdan.db import db
from gongdan.models import TicketEvent

EMAIL, PHONE, ADDRESS = "zhao.lei@qq.com", "13812345678", "广东省深圳市南山区科技园南路88号"
CUSTOMER = {"name": "赵磊", "email": EMAIL, "phone": PHONE, "address": ADDRESS}


@pytest.mark.parametrize(
    ("mask", "value", "shown"),
    [
        (masking.mask_phone, "13812345678", "138****5678"),
        (masking.mask_phone, "+86 138-1234-5678", "138****5678"),
        (masking.mask_phone, "0755-86001234", "****1234"),
        (masking.mask_email, "zhao@qq.com", "z***@qq.com"),
        (masking.mask_email, "not-an-address", "****"),
        (masking.mask_id_number, "11010119900307123X", "110101********123X"),
        (masking.mask_address, ADDRESS, "广东省深圳市南山区****"),
        (masking.mask_address, "广西壮族自治区南宁市青秀区民族大道1号", "广西壮族自治区南宁市青秀区****"),
        (masking.mask_address, "北京市朝阳区", "北京市朝阳区"),
        (masking.mask_address, "江苏省昆山市花桥镇绿地大道", "江苏省昆山市****"),
        (masking.mask_text, "电话13812345678，身份证110101199003071234", "电话138****5678，身份证110101********1234"),
        (masking.mask_phone, None, None),
    ],
)
def test_chinese_masking_patterns(mask, value, shown):
    assert mask(value) == shown


@pytest.fixture
def ticket(tenant):
    created, _ = tickets.create(tenant, {"subject": "少件", "customer": CUSTOMER}, Actor.system("api"))
    return created


def test_contact_details_are_encrypted_at_rest_and_found_by_exact_value(ticket, tenant, other_tenant):
    ((email, phone, address, email_index),) = db.execute_sql(
        "SELECT email, phone, address, email_index FROM customer"
    ).fetchall()
    assert all(value.startswith("gd1:") for value in (email, phone, address))
    assert EMAIL not in email_index
    assert customers.by_email(tenant, " Zhao.Lei@QQ.com ").id == ticket.customer_id
    assert [c.id for c in customers.by_phone(tenant, "+86 138 1234 5678")] == [ticket.customer_id]
    assert customers.by_email(other_tenant, EMAIL) is None  # another tenant's customer
    again, _ = tickets.create(tenant, {"subject": "又少件", "customer": {"email": EMAIL.upper()}}, Actor.system("api"))
    assert again.customer_id == ticket.customer_id  # the upsert matches through the blind index


def test_the_api_masks_contact_details_for_every_role(ticket, make_user):
    for role in ("agent", "supervisor", "admin"):
        _, api = make_user(role)
        shown = api.get(f"/api/v1/tickets/{ticket.id}").get_json()["customer"]
        assert shown["email"] == "z***@qq.com"
        assert shown["phone"] == "138****5678"
        assert shown["address"] == "广东省深圳市南山区****"
        assert shown["masked"] is True


def test_reveal_is_for_supervisors_and_admins_and_is_audited(ticket, tenant, make_user, other_tenant):
    _, agent = make_user("agent")
    assert agent.post(f"/api/v1/customers/{ticket.customer_id}/reveal").status_code == 403
    supervisor, api = make_user("supervisor")
    answer = api.post(f"/api/v1/customers/{ticket.customer_id}/reveal")
    assert answer.status_code == 200
    assert answer.get_json() | {"id": 0} == {"id": 0, **CUSTOMER, "tier": "normal", "masked": False}
    (event,) = TicketEvent.of(tenant).where(TicketEvent.kind == "customer.revealed")
    assert event.actor_id == supervisor.id
    assert event.data["customer_id"] == ticket.customer_id
    assert event.data["fields"] == ["email", "phone", "address"]
    assert event.data["ip"]
    assert EMAIL not in str(event.data)
    assert PHONE not in str(event.data)
    _, outsider = make_user("admin", in_tenant=other_tenant)
    assert outsider.post(f"/api/v1/customers/{ticket.customer_id}/reveal").status_code == 404
    assert api.post(f"/api/v1/customers/{2**70}/reveal").status_code == 404


def test_the_console_masks_and_reveals_with_an_audit_entry(ticket, tenant, signed_in):
    _, agent = signed_in("agent")
    page = agent.text(f"/console/tickets/{ticket.id}")
    assert "138****5678" in page
    assert PHONE not in page
    assert EMAIL not in page
    assert 'id="reveal-customer"' not in page
    assert agent.post(f"/console/customers/reveal/{ticket.customer_id}").status_code == 403

    supervisor, console = signed_in("supervisor")
    listing = console.text("/console/customers/")
    assert "z***@qq.com" in listing
    assert EMAIL not in listing
    assert 'id="reveal-customer"' in console.text(f"/console/tickets/{ticket.id}")
    assert "赵磊" in console.text("/console/customers/?search=13812345678")  # exact phone, blind index
    assert "赵磊" not in console.text("/console/customers/?search=13812345679")
    edit = console.text(f"/console/customers/edit/?id={ticket.customer_id}")
    assert EMAIL not in edit
    assert PHONE not in edit
    revealed = console.post(f"/console/customers/reveal/{ticket.customer_id}")
    assert revealed.status_code == 200
    assert PHONE in revealed.get_data(as_text=True)
    assert ADDRESS in revealed.get_data(as_text=True)
    (event,) = TicketEvent.of(tenant).where(TicketEvent.kind == "customer.revealed")
    assert event.actor_id == supervisor.id


def test_a_console_edit_keeps_contact_details_left_blank(ticket, tenant, signed_in):
    _, console = signed_in("supervisor")
    form = {"name": "赵磊先生", "email": "", "phone": "13900001111", "address": "", "tier": "vip"}
    assert console.post(f"/console/customers/edit/?id={ticket.customer_id}", form).status_code == 302
    customer = customers.get(tenant, ticket.customer_id)
    assert (customer.name, customer.email, customer.phone, customer.address) == (
        "赵磊先生",
        EMAIL,
        "13900001111",
        ADDRESS,
    )
    assert [c.id for c in customers.by_phone(tenant, "139 0000 1111")] == [customer.id]
