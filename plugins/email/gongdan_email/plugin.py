"""The e-mail plugin's hook implementations."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from gongdan.contributions import Channel, EventKind, ScheduledJob, Schema, TicketPanel
from gongdan.hookspecs import hookimpl
from gongdan.models import Tenant, Ticket

from .models import MODELS

FETCH_SECONDS = 60


@hookimpl
def gongdan_schema() -> Schema:
    """The plugin's tables."""
    return Schema(owner="email", models=MODELS, version=1)


@hookimpl
def gongdan_event_kinds() -> list[EventKind]:
    """How the mailbox entries of the audit trail read (passwords only as changed)."""
    address = ("邮箱", "mailbox", "text")
    changes = ("变更", "changes", "changes")
    codes = {
        "address": ("地址", "address"),
        "imap_host": ("IMAP 服务器", "IMAP server"),
        "imap_port": ("IMAP 端口", "IMAP port"),
        "imap_security": ("IMAP 加密", "IMAP security"),
        "imap_folder": ("文件夹", "folder"),
        "username": ("用户名", "user name"),
        "password": ("IMAP 密码", "IMAP password"),
        "smtp_host": ("SMTP 服务器", "SMTP server"),
        "smtp_port": ("SMTP 端口", "SMTP port"),
        "smtp_security": ("SMTP 加密", "SMTP security"),
        "smtp_username": ("SMTP 用户名", "SMTP user name"),
        "smtp_password": ("SMTP 密码", "SMTP password"),
        "active": ("启用", "active"),
        "ssl": ("SSL", "SSL"),
        "starttls": ("STARTTLS", "STARTTLS"),
        "none": ("不加密", "none"),
    }
    return [
        EventKind("email.mailbox_created", "添加了邮箱", "added a mailbox", {"address": address}, codes),
        EventKind(
            "email.mailbox_changed", "修改了邮箱", "changed a mailbox", {"address": address, "changes": changes}, codes
        ),
        EventKind("email.mailbox_deleted", "删除了邮箱", "removed a mailbox", {"address": address}, codes),
    ]


@hookimpl
def gongdan_channels() -> list[Channel]:
    """The `email` channel, which can reach the customer (SMTP)."""
    from .send import deliver

    return [Channel(name="email", label="E-mail", deliver=deliver, label_zh="邮件", label_en="E-mail")]


@hookimpl
def gongdan_settings_schema() -> Any:
    """Reopen window, message size limit, acknowledgement cap."""
    from .settings import EmailSettingsSchema

    return EmailSettingsSchema


@hookimpl
def gongdan_api_blueprints() -> list[Any]:
    """`/api/v1/email/mailboxes`."""
    from .api import bp

    return [bp]


@hookimpl
def gongdan_cli_commands() -> Any:
    """`gongdan email fetch`."""
    from .cli import email

    return email


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """Fetch every active mailbox every minute."""
    from .fetch import scheduled_fetch

    return [
        ScheduledJob(
            id="email.fetch",
            func=scheduled_fetch,
            seconds=FETCH_SECONDS,
            description="fetch new mail from every active mailbox (IMAP)",
        )
    ]


@hookimpl
def gongdan_console_views() -> list[Any]:
    """Mailboxes (with status and test connection) and the quarantine."""
    from .console import console_views

    return console_views()


@hookimpl
def gongdan_ticket_panels(tenant: Tenant, ticket: Ticket, user: Any) -> Any:
    """The ticket's mail, each message with a link to its original."""
    from .console import ticket_panel

    html = ticket_panel(tenant, ticket)
    return TicketPanel(name="email", title=str(_l("Mail")), html=html, order=30) if html else None
