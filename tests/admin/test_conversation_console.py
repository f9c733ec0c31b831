"""The conversation on the console's ticket page: delivery states, retries, files, honest flashes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gongdan import attachments, delivery, tickets
from gongdan.actors import Actor
from gongdan.contributions import Channel, DeliveryReceipt
from gongdan.errors import DeliveryError
from gongdan.hookspecs import hookimpl
from gongdan.models import Attachment, Comment, Delivery, Tenant, TicketEvent

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def png(color: str = "blue") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), color).save(out, "PNG")
    return out.getvalue()


class Mailer:
    """A channel that can reach customers; `fail_with` makes the next sends fail."""

    def __init__(self) -> None:
        self.sent = []
        self.fail_with: DeliveryError | None = None

    def deliver(self, message):
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
        return DeliveryReceipt(external_id=f"m-{message.delivery_id}")

    @hookimpl
    def gongdan_channels(self):
        return [Channel(name="mailer", label="Mailer", deliver=self.deliver)]


@pytest.fixture
def mailer(register_plugin, tenant):
    Tenant.update(notify_acknowledgement=False).where(Tenant.id == tenant.id).execute()
    plugin = Mailer()
    register_plugin(plugin, "mailer")
    return plugin


def make_ticket(tenant, channel="mailer"):
    tenant = Tenant.get_by_id(tenant.id)  # its notification switches as stored now
    ticket, _ = tickets.create(tenant, {"subject": "退款进度", "channel": channel}, Actor.system("test"))
    return ticket


def reply(browser, ticket, body="您好，已退款", files=(), headers=ZH, internal="0"):
    data = {"body": body, "internal": internal}
    if files:
        data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return browser.post(
        f"/console/tickets/{ticket.id}/comment",
        data,
        content_type="multipart/form-data",
        headers=headers,
        follow_redirects=True,
    )


def test_a_reply_is_queued_never_said_sent_then_shows_sent(signed_in, tenant, mailer):
    _, browser = signed_in("agent")
    ticket = make_ticket(tenant)
    page = reply(browser, ticket).get_data(as_text=True)
    assert "回复已保存，正在排队发送给客户。" in page
    assert "回复已发送" not in page
    assert 'data-state="queued">排队中<' in page
    delivery.flush()
    page = browser.get(f"/console/tickets/{ticket.id}", headers=ZH).get_data(as_text=True)
    assert 'data-state="sent">已发送<' in page
    english = browser.get(f"/console/tickets/{ticket.id}", headers=EN).get_data(as_text=True)
    assert 'data-state="sent">Sent<' in english


def test_a_failed_reply_shows_the_reason_and_a_retry_button_that_requeues(signed_in, tenant, mailer):
    _, browser = signed_in("agent")
    ticket = make_ticket(tenant)
    reply(browser, ticket)
    mailer.fail_with = DeliveryError("550 收件人不存在", permanent=True)
    delivery.flush()
    page = browser.get(f"/console/tickets/{ticket.id}", headers=ZH).get_data(as_text=True)
    assert "发送失败：550 收件人不存在" in page
    assert "retry-delivery" in page
    english = browser.get(f"/console/tickets/{ticket.id}", headers=EN).get_data(as_text=True)
    assert "Send failed: 550 收件人不存在" in english
    row = Delivery.get()
    mailer.fail_with = None
    done = browser.post(f"/console/tickets/{ticket.id}/deliveries/{row.id}/retry", headers=ZH, follow_redirects=True)
    assert "已重新排队发送。" in done.get_data(as_text=True)
    assert Delivery.get_by_id(row.id).state == "queued"
    delivery.flush()
    assert Delivery.get_by_id(row.id).state == "sent"


def test_a_temporary_failure_says_it_will_retry(signed_in, tenant, mailer):
    _, browser = signed_in("agent")
    ticket = make_ticket(tenant)
    reply(browser, ticket)
    mailer.fail_with = DeliveryError("421 服务器繁忙")
    delivery.flush()
    page = browser.get(f"/console/tickets/{ticket.id}", headers=ZH).get_data(as_text=True)
    assert "发送失败：421 服务器繁忙 · 将自动重试" in page


def test_the_page_says_plainly_when_the_channel_cannot_reach_the_customer(signed_in, tenant, mailer):
    _, browser = signed_in("agent")
    ticket = make_ticket(tenant, channel="phone")
    page = reply(browser, ticket).get_data(as_text=True)
    assert "回复已保存，但此工单的渠道无法联系到客户。" in page
    assert "此工单的渠道无法联系到客户：回复只保存在工单中。" in page
    english = reply(browser, ticket, headers=EN).get_data(as_text=True)
    assert "this ticket&#39;s channel cannot reach the customer" in english
    reachable = browser.get(f"/console/tickets/{make_ticket(tenant).id}", headers=ZH).get_data(as_text=True)
    assert 'id="unreachable"' not in reachable


def test_replies_switched_off_are_not_called_sent_either(signed_in, tenant, mailer):
    Tenant.update(notify_reply=False).where(Tenant.id == tenant.id).execute()
    _, browser = signed_in("agent")
    page = reply(browser, make_ticket(tenant)).get_data(as_text=True)
    assert "按通知设置，回复不会发送给客户" in page
    assert Delivery.select().where(Delivery.kind == "reply").count() == 0


def test_an_agent_attaches_files_to_a_reply_shown_as_thumbnail_and_link(signed_in, tenant, mailer):
    _, browser = signed_in("agent")
    ticket = make_ticket(tenant)
    page = reply(browser, ticket, files=[("破损.png", png()), ("说明.pdf", b"%PDF-1.4\n" + b"x" * 2048)])
    html = page.get_data(as_text=True)
    note = Comment.get()
    image, pdf = Attachment.select().where(Attachment.comment == note.id).order_by(Attachment.id)
    assert (image.content_type, pdf.content_type) == ("image/png", "application/pdf")
    assert f"/console/tickets/{ticket.id}/attachments/{image.id}?thumbnail=1" in html
    assert '说明.pdf</a> <span class="text-muted small">(2.1 kB)' in html
    thumb = browser.get(f"/console/tickets/{ticket.id}/attachments/{image.id}?thumbnail=1")
    assert thumb.status_code == 200
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 320
    download = browser.get(f"/console/tickets/{ticket.id}/attachments/{pdf.id}")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    delivery.flush()
    assert [a.filename for a in mailer.sent[0].attachments] == ["破损.png", "说明.pdf"]


def test_a_failed_reply_leaves_no_files_behind(signed_in, tenant, monkeypatch, gongdan_attachments_dir):
    _, browser = signed_in("agent")
    ticket = make_ticket(tenant, channel="web")
    tickets.transition(tenant, ticket, "resolved", Actor.system())
    tickets.transition(tenant, ticket, "closed", Actor.system())
    reply(browser, ticket, files=[("a.png", png())])
    assert Attachment.select().count() == 0
    assert not [p for p in gongdan_attachments_dir.rglob("*") if p.is_file()]


def test_a_too_large_file_is_explained(signed_in, tenant, monkeypatch):
    monkeypatch.setenv("GONGDAN_ATTACHMENT_MAX_BYTES", "1000")
    _, browser = signed_in("agent")
    page = reply(browser, make_ticket(tenant, channel="web"), files=[("big.png", png())]).get_data(as_text=True)
    assert "at most 1000 bytes a file" in page
    assert Comment.select().count() == 0


def test_another_tenants_file_is_not_served(signed_in, tenant, other_tenant):
    ticket = make_ticket(tenant, channel="web")
    stored = attachments.store(tenant, png(), "a.png", ticket=ticket)
    _, stranger = signed_in("admin", other_tenant)
    assert stranger.get(f"/console/tickets/{ticket.id}/attachments/{stored.id}").status_code == 404
    elsewhere = make_ticket(tenant, channel="web")
    _, browser = signed_in("agent")
    assert browser.get(f"/console/tickets/{elsewhere.id}/attachments/{stored.id}").status_code == 404


def test_notifications_appear_on_the_timeline(signed_in, tenant, mailer):
    Tenant.update(notify_acknowledgement=True).where(Tenant.id == tenant.id).execute()
    _, browser = signed_in("agent")
    ticket = make_ticket(tenant)
    delivery.flush()
    page = browser.get(f"/console/tickets/{ticket.id}", headers=ZH).get_data(as_text=True)
    assert "给客户的受理确认" in page


def test_admins_switch_notifications_audited_agents_cannot(signed_in, tenant):
    _, admin = signed_in("admin")
    page = admin.get("/console/notifications/", headers=ZH).get_data(as_text=True)
    assert "客户通知" in page
    assert 'id="notify-reply" checked' in page
    admin.post("/console/notifications/save", {"acknowledgement": "1", "resolved": "1"})
    assert delivery.switches(Tenant.get_by_id(tenant.id)) == {
        "reply": False,
        "acknowledgement": True,
        "resolved": True,
    }
    event = TicketEvent.get(TicketEvent.kind == "tenant.notifications_changed")
    assert event.data["changes"] == {"reply": [True, False]}
    _, agent = signed_in("agent")
    assert agent.get("/console/notifications/").status_code == 403


def test_the_reply_form_takes_files_past_the_general_body_limit(signed_in, tenant):
    _, browser = signed_in("agent")
    ticket = make_ticket(tenant, channel="web")
    big = b"\x00" * (3 * 1024 * 1024)  # GONGDAN_MAX_BODY_BYTES is 1 MB
    assert reply(browser, ticket, files=[("dump.bin", big)]).status_code == 200
    assert Attachment.get().size == len(big)
    too_big = browser.post(f"/console/tickets/{ticket.id}/update", {"tags": "x" * len(big)})
    assert too_big.status_code == 413  # other console forms keep the limit
