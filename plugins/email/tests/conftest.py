"""Fixtures for the e-mail plugin: the plugin on, a real Dovecot and a real SMTP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gongdan_email import mailboxes
from gongdan_email.models import Mailbox
from gongdan_email.testing import DOVECOT, Dovecot, SmtpSink

PASSWORD = "secret-pass"


@pytest.fixture
def email_on(enable_plugin: Any, tenant: Any, outbound_loopback: str) -> Any:
    """The plugin enabled in `tenant`; outbound connections may reach loopback servers."""
    return enable_plugin("email")


@pytest.fixture
def dovecot(tmp_path: Any) -> Iterator[Dovecot]:
    """A Dovecot IMAP server of this test's own, with users support@acme.example and sales@acme.example."""
    if DOVECOT is None:
        pytest.skip("dovecot is not installed: apt-get install -y dovecot-imapd")
    server = Dovecot(tmp_path / "dovecot", {"support@acme.example": PASSWORD, "sales@acme.example": PASSWORD})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server (aiosmtpd) that keeps what it receives."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def make_mailbox(email_on: Any, tenant: Any, dovecot: Dovecot, smtp_sink: SmtpSink) -> Any:
    """`make_mailbox(address="support@acme.example", **overrides)`: a mailbox on the test servers."""

    def make(address: str = "support@acme.example", in_tenant: Any = None, **overrides: Any) -> Mailbox:
        data = {
            "address": address,
            "imap_host": "127.0.0.1",
            "imap_port": dovecot.port,
            "imap_security": "none",
            "password": PASSWORD,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_sink.port,
            "smtp_security": "none",
            **overrides,
        }
        return mailboxes.create(in_tenant or tenant, data)

    return make
