"""One guard for every request to a URL or host an admin typed (webhooks, gateways, SMTP, IMAP).

* Schemes: `https` (`http` only where the caller passes `allow_http`, and then only to an
  allow-listed address); nothing else (`ftp:`, `file:`, `gopher:` ... are refused).
* Addresses: the host name is resolved and *every* address it resolves to is checked, inside
  the connection, and the socket connects to the address that was checked (a DNS answer that
  changes between check and connect cannot redirect it). TLS still verifies the certificate
  for the host name, and the `Host` header carries it. Refused unless allow-listed: loopback,
  private (RFC 1918, CGNAT 100.64/10, ULA fc00::/7), link-local (169.254/16 with the cloud
  metadata address, fe80::/10), multicast, unspecified, reserved and documentation ranges, and
  IPv6 forms that embed such an IPv4 address (`::ffff:127.0.0.1`, 6to4, NAT64).
* Spellings: a host whose last label is a number (`2130706433`, `0x7f000001`, `0177.0.0.1`,
  `127.1`) must be a plain dotted IPv4 address.
* Ports: not restricted; the address check already keeps requests off internal services.
* Redirects: at most `MAX_REDIRECTS`, only to the same host and port (or http → https on the
  default ports); each hop is checked again.
* Errors: `OutboundBlocked` (the target is not allowed) and `OutboundError` (no usable
  answer) carry a fixed message in English and Chinese, never text from the remote side; so a
  closed port, a timeout and a TLS failure read alike.
* Timeouts are always set; environment proxies are not used.

`GONGDAN_OUTBOUND_ALLOW` (comma-separated CIDRs or host names, read through
`gongdan.config.Settings`) lets the operator reach private or loopback addresses, and plain
http/SMTP/IMAP to them: tests, the demo and local simulators use `127.0.0.0/8,::1`.
"""

from __future__ import annotations

import imaplib
import ipaddress
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import marshmallow
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from gongdan.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Security = Literal["ssl", "starttls", "none"]

DEFAULT_TIMEOUT = (5.0, 15.0)  # (connect, read) seconds
MAX_REDIRECTS = 3
SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NUMERIC = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")

# reason code → (English, Chinese); OutboundError never carries anything else
MESSAGES: dict[str, tuple[str, str]] = {
    "url": ("not a valid URL", "不是有效的网址"),
    "scheme": ("only https addresses are allowed", "只允许 https 地址"),
    "scheme_http": ("only http and https addresses are allowed", "只允许 http 或 https 地址"),
    "plaintext": (
        "without TLS only to addresses the operator allow-listed (GONGDAN_OUTBOUND_ALLOW); use https or TLS",
        "不加密的连接只能发往运维允许的地址（GONGDAN_OUTBOUND_ALLOW）；请使用 https 或 TLS",
    ),
    "spelling": ("write an IP address in the usual dotted form", "IP 地址请用常规的点分形式书写"),
    "address": (
        "the host does not resolve to a public address (loopback, private, link-local, multicast "
        "and unspecified addresses are refused unless the operator allow-listed them)",
        "该主机未解析到公网地址（回环、私有、链路本地、组播和未指定地址均被拒绝，除非运维已将其列入允许名单）",
    ),
    "redirect": (
        f"a redirect to another host, or more than {MAX_REDIRECTS} redirects, is not followed",
        f"不跟随跳转到其他主机的重定向，也不跟随超过 {MAX_REDIRECTS} 次的重定向",
    ),
    "proxy": ("outbound requests do not go through proxies", "对外请求不经过代理"),
    "unreachable": (
        "no usable answer from the address (refused, timed out or failed TLS)",
        "对方地址没有可用的应答（连接被拒绝、超时或 TLS 失败）",
    ),
}


class OutboundError(Exception):
    """An outbound request that failed; `code` names the reason, the message is fixed text.

    The message never contains the remote side's answer, so an error tells an admin what to
    fix without turning the server into a port scanner.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        self.message, self.message_zh = MESSAGES[code]
        super().__init__(self.message)

    def localized(self, language: str | None = None) -> str:
        """The message in `language` (`zh…` or `en`), or in the current request's language."""
        if language is None:
            language = request_language()
        return self.message_zh if language.lower().startswith("zh") else self.message


class OutboundBlocked(OutboundError, ValueError):
    """The URL or host is not allowed (scheme, spelling, address, redirect); nothing was sent."""


def request_language() -> str:
    try:
        from flask_babel import get_locale

        locale = get_locale()
    except Exception:  # noqa: BLE001 - outside a request (CLI, worker): English
        return "en"
    return str(locale) if locale is not None else "en"


# --- the allow list -----------------------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    """What `GONGDAN_OUTBOUND_ALLOW` lets through: networks and exact host names."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    hosts: frozenset[str]

    def covers(self, host: str, address: IPAddress) -> bool:
        """Whether the operator allowed `host`, or the network `address` is in."""
        if host in self.hosts:
            return True
        candidates = [address, *_embedded(address)]
        return any(a in net for a in candidates for net in self.networks if a.version == net.version)


@lru_cache(maxsize=16)
def _parse_allowance(entries: frozenset[str]) -> Allowance:
    networks, hosts = [], set()
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.lower().rstrip("."))
    return Allowance(tuple(networks), frozenset(hosts))


def allowance() -> Allowance:
    """The allow list of this installation, as the environment says now."""
    return _parse_allowance(Settings.from_env().outbound_allow)


# --- addresses ----------------------------------------------------------------------------


def _embedded(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if address.version == 4:
        return []
    found = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        found.append(address.teredo[1])
    if address in IPV4_COMPATIBLE or any(address in net for net in NAT64):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def is_internal(address: IPAddress) -> bool:
    """Whether `address` is anything but a public unicast address (see the module's list)."""
    if any(is_internal(inner) for inner in _embedded(address)):
        return True
    if address.version == 6 and address in IPV4_COMPATIBLE:
        return True
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or (address.version == 4 and address in CGNAT)
    )


def _host_name(host: str, allowed: Allowance) -> str:
    """`host` lower-cased without brackets or a final dot; refuses odd spellings of addresses."""
    host = host.strip().strip("[]").lower().rstrip(".")
    if not host:
        raise OutboundBlocked("url")
    if host in allowed.hosts:
        return host
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    labels = host.split(".")
    if _NUMERIC.match(labels[-1]):
        raise OutboundBlocked("spelling")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise OutboundBlocked("url") from None
    if not all(_LABEL.match(label) for label in ascii_host.split(".")):
        raise OutboundBlocked("url")
    return host


def _vetted(host: str, port: int, *, plaintext: bool) -> list[str]:
    """Every address `host` resolves to, each checked; `plaintext` requires allow-listed ones."""
    allowed = allowance()
    name = _host_name(host, allowed)
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise OutboundBlocked("address") from None  # one message: unknown and internal names read alike
    addresses: list[str] = []
    for *_, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        if not allowed.covers(name, address):
            if is_internal(address):
                raise OutboundBlocked("address")
            if plaintext:
                raise OutboundBlocked("plaintext")
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise OutboundBlocked("address")
    return addresses


def vet_host(host: str, port: int, *, plaintext: bool = False) -> str:
    """The checked IP address to connect to for `host:port` (SMTP, IMAP, WebSocket ...).

    Raises `OutboundBlocked` when the host resolves to an address that is not allowed; with
    `plaintext=True` (a protocol without TLS) the address must be allow-listed.
    """
    if not isinstance(port, int) or not 0 < port < 65536:
        raise OutboundBlocked("url")
    return _vetted(host, port, plaintext=plaintext)[0]


def connect(host: str, port: int, timeout: float = DEFAULT_TIMEOUT[0], *, plaintext: bool = False) -> socket.socket:
    """A TCP socket to the checked address of `host:port`; OutboundError when it cannot connect."""
    address = vet_host(host, port, plaintext=plaintext)
    try:
        return socket.create_connection((address, port), timeout)
    except OSError:
        raise OutboundError("unreachable") from None


# --- URLs ---------------------------------------------------------------------------------


def _split(url: str, *, allow_http: bool, schemes: tuple[str, ...] = SCHEMES) -> tuple[str, str, int]:
    """`(scheme, host, port)` of an allowed-looking URL (no resolution yet)."""
    if not isinstance(url, str) or not url.strip() or any(c.isspace() or ord(c) < 32 for c in url.strip()):
        raise OutboundBlocked("url")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise OutboundBlocked("url") from None
    secure, plain = schemes[1], schemes[0]
    if parts.scheme not in (secure, plain) or (parts.scheme == plain and not allow_http):
        raise OutboundBlocked("scheme_http" if allow_http else "scheme")
    if not parts.hostname:
        raise OutboundBlocked("url")
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def vet_url(url: str, *, allow_http: bool = False, schemes: tuple[str, ...] = SCHEMES) -> str:
    """Check `url` as a setting is saved: scheme, spelling and every address it resolves to.

    Returns the URL (stripped). Raises `OutboundBlocked` (a `ValueError`) with a fixed reason,
    `exc.localized()` in the request's language. `schemes` is `(plain, secure)`, e.g.
    `("ws", "wss")` for a WebSocket URL. Sending checks again, on every connection.
    """
    scheme, host, port = _split(url, allow_http=allow_http, schemes=schemes)
    _vetted(host, port, plaintext=scheme == schemes[0])
    return url.strip()


# --- settings: checked when saved -----------------------------------------------------------

_saving: ContextVar[bool] = ContextVar("gongdan_outbound_saving", default=False)


@contextmanager
def saving() -> Iterator[None]:
    """While settings are saved (the plugin host wraps its validation in this), the
    `check_url`/`check_host` validators resolve and check addresses; reading stored settings
    does not resolve anything (sending checks again anyway)."""
    token = _saving.set(True)
    try:
        yield
    finally:
        _saving.reset(token)


def check_url(value: str | None, *, allow_http: bool = False, schemes: tuple[str, ...] = SCHEMES) -> None:
    """For a marshmallow validator: `vet_url(value)` while saving, as a marshmallow ValidationError
    in the request's language. Empty values pass."""
    if value and _saving.get():
        try:
            vet_url(value, allow_http=allow_http, schemes=schemes)
        except OutboundBlocked as exc:
            raise marshmallow.ValidationError(exc.localized()) from None


def check_host(host: str | None, port: int, *, plaintext: bool = False, field: str = "_schema") -> None:
    """For a marshmallow (schema) validator: `vet_host(host, port)` while saving (see
    `check_url`); the error names `field`."""
    if host and _saving.get():
        try:
            vet_host(host, port, plaintext=plaintext)
        except OutboundBlocked as exc:
            raise marshmallow.ValidationError(exc.localized(), field) from None


class _Guarded:
    """urllib3 connections that resolve, check and connect to the checked address themselves."""

    plaintext: bool
    _dns_host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        address = _vetted(self._dns_host, self.port, plaintext=self.plaintext)[0]
        try:
            return urllib3_connection.create_connection(
                (address, self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, "connection timed out") from exc
        except OSError as exc:
            raise NewConnectionError(self, "connection failed") from exc


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    plaintext = True


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    plaintext = False


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise OutboundBlocked("proxy")


def _same_origin(current: str, target: str) -> bool:
    old, new = urlsplit(current), urlsplit(target)
    if (old.hostname or "").lower() != (new.hostname or "").lower():
        return False
    if old.scheme == new.scheme:
        return (old.port or DEFAULT_PORTS.get(old.scheme)) == (new.port or DEFAULT_PORTS.get(new.scheme))
    upgrade = old.scheme == "http" and new.scheme == "https"
    return upgrade and old.port in (None, 80) and new.port in (None, 443)


class Session(requests.Session):
    """A `requests.Session` whose every connection and redirect goes through the guard.

    Keep one for many calls to the same service (connections are reused; each new one is
    checked). `request()` returns the response whatever its status; failures raise
    `OutboundError` / `OutboundBlocked`.
    """

    def __init__(self, *, allow_http: bool = False) -> None:
        super().__init__()
        self.allow_http = allow_http
        self.trust_env = False  # no proxies or .netrc from the environment
        self.max_redirects = MAX_REDIRECTS
        adapter = _GuardedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send, following at most `MAX_REDIRECTS` same-host redirects, each checked again."""
        if kwargs.pop("proxies", None):
            raise OutboundBlocked("proxy")
        kwargs.pop("allow_redirects", None)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = DEFAULT_TIMEOUT
        method = method.upper()
        for _ in range(MAX_REDIRECTS + 1):
            _split(url, allow_http=self.allow_http)
            try:
                response = super().request(method, url, allow_redirects=False, **kwargs)
            except requests.RequestException:
                raise OutboundError("unreachable") from None
            if not response.is_redirect:
                return response
            target = urljoin(url, response.headers["location"])
            response.close()
            if not _same_origin(url, target):
                raise OutboundBlocked("redirect")
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method = "GET" if method != "HEAD" else method
                for key in ("data", "json", "files"):
                    kwargs.pop(key, None)
            url = target
        raise OutboundBlocked("redirect")


def request(method: str, url: str, *, allow_http: bool = False, **requests_kwargs: Any) -> requests.Response:
    """One guarded request (see the module's rules); `requests_kwargs` as for `requests.request`.

    Returns the response whatever its status (use `check_status`); raises `OutboundBlocked`
    when the target is not allowed and `OutboundError` when no answer came.
    """
    requests_kwargs.pop("stream", None)
    with Session(allow_http=allow_http) as session:
        return session.request(method, url, **requests_kwargs)


class StatusError(OutboundError):
    """The remote side answered with an error status; only the number is kept."""

    def __init__(self, status: int) -> None:
        self.code, self.status = "status", status
        self.message = f"the remote side answered HTTP {status}"
        self.message_zh = f"对方返回 HTTP {status}"
        Exception.__init__(self, self.message)


def check_status(response: requests.Response) -> requests.Response:
    """`response` if its status is below 400, else `StatusError` (without the remote text)."""
    if response.status_code >= 400:
        raise StatusError(response.status_code)
    return response


def describe(exc: BaseException) -> str:
    """A failure as it may be stored or shown: our fixed messages, never the remote side's text."""
    if isinstance(exc, OutboundError):
        return exc.message
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail server refused (SMTP {exc.smtp_code})"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the mail server refused every recipient"
    if isinstance(exc, (OSError, smtplib.SMTPException, imaplib.IMAP4.error, ssl.SSLError)):
        return MESSAGES["unreachable"][0]
    return f"failed ({type(exc).__name__})"


# --- SMTP and IMAP ------------------------------------------------------------------------


class _SMTP(smtplib.SMTP):
    plaintext = False

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return connect(host, port, timeout, plaintext=self.plaintext)


class _PlainSMTP(_SMTP):
    plaintext = True


class _SMTPS(smtplib.SMTP_SSL):
    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self.context.wrap_socket(connect(host, port, timeout), server_hostname=self._host)


_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def header_text(text: str) -> str:
    """`text` (a ticket's subject, a name) as one line for a mail header: its line breaks become
    spaces. A header value holding one would otherwise make the whole message fail to build
    (Python refuses it rather than let it add a header), so no reply of that ticket went out."""
    return _LINE_BREAKS.sub(" ", text).strip()


def smtp(
    host: str,
    port: int,
    *,
    security: Security = "starttls",
    timeout: float = DEFAULT_TIMEOUT[1],
    context: ssl.SSLContext | None = None,
) -> smtplib.SMTP:
    """A connected SMTP client (TLS established, certificate checked for `host`).

    `security`: `ssl` (implicit TLS, port 465), `starttls` (port 587/25), or `none`, which is
    allowed only to allow-listed addresses. The socket goes to the checked address.
    """
    context = context or ssl.create_default_context()
    if security == "ssl":
        client: smtplib.SMTP = _SMTPS(host, port, timeout=timeout, context=context)
    else:
        client = (_PlainSMTP if security == "none" else _SMTP)(host, port, timeout=timeout)
    if security == "starttls":
        try:
            client.starttls(context=context)
        except BaseException:
            client.close()
            raise
    return client


class _IMAP(imaplib.IMAP4):
    plaintext = False

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return connect(self.host, self.port, timeout or DEFAULT_TIMEOUT[0], plaintext=self.plaintext)


class _PlainIMAP(_IMAP):
    plaintext = True


class _IMAPS(imaplib.IMAP4_SSL):
    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = connect(self.host, self.port, timeout or DEFAULT_TIMEOUT[0])
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


def imap(
    host: str,
    port: int,
    *,
    security: Security = "ssl",
    timeout: float = DEFAULT_TIMEOUT[1],
    context: ssl.SSLContext | None = None,
) -> imaplib.IMAP4:
    """A connected IMAP client (TLS established, certificate checked for `host`).

    `security`: `ssl` (port 993), `starttls` (port 143), or `none` (only to allow-listed
    addresses). The socket goes to the checked address.
    """
    context = context or ssl.create_default_context()
    if security == "ssl":
        return _IMAPS(host, port, ssl_context=context, timeout=timeout)
    client = (_PlainIMAP if security == "none" else _IMAP)(host, port, timeout=timeout)
    if security == "starttls":
        try:
            client.starttls(ssl_context=context)
        except BaseException:
            client.shutdown()
            raise
    return client
