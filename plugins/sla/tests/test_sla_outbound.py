"""H4: the SLA webhook and SMTP server go through `gongdan.outbound`, at save time and at send time.

127.0.0.2 plays the public receiver (the only allow-listed address); 127.0.0.1 holds the
internal services that must receive nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from gongdan_sla.models import Delivery
from gongdan_sla.sweep import sweep_tenant

from gongdan import outbound
from gongdan.testing import RecordingServer, answer

ALLOW = "GONGDAN_OUTBOUND_ALLOW"
FAST = [{"name": "Fast", "first_response": 30, "warning_percent": 99}]
TELL_ADMIN = [{"name": "Fast", "first_response": 30, "escalations": [{"after": 0, "actions": ["notify_admin"]}]}]
H4_WEBHOOKS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://127.0.0.1:5432/",
    "http://2130706433/",
    "http://0x7f000001/",
    "ftp://example.com/hooks",
    "http://[::ffff:127.0.0.1]/",
    "http://10.0.0.8/hooks",
]


@pytest.fixture
def public(monkeypatch: pytest.MonkeyPatch) -> str:
    """Only 127.0.0.2 is allow-listed: it plays a public receiver."""
    monkeypatch.setenv(ALLOW, "127.0.0.2/32")
    return "127.0.0.2"


def _put(api: Any, settings: dict[str, Any], language: str = "en") -> Any:
    body = {"enabled": True, "settings": settings}
    return api.put("/api/v1/plugins/sla", json=body, headers={"Accept-Language": language})


@pytest.mark.parametrize("url", H4_WEBHOOKS)
def test_internal_webhook_urls_are_refused_when_saved(
    url: str, sla: Any, admin_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW, raising=False)
    response = _put(admin_api, {"transports": ["webhook"], "webhook_url": url, "webhook_secret": "k"})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "settings.webhook_url" in response.get_json()["error"]["fields"]


def test_refusals_speak_the_callers_language(sla: Any, admin_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW, raising=False)
    settings = {"webhook_url": "http://169.254.169.254/", "smtp_host": "10.1.2.3"}
    fields = _put(admin_api, settings, "zh-CN").get_json()["error"]["fields"]
    assert fields["settings.webhook_url"] == [outbound.MESSAGES["address"][1]]
    fields = _put(admin_api, {"smtp_host": "10.1.2.3"}, "en").get_json()["error"]["fields"]
    assert fields["settings.smtp_host"] == [outbound.MESSAGES["address"][0]]


@pytest.mark.parametrize("host", ["127.0.0.1", "169.254.169.254", "2130706433", "192.168.0.1", "localhost"])
def test_internal_smtp_hosts_are_refused_when_saved(
    host: str, sla: Any, admin_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW, raising=False)
    response = _put(admin_api, {"transports": ["email"], "smtp_host": host, "smtp_port": 5432})
    assert response.status_code == 422
    assert "settings.smtp_host" in response.get_json()["error"]["fields"]


def test_plain_smtp_and_http_webhooks_only_to_allow_listed_addresses(sla: Any, admin_api: Any, public: str) -> None:
    settings = {"smtp_host": public, "smtp_starttls": False, "webhook_url": f"http://{public}/"}
    assert _put(admin_api, settings).status_code == 200
    response = _put(admin_api, {"webhook_url": "http://127.0.0.1/"})
    assert response.status_code == 422


def _sweep_once(
    tenant: Any, configure: Any, new_ticket: Any, frozen_clock: Any, look: Any, policies: list[dict] = FAST
) -> list[Delivery]:
    configure(policies)
    new_ticket()
    frozen_clock.set(look.sh(2026, 11, 2, 10, 30))
    sweep_tenant(tenant)
    return list(Delivery.select().order_by(Delivery.id))


def test_a_redirect_to_an_internal_port_is_not_followed_and_carries_nothing(
    configure: Any,
    enable_plugin: Any,
    tenant: Any,
    new_ticket: Any,
    frozen_clock: Any,
    look: Any,
    http_server: Callable[..., RecordingServer],
    public: str,
) -> None:
    internal = http_server("127.0.0.1")
    receiver = http_server(public, answer(307, b"", Location=f"http://127.0.0.1:{internal.port}/steal"))
    enable_plugin("sla", settings={"transports": ["webhook"], "webhook_url": receiver.base + "/hooks"})
    deliveries = _sweep_once(tenant, configure, new_ticket, frozen_clock, look)
    assert len(receiver.seen) == len(deliveries) == 2
    assert internal.seen == []
    assert {d.last_error for d in deliveries} == {outbound.MESSAGES["redirect"][0]}


def test_the_address_is_checked_again_when_sending(
    configure: Any,
    enable_plugin: Any,
    tenant: Any,
    new_ticket: Any,
    frozen_clock: Any,
    look: Any,
    http_server: Callable[..., RecordingServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Saved while the operator allowed loopback; after the allow list shrank, nothing is sent."""
    internal = http_server("127.0.0.1")
    monkeypatch.setenv(ALLOW, "127.0.0.0/8")
    enable_plugin("sla", settings={"transports": ["webhook"], "webhook_url": internal.base + "/hooks"})
    monkeypatch.delenv(ALLOW)
    deliveries = _sweep_once(tenant, configure, new_ticket, frozen_clock, look)
    assert internal.seen == []
    assert {d.last_error for d in deliveries} == {outbound.MESSAGES["address"][0]}


def test_failures_are_stored_without_the_remote_answer(
    configure: Any,
    enable_plugin: Any,
    tenant: Any,
    new_ticket: Any,
    frozen_clock: Any,
    look: Any,
    http_server: Callable[..., RecordingServer],
    public: str,
) -> None:
    receiver = http_server(public, answer(500, b"FATAL: password authentication failed for user postgres"))
    enable_plugin("sla", settings={"transports": ["webhook"], "webhook_url": receiver.base + "/hooks"})
    deliveries = _sweep_once(tenant, configure, new_ticket, frozen_clock, look)
    assert {d.last_error for d in deliveries} == {"the remote side answered HTTP 500"}


def test_smtp_to_an_internal_host_is_refused_at_send_time_too(
    configure: Any,
    enable_plugin: Any,
    tenant: Any,
    make_user: Any,
    new_ticket: Any,
    frozen_clock: Any,
    look: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ALLOW, "169.254.0.0/16")
    settings = {"transports": ["email"], "smtp_host": "169.254.169.254", "smtp_port": 25, "smtp_starttls": False}
    enable_plugin("sla", settings=settings)
    monkeypatch.delenv(ALLOW)
    make_user("admin")
    deliveries = _sweep_once(tenant, configure, new_ticket, frozen_clock, look, TELL_ADMIN)
    assert deliveries
    assert {d.last_error for d in deliveries} == {outbound.MESSAGES["address"][0]}
