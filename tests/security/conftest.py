"""Fixtures of the attack probes: two tenants, every plugin on in both, and one of every object a
route can name by id made in the *other* tenant (`their`), so a probe from `tenant` can aim at it."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest

from gongdan import clock, customers
from gongdan.plugins import get_host

# a word in every object of the other tenant: a page or answer holding it has leaked that object
MARK = "别家机密"


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash test passwords with a cheap PBKDF2 (scrypt takes ~0.3 s here); checks stay real."""
    from functools import partial

    from werkzeug.security import generate_password_hash

    from gongdan import accounts

    monkeypatch.setattr(
        accounts, "generate_password_hash", partial(generate_password_hash, method="pbkdf2:sha256:1000")
    )


def loaded_plugins() -> list[str]:
    """The names of every plugin loaded in this process."""
    return sorted(name for name, record in get_host().records.items() if record.status == "loaded")


@pytest.fixture
def every_plugin(tenant: Any, other_tenant: Any, enable_plugin: Any) -> list[str]:
    """Every loaded plugin switched on in both tenants."""
    names = loaded_plugins()
    for name in names:
        enable_plugin(name, tenant)
        enable_plugin(name, other_tenant)
    return names


def _ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def their(other_tenant: Any, make_user: Any, every_plugin: list[str], outbound_loopback: str) -> dict[str, Any]:
    """One of each object of the other tenant, by the URL argument that names it: `ticket_id`,
    `attachment_id`, `rule_id`, `macro_id`, ... (see the keys). Made through its API where it has
    one, as its admin; the rows only a sync or a fetch makes are inserted as those would."""
    from gongdan_automation.models import Subscription, WebhookDelivery
    from gongdan_email.models import EmailMessage, EmailQuarantine
    from gongdan_pdd_connector.models import PddQuarantine, PddShop
    from gongdan_sla.models import Notification

    from gongdan.models import InboxItem, SavedView

    admin, api = make_user("admin", in_tenant=other_tenant, name=f"{MARK} admin")
    agent, _ = make_user("agent", in_tenant=other_tenant, name=f"{MARK} agent")
    ticket = _ok(api.post("/api/v1/tickets", json={"subject": f"{MARK} 工单", "description": MARK}))
    other = _ok(api.post("/api/v1/tickets", json={"subject": f"{MARK} 重复"}))
    upload = {"file": (BytesIO(b"%PDF-1.4 " + MARK.encode()), "receipt.pdf")}
    attachment = _ok(
        api.post(f"/api/v1/tickets/{ticket['id']}/attachments", data=upload, content_type="multipart/form-data")
    )
    comment = _ok(api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": f"{MARK} 回复 @x"}))
    merge = _ok(api.post(f"/api/v1/tickets/{other['id']}/merge", json={"into_id": ticket["id"]}))
    customer = customers.upsert(other_tenant, {"name": MARK, "phone": "13800138000"}, "api")
    view = SavedView.create(tenant=other_tenant, user=admin, name=MARK, query="status=open", shared=True)
    rule = _ok(api.post("/api/v1/automation/rules", json={"kind": "trigger", "name": MARK, "event": "created"}))
    macro = _ok(api.post("/api/v1/automation/macros", json={"name": MARK, "body_zh": MARK, "shared": True}))
    approval = _ok(
        api.post(
            "/api/v1/automation/approvals",
            json={"ticket_id": ticket["id"], "action": "set_priority", "inputs": {"priority": "urgent"}},
        )
    )
    hook = _ok(api.post("/api/v1/automation/webhooks", json={"url": "http://127.0.0.1:9/hook"}))
    delivery = WebhookDelivery.create(
        tenant=other_tenant,
        subscription=Subscription.get_by_id(hook["id"]),
        event_id=1,
        kind="created",
        payload={"subject": MARK},
        state="failed",
    )
    article = _ok(api.post("/api/v1/kb/articles", json={"title": MARK, "body": MARK, "status": "published"}))
    mailbox = _ok(
        api.post(
            "/api/v1/email/mailboxes",
            json={
                "address": "support@other.example",
                "imap_host": "127.0.0.1",
                "imap_port": 1143,
                "imap_security": "none",
                "password": f"{MARK}-imap",
                "smtp_host": "127.0.0.1",
                "smtp_port": 1025,
                "smtp_security": "none",
            },
        )
    )
    message = EmailMessage.create(
        tenant=other_tenant, key=f"<{MARK}@x>", subject=MARK, raw=MARK.encode(), ticket=ticket["id"]
    )
    mail_quarantine = EmailQuarantine.create(
        tenant=other_tenant, key="q1", subject=MARK, raw=MARK.encode(), reason=MARK
    )
    shop = PddShop.create(
        tenant=other_tenant,
        owner_id="9001",
        owner_name=MARK,
        client_id="cid",
        client_secret=f"{MARK}-secret",
        access_token=f"{MARK}-token",
        gateway_url="http://127.0.0.1:9/api/router",
    )
    pdd_quarantine = PddQuarantine.create(tenant=other_tenant, shop=shop, key="k1", reason=MARK)
    subscription = _ok(
        api.post(
            "/api/v1/reports/subscriptions",
            json={"name": MARK, "frequency": "daily", "hour": 9, "recipients": [admin.email], "report": "daily"},
        )
    )
    notification = Notification.create(tenant=other_tenant, user=admin, kind="sla.warning", subject=MARK)
    item = InboxItem.select().where(InboxItem.tenant == other_tenant).first()
    from gongdan.models import Category

    category = Category.create(tenant=other_tenant, path=MARK, name=MARK, depth=0)
    from gongdan import accounts

    token_row, _ = accounts.create_token(agent)
    return {
        "admin": admin,
        "api": api,
        "ticket_id": ticket["id"],
        "attachment_id": attachment["id"],
        "comment_id": comment["id"],
        "merge_id": merge["id"],
        "customer_id": customer.id,
        "view_id": view.id,
        "rule_id": rule["id"],
        "macro_id": macro["id"],
        "approval_id": approval["id"],
        "webhook_id": hook["id"],
        "delivery_id": delivery.id,
        "article_id": article["id"],
        "mailbox_id": mailbox["id"],
        "message_id": message.id,
        "mail_entry_id": mail_quarantine.id,
        "shop_id": shop.id,
        "pdd_entry_id": pdd_quarantine.id,
        "report_subscription_id": subscription["id"],
        "notification_id": notification.id,
        "agent_id": agent.id,
        "item_id": item.id if item else None,
        "category_id": category.id,
        "token_id": token_row.id,
        "at": clock.now() + timedelta(0),
    }
