"""Every place an admin types a URL or a host refuses internal targets when it is saved (422 naming
the field), whatever the spelling: loopback, the cloud metadata address, IPv6 loopback and mapped
forms, numeric spellings, a name resolving to loopback. The guard itself (`gongdan.outbound`) is
tested in tests/core/test_outbound.py; this checks that each caller goes through it."""

from __future__ import annotations

from typing import Any

import pytest

HOSTS = [
    "127.0.0.1",
    "169.254.169.254",
    "[::1]",
    "0x7f000001",
    "2130706433",
    "127.1",
    "0177.0.0.1",
    "[::ffff:127.0.0.1]",
    "localhost",
    "10.0.0.5",
    "[fe80::1]",
    "0.0.0.0",
]


@pytest.fixture
def admin(every_plugin: list[str], make_user: Any) -> Any:
    """An admin's API client, every plugin on, no address allow-listed."""
    return make_user("admin")[1]


def _refuses(answer: Any, field: str) -> bool:
    if answer.status_code != 422:
        return False
    fields = answer.get_json()["error"].get("fields") or {}
    return any(key == field or key.endswith(f".{field}") for key in fields)


def test_urls_and_hosts_typed_by_an_admin_refuse_internal_targets(admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GONGDAN_OUTBOUND_ALLOW", raising=False)
    failures = []
    for host in HOSTS:
        bare = host.strip("[]")
        probes = [
            ("/api/v1/automation/webhooks", "post", {"url": f"https://{host}/hook"}, "url"),
            ("/api/v1/automation/webhooks", "post", {"url": f"http://{host}:8080/hook"}, "url"),
            ("/api/v1/plugins/analytics", "put", {"settings": {"wecom_url": f"https://{host}/robot"}}, "wecom_url"),
            ("/api/v1/plugins/analytics", "put", {"settings": {"dingtalk_url": f"https://{host}/r"}}, "dingtalk_url"),
            ("/api/v1/plugins/analytics", "put", {"settings": {"feishu_url": f"https://{host}/r"}}, "feishu_url"),
            ("/api/v1/plugins/sla", "put", {"settings": {"webhook_url": f"https://{host}/sla"}}, "webhook_url"),
            ("/api/v1/plugins/sla", "put", {"settings": {"smtp_host": bare, "smtp_port": 465}}, "smtp_host"),
            (
                "/api/v1/pdd/shops",
                "post",
                {
                    "owner_id": "1",
                    "client_id": "c",
                    "client_secret": "s",
                    "access_token": "t",
                    "gateway_url": f"https://{host}/api/router",
                },
                "gateway_url",
            ),
            (
                "/api/v1/email/mailboxes",
                "post",
                {"address": "a@acme.example", "imap_host": bare, "password": "p", "smtp_host": "smtp.qq.com"},
                "imap_host",
            ),
            (
                "/api/v1/email/mailboxes",
                "post",
                {"address": "a@acme.example", "imap_host": "imap.qq.com", "password": "p", "smtp_host": bare},
                "smtp_host",
            ),
        ]
        for path, method, body, field in probes:
            answer = getattr(admin, method)(path, json=body)
            if not _refuses(answer, field):
                failures.append(f"{method.upper()} {path} {body} -> {answer.status_code} {answer.get_data(True)[:200]}")
    assert not failures, "\n".join(failures)
