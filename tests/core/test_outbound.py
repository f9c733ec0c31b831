"""`gongdan.outbound` against real servers on loopback: addresses, spellings, redirects, rebinding, TLS.

"Public" is simulated by allow-listing one loopback address (127.0.0.2) and keeping the
internal services the guard must protect on 127.0.0.1, which is not allow-listed.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller

from gongdan import outbound
from gongdan.testing import RecordingServer, answer

ALLOW = "GONGDAN_OUTBOUND_ALLOW"
REFUSED = [
    "http://169.254.169.254/latest/meta-data/",
    "https://169.254.169.254/latest/meta-data/",
    "https://127.0.0.1:5432/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://127.1/",
    "https://localhost/",
    "https://10.0.0.5/",
    "https://172.16.1.1/",
    "https://192.168.1.1/",
    "https://100.64.0.1/",
    "https://0.0.0.0:8080/",
    "https://224.0.0.1/",
    "https://[::1]/",
    "https://[::]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "ftp://example.com/file",
    "file:///etc/passwd",
    "gopher://example.com/_x",
    "https:///nohost",
    "not a url",
]


@pytest.fixture
def public(monkeypatch: pytest.MonkeyPatch) -> str:
    """127.0.0.2 plays a public address: only it is allow-listed."""
    monkeypatch.setenv(ALLOW, "127.0.0.2/32")
    return "127.0.0.2"


@pytest.mark.parametrize("url", REFUSED)
def test_internal_addresses_odd_spellings_and_other_schemes_are_refused(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW, raising=False)
    with pytest.raises(outbound.OutboundBlocked) as saved:
        outbound.vet_url(url, allow_http=True)
    with pytest.raises(outbound.OutboundBlocked) as sent:
        outbound.request("POST", url, allow_http=True, data=b"{}")
    assert saved.value.code == sent.value.code
    assert isinstance(saved.value, ValueError)
    assert saved.value.localized("zh-CN") == outbound.MESSAGES[saved.value.code][1] != str(saved.value)


def test_nothing_reaches_an_internal_server_and_a_closed_port_reads_the_same(
    http_server: Callable[..., RecordingServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW, raising=False)
    internal = http_server("127.0.0.1", answer(200, b"<html>not json</html>"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    messages = set()
    for url in (f"https://127.0.0.1:{internal.port}/", f"https://127.0.0.1:{closed}/"):
        with pytest.raises(outbound.OutboundError) as error:
            outbound.request("GET", url)
        messages.add(str(error.value))
    assert len(messages) == 1
    assert internal.seen == []


def test_plain_http_only_to_allow_listed_addresses(http_server: Callable[..., RecordingServer], public: str) -> None:
    allowed = http_server(public)
    internal = http_server("127.0.0.1")
    response = outbound.request("POST", allowed.base + "/hook", allow_http=True, json={"a": 1})
    assert response.status_code == 200
    assert allowed.seen[0][:2] == ("POST", "/hook")
    with pytest.raises(outbound.OutboundBlocked) as error:
        outbound.request("GET", allowed.base, allow_http=False)
    assert error.value.code == "scheme"
    with pytest.raises(outbound.OutboundBlocked):
        outbound.request("GET", internal.base, allow_http=True)
    assert internal.seen == []


def test_cross_host_redirects_are_not_followed(http_server: Callable[..., RecordingServer], public: str) -> None:
    internal = http_server("127.0.0.1")
    to_internal = http_server(public, answer(307, b"", Location=f"http://127.0.0.1:{internal.port}/admin"))
    with pytest.raises(outbound.OutboundBlocked) as error:
        outbound.request("POST", to_internal.base + "/hook", allow_http=True, data=b"secret body")
    assert error.value.code == "redirect"
    other_port = http_server(public)
    hop = http_server(public, answer(302, b"", Location=f"{other_port.base}/"))
    with pytest.raises(outbound.OutboundBlocked):
        outbound.request("GET", hop.base, allow_http=True)
    assert internal.seen == []
    assert other_port.seen == []


def test_same_host_redirects_are_followed_a_few_times_and_checked_again(
    http_server: Callable[..., RecordingServer], public: str
) -> None:
    def respond(handler: Any) -> None:
        if handler.path == "/old":
            answer(308, b"", Location="/new")(handler)
        elif handler.path.startswith("/loop"):
            answer(302, b"", Location=f"/loop{len(handler.path)}")(handler)
        else:
            answer(200, b"moved")(handler)

    server = http_server(public, respond)
    response = outbound.request("POST", server.base + "/old", allow_http=True, data=b"body")
    assert response.content == b"moved"
    assert [(m, p, b) for m, p, _, b in server.seen] == [("POST", "/old", b"body"), ("POST", "/new", b"body")]
    with pytest.raises(outbound.OutboundBlocked) as error:
        outbound.request("GET", server.base + "/loop", allow_http=True)
    assert error.value.code == "redirect"
    assert len(server.seen) == 2 + 1 + outbound.MAX_REDIRECTS


def test_every_connection_checks_the_address_it_connects_to(
    http_server: Callable[..., RecordingServer], public: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a name that was public when saved and points inside when sent is refused,
    and a connection goes to the address that was checked, with the name in `Host`."""
    internal = http_server("127.0.0.1")
    allowed = http_server(public)
    answers = iter(["127.0.0.2", "127.0.0.1", "127.0.0.1"])
    real = socket.getaddrinfo

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.rebind.test":
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert outbound.vet_url(f"http://hooks.rebind.test:{allowed.port}/", allow_http=True)
    with pytest.raises(outbound.OutboundBlocked):
        outbound.request("GET", f"http://hooks.rebind.test:{internal.port}/", allow_http=True)
    assert internal.seen == []

    answers = iter(["127.0.0.2", "127.0.0.1"])
    response = outbound.request("GET", f"http://hooks.rebind.test:{allowed.port}/x", allow_http=True)
    assert response.status_code == 200
    assert allowed.seen[-1][2]["Host"] == f"hooks.rebind.test:{allowed.port}"
    assert next(answers) == "127.0.0.1"  # resolved once, and the socket went to that answer


@pytest.fixture
def tls() -> Any:
    """A throw-away CA and a certificate for the name `localhost` only (not for 127.0.0.1)."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return ca, server, client


def test_https_verifies_the_certificate_for_the_host_name_while_connecting_to_the_checked_address(
    http_server: Callable[..., RecordingServer], outbound_loopback: str, tls: Any, tmp_path: Any
) -> None:
    ca, server_context, _ = tls
    server = http_server("127.0.0.1")
    server.httpd.socket = server_context.wrap_socket(server.httpd.socket, server_side=True)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    verify = str(tmp_path / "ca.pem")
    response = outbound.request("GET", f"https://localhost:{server.port}/tls", verify=verify)
    assert response.status_code == 200
    assert server.seen[-1][1] == "/tls"
    with pytest.raises(outbound.OutboundError) as error:
        outbound.request("GET", f"https://127.0.0.1:{server.port}/tls", verify=verify)
    assert error.value.code == "unreachable"


def test_no_answer_in_time_is_a_plain_error(outbound_loopback: str) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        with pytest.raises(outbound.OutboundError) as error:
            outbound.request("GET", f"http://127.0.0.1:{silent.getsockname()[1]}/", allow_http=True, timeout=0.5)
    assert error.value.code == "unreachable"


def test_error_statuses_keep_only_the_number(http_server: Callable[..., RecordingServer], public: str) -> None:
    server = http_server(public, answer(500, b"database password is hunter2"))
    with pytest.raises(outbound.StatusError) as error:
        outbound.check_status(outbound.request("GET", server.base, allow_http=True))
    assert "hunter2" not in str(error.value)
    assert "500" in str(error.value)
    assert outbound.describe(error.value) == str(error.value)


class Mailbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def _smtp_server(**options: Any) -> tuple[Controller, Mailbox]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller, mailbox


def test_smtp_hosts_are_checked_and_plain_smtp_only_to_allow_listed_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    controller, mailbox = _smtp_server()
    try:
        monkeypatch.delenv(ALLOW, raising=False)
        for host in ("127.0.0.1", "169.254.169.254", "2130706433", "10.0.0.1"):
            with pytest.raises(outbound.OutboundBlocked):
                outbound.vet_host(host, controller.port)
            with pytest.raises(outbound.OutboundBlocked):
                outbound.smtp(host, controller.port, security="none")
        monkeypatch.setenv(ALLOW, "127.0.0.1/32")
        assert outbound.vet_host("127.0.0.1", controller.port) == "127.0.0.1"
        with outbound.smtp("127.0.0.1", controller.port, security="none", timeout=5) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: hi\r\n\r\nhello")
        assert len(mailbox.messages) == 1
    finally:
        controller.stop()


def test_smtp_starttls_verifies_the_host_name(outbound_loopback: str, tls: Any) -> None:
    _, server_context, client_context = tls
    controller, mailbox = _smtp_server(tls_context=server_context, require_starttls=True)
    try:
        with outbound.smtp("localhost", controller.port, security="starttls", context=client_context) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: tls\r\n\r\nhello")
        assert len(mailbox.messages) == 1
        with pytest.raises(ssl.SSLCertVerificationError):
            outbound.smtp("127.0.0.1", controller.port, security="starttls", context=client_context)
    finally:
        controller.stop()


class TinyImap:
    """An IMAP server on 127.0.0.1 that greets, answers CAPABILITY and LOGOUT, and counts connections."""

    def __init__(self) -> None:
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn, conn.makefile("rwb") as stream:
                stream.write(b"* OK tiny IMAP ready\r\n")
                stream.flush()
                for line in stream:
                    tag, command = line.split()[:2]
                    if command.upper() == b"CAPABILITY":
                        stream.write(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
                    else:
                        stream.write(b"* BYE\r\n" + tag + b" OK bye\r\n")
                    stream.flush()
                    if command.upper() == b"LOGOUT":
                        break


def test_imap_hosts_are_checked_and_plain_imap_only_to_allow_listed_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    server = TinyImap()
    try:
        monkeypatch.delenv(ALLOW, raising=False)
        for security in ("none", "starttls", "ssl"):
            with pytest.raises(outbound.OutboundBlocked):
                outbound.imap("127.0.0.1", server.port, security=security)
        assert server.connections == 0
        monkeypatch.setenv(ALLOW, "127.0.0.1/32")
        client = outbound.imap("127.0.0.1", server.port, security="none", timeout=5)
        assert "IMAP4REV1" in client.capabilities
        client.logout()
        assert server.connections == 1
    finally:
        server.sock.close()
