"""Secrets typed into gongdan (API tokens, passwords, IMAP/SMTP passwords, webhook and robot
signing secrets, a 2FA seed) are in no row of the database in clear, in no API answer and on no
console page; and the security-relevant changes are in the audit trail."""

from __future__ import annotations

from typing import Any

import pyotp

from gongdan import twofactor
from gongdan.actors import Actor
from gongdan.db import db
from gongdan.models import TicketEvent
from gongdan.plugins import get_host
from gongdan.schema import all_models
from gongdan.testing import TEST_PASSWORD, ConsoleClient

SECRETS = {
    "webhook": "whsec-机密-0123456789abcdef",
    "imap": "imap-授权码-5f1e2d",
    "smtp": "smtp-授权码-9a8b7c",
    "sla_smtp": "sla-smtp-口令-77aa",
    "sla_webhook": "sla-hook-签名-88bb-0123456789",
    "dingtalk": "SEC0123456789abcdef0123456789abcdef",
    "feishu": "feishu-签名-99cc-0123456789",
}


def _text(value: object) -> str:
    if isinstance(value, memoryview | bytes):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _stored_text() -> str:
    """Every row of every table as the database holds it (no field decrypts anything here)."""
    rows = []
    for model in all_models(get_host()):
        cursor = db.execute_sql(f'SELECT * FROM "{model._meta.table_name}"')
        rows += [" ".join(_text(v) for v in row) for row in cursor.fetchall()]
    return "\n".join(rows)


def test_secrets_are_kept_encrypted_never_shown_and_their_changes_audited(
    app: Any, tenant: Any, every_plugin: list[str], make_user: Any, outbound_loopback: str
) -> None:
    admin, api = make_user("admin")
    hook = api.post(
        "/api/v1/automation/webhooks", json={"url": "http://127.0.0.1:9/hook?token=x", "secret": SECRETS["webhook"]}
    )
    assert hook.status_code == 201, hook.get_json()
    assert api.patch(f"/api/v1/automation/webhooks/{hook.get_json()['id']}", json={"active": False}).status_code == 200
    mailbox = api.post(
        "/api/v1/email/mailboxes",
        json={
            "address": "support@acme.example",
            "imap_host": "127.0.0.1",
            "imap_port": 1143,
            "imap_security": "none",
            "password": SECRETS["imap"],
            "smtp_host": "127.0.0.1",
            "smtp_port": 1025,
            "smtp_security": "none",
            "smtp_password": SECRETS["smtp"],
        },
    )
    assert mailbox.status_code == 201, mailbox.get_json()
    sla = {"smtp_host": "127.0.0.1", "smtp_port": 1025, "smtp_starttls": False, "smtp_password": SECRETS["sla_smtp"]}
    sla["webhook_secret"] = SECRETS["sla_webhook"]
    assert api.put("/api/v1/plugins/sla", json={"settings": sla}).status_code == 200
    robots = {"dingtalk_secret": SECRETS["dingtalk"], "feishu_secret": SECRETS["feishu"]}
    assert api.put("/api/v1/plugins/analytics", json={"settings": robots}).status_code == 200
    seed = twofactor.new_secret()
    twofactor.enable(admin, seed, pyotp.TOTP(seed).now(), Actor.of(admin))
    typed = {**SECRETS, "seed": seed, "token": api.token, "password": TEST_PASSWORD}

    stored = _stored_text()
    assert "support@acme.example" in stored  # the scan reads the rows written above
    assert [name for name, value in typed.items() if value in stored] == []

    answers = [
        api.get(path).get_data(as_text=True)
        for path in (
            "/api/v1/plugins",
            "/api/v1/automation/webhooks",
            "/api/v1/email/mailboxes",
            f"/api/v1/email/mailboxes/{mailbox.get_json()['id']}",
            "/api/v1/users/me",
        )
    ]
    admin.totp_secret = None  # sign in to the console without the second factor
    from gongdan.models import User

    User.update(totp_secret=None).where(User.id == admin.id).execute()
    console = ConsoleClient(app, admin)
    answers += [
        console.text(path)
        for path in (
            "/console/plugins/sla/settings",
            "/console/plugins/analytics/settings",
            f"/console/email-mailboxes/{mailbox.get_json()['id']}/edit",
            "/console/automation/webhooks/",
            "/console/audit/",
            "/console/tokens/",
        )
    ]
    shown = "\n".join(answers)
    assert [name for name, value in typed.items() if value in shown] == []

    audited = {e.kind: e.data for e in TicketEvent.select().where(TicketEvent.ticket.is_null())}
    assert {"token.created", "plugin.changed", "auth.2fa_enabled"} <= set(audited)
    assert audited["automation.webhook_created"]["url"] == "http://127.0.0.1:9/hook"  # no query string
    assert audited["automation.webhook_changed"]["changes"] == {"active": [True, False]}
    assert audited["email.mailbox_created"]["address"] == "support@acme.example"
