"""Sign-in mail and customer notifications over a real SMTP server on loopback (both databases)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from gongdan_email.testing import SmtpSink, sending_mailbox

from gongdan import delivery, tickets
from gongdan.actors import Actor


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An aiosmtpd server that keeps what it receives."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def mailbox(enable_plugin: Any, tenant: Any, outbound_loopback: str, smtp_sink: SmtpSink) -> Any:
    """The e-mail plugin on in acme with a mailbox that sends through `smtp_sink`."""
    enable_plugin("email")
    return sending_mailbox(tenant, smtp_sink)


def text_of(envelope: Any) -> tuple[str, str]:
    """(subject, plain-text body) of a received message."""
    mail = message_from_bytes(envelope.content, policy=policy.default)
    return str(mail["Subject"]), mail.get_body(("plain",)).get_content()


def test_sign_in_mail_carries_a_link_and_a_code(
    browser: Any, make_browser: Any, mailbox: Any, smtp_sink: SmtpSink, customer_ticket: Any
) -> None:
    customer_ticket("buyer@example.com", "没收到货")
    browser.get("/signin")
    page = browser.post("/signin", {"email": "Buyer@Example.com"})
    assert page.status_code == 200
    subject, body = text_of(smtp_sink.wait_for(1)[0])
    assert subject == "Sign in to Acme 旗舰店"
    code = re.search(r"\b(\d{6})\b", body).group(1)
    link = re.search(r"(/portal/acme/signin/\S+)", body).group(1)
    challenge = re.search(r'name="challenge" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert browser.post("/signin/code", {"challenge": challenge, "code": code}).status_code == 302
    assert "没收到货" in browser.text("/requests")
    assert make_browser().get(link).status_code == 400, "the code spent the link too: one sign-in per mail"


def test_unknown_address_gets_the_same_answer_and_no_mail(
    browser: Any, mailbox: Any, smtp_sink: SmtpSink, customer_ticket: Any
) -> None:
    customer_ticket("buyer@example.com")
    browser.get("/signin")
    known = browser.post("/signin", {"email": "buyer@example.com"})
    unknown = browser.post("/signin", {"email": "stranger@example.com"})
    assert known.status_code == unknown.status_code == 200

    def shape(html: str) -> str:
        html = re.sub(r'(value|content)="[^"]*"', "", html)  # form values and the CSRF meta tag
        return html.replace("buyer@example.com", "X").replace("stranger@example.com", "X")

    assert shape(known.get_data(as_text=True)) == shape(unknown.get_data(as_text=True))
    assert len(smtp_sink.wait_for(1)) == 1, "the known address's mail (slow under load: wait for it first)"
    assert len(smtp_sink.wait_for(2, seconds=1)) == 1, "and none for the unknown one"


def test_sign_in_requests_are_limited_per_address(browser: Any, mailbox: Any) -> None:
    browser.get("/signin")
    codes = [browser.post("/signin", {"email": "someone@example.com"}).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_notifications_of_a_portal_ticket_go_by_mail_with_portal_links(
    browser: Any, tenant: Any, portal: Any, mailbox: Any, smtp_sink: SmtpSink, customer_ticket: Any, make_user: Any
) -> None:
    portal({"public_url": "https://help.acme.example"})
    agent, _ = make_user("agent")
    ticket = customer_ticket("buyer@example.com", "杯子碎了")
    tickets.comment(tenant, ticket, "我们已补发。", Actor.of(agent))
    tickets.transition(tenant, ticket, "resolved", Actor.of(agent))
    delivery.flush(tenant)
    received = [text_of(m) for m in smtp_sink.wait_for(3)]
    assert len(received) == 3
    reply = next(body for subject, body in received if "我们已补发。" in body)
    assert "https://help.acme.example/portal/acme/t/" in reply
    resolved = received[-1][1]
    rate_link = re.search(r"https://help\.acme\.example(/portal/acme/t/\S+\?rate=1)", resolved).group(1)
    opened = browser.get(rate_link)
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/requests/{ticket.id}#rate")
    assert "How did we do?" in browser.text(f"/requests/{ticket.id}")


def test_without_the_email_channel_the_portal_shows_the_reply(
    browser: Any, tenant: Any, customer_ticket: Any, make_user: Any
) -> None:
    agent, _ = make_user("agent")
    ticket = customer_ticket("buyer@example.com")
    comment = tickets.comment(tenant, ticket, "已处理", Actor.of(agent))
    delivery.flush(tenant)
    row = delivery.for_comments(tenant, [comment.id])[comment.id]
    assert row.state == "sent"
    assert row.external_id is None
