"""The console: the mailbox form (errors shown, 422), status, test connection, fetch now,
the quarantine (retry, discard, original), the ticket panel and its originals; zh and en."""

from __future__ import annotations

import re
from typing import Any

import pytest
from gongdan_email import ingest
from gongdan_email.models import EmailMessage, EmailQuarantine, Mailbox

from gongdan import accounts
from gongdan.models import Ticket

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
PASSWORD = "email-console-pass-2026"


class Browser:
    """A signed-in console session that posts forms with the CSRF token."""

    def __init__(self, app: Any, email: str, language: str = "en") -> None:
        self.client = app.test_client()
        self.headers = {"Accept-Language": language}
        page = self.client.get("/console/login", headers=self.headers).get_data(as_text=True)
        found = CSRF.search(page)
        self.token = found.group(1) or found.group(2)
        answer = self.client.post(
            "/console/login",
            data={"email": email, "password": PASSWORD, "csrf_token": self.token},
            headers=self.headers,
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.headers, follow_redirects=True)

    def post(self, path: str, data: dict) -> Any:
        return self.client.post(
            path, data={**data, "csrf_token": self.token}, headers=self.headers, follow_redirects=True
        )


@pytest.fixture
def browser(app: Any, tenant: Any, email_on: Any) -> Any:
    """`browser(role="admin", language="en")`: a signed-in session."""

    def make(role: str = "admin", language: str = "en") -> Browser:
        user = accounts.create_user(tenant, f"{role}-{language}@acme.example", role, role, PASSWORD)
        return Browser(app, user.email, language)

    return make


FORM = {
    "address": "support@acme.example",
    "imap_host": "127.0.0.1",
    "imap_security": "none",
    "imap_folder": "INBOX",
    "username": "support@acme.example",
    "password": "secret-pass",
    "smtp_host": "",
    "smtp_security": "ssl",
    "active": "on",
}


def test_the_form_adds_a_mailbox_and_shows_errors_per_field(browser: Any, dovecot: Any, tenant: Any) -> None:
    admin = browser()
    bad = admin.post("/console/email-mailboxes/new", {**FORM, "imap_host": "imap.example.com"})
    assert bad.status_code == 422
    assert "loopback" in bad.get_data(as_text=True)
    good = admin.post("/console/email-mailboxes/new", {**FORM, "imap_port": str(dovecot.port)})
    assert good.status_code == 200
    box = Mailbox.get(Mailbox.tenant == tenant)
    assert (box.address, box.imap_port, box.password) == ("support@acme.example", dovecot.port, "secret-pass")
    page = admin.get("/console/email-mailboxes/").get_data(as_text=True)
    assert "support@acme.example" in page
    assert "secret-pass" not in admin.get(f"/console/email-mailboxes/{box.id}/edit").get_data(as_text=True)
    # an edit that leaves the password empty keeps it
    admin.post(f"/console/email-mailboxes/{box.id}/edit", {**FORM, "imap_port": str(dovecot.port), "password": ""})
    assert Mailbox.get_by_id(box.id).password == "secret-pass"


def test_test_connection_and_fetch_now_report_on_the_page(browser: Any, make_mailbox: Any, dovecot: Any) -> None:
    good = make_mailbox()
    wrong = make_mailbox("sales@acme.example", password="wrong")
    admin = browser()
    page = admin.post(f"/console/email-mailboxes/{good.id}/test", {}).get_data(as_text=True)
    assert "IMAP: works" in page
    assert "SMTP: works" in page
    page = admin.post(f"/console/email-mailboxes/{wrong.id}/test", {}).get_data(as_text=True)
    assert "IMAP: fails" in page
    dovecot.deliver(b"From: a@example.com\r\nSubject: hi\r\nMessage-ID: <c1@example.com>\r\n\r\nhello\r\n")
    page = admin.post(f"/console/email-mailboxes/{wrong.id}/fetch", {}).get_data(as_text=True)
    assert "login refused" in page  # the mailbox's error, on its row
    page = admin.post(f"/console/email-mailboxes/{good.id}/fetch", {}).get_data(as_text=True)
    assert "1 ticket" in page


def test_the_pages_speak_chinese(browser: Any, make_mailbox: Any) -> None:
    make_mailbox()
    page = browser(language="zh-CN").get("/console/email-mailboxes/").get_data(as_text=True)
    assert "邮箱" in page
    assert "测试连接" in page


def test_agents_cannot_manage_mailboxes(browser: Any) -> None:
    assert browser("agent").get("/console/email-mailboxes/").status_code == 403


def test_quarantine_retry_discard_and_original(browser: Any, tenant: Any, email_on: Any) -> None:
    box = Mailbox.create(tenant=tenant, address="support@acme.example", imap_host="127.0.0.1", username="s")
    ingest.ingest(tenant, box, b"Subject: junk\r\n\r\nno sender")
    entry = EmailQuarantine.get()
    supervisor = browser("supervisor")
    page = supervisor.get("/console/email-quarantine/").get_data(as_text=True)
    assert "no sender address" in page
    raw = supervisor.get(f"/console/email-quarantine/{entry.id}/raw")
    assert raw.data == b"Subject: junk\r\n\r\nno sender"
    assert raw.headers["Content-Disposition"].startswith("attachment")
    assert "Still not possible" in supervisor.post(f"/console/email-quarantine/{entry.id}/retry", {}).get_data(
        as_text=True
    )
    supervisor.post(f"/console/email-quarantine/{entry.id}/discard", {})
    assert EmailQuarantine.get_by_id(entry.id).status == "discarded"


def test_the_ticket_page_lists_its_mail_with_the_original(browser: Any, tenant: Any, email_on: Any) -> None:
    box = Mailbox.create(tenant=tenant, address="support@acme.example", imap_host="127.0.0.1", username="s")
    raw = b"From: b@example.com\r\nSubject: broken kettle\r\nMessage-ID: <k@example.com>\r\n\r\nit leaks\r\n"
    result = ingest.ingest(tenant, box, raw)
    ticket = Ticket.get_by_id(result.ticket_id)
    agent = browser("agent")
    page = agent.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert "email-panel" in page
    row = EmailMessage.get()
    assert agent.get(f"/console/email-messages/{row.id}/raw").data == raw
