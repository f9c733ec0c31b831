"""gongdan-portal: the customer portal at `/portal/<tenant-slug>/` and satisfaction ratings.

Help centre (on the knowledge plugin), submitting requests, password-less sign-in, "my
requests" in the customer's words, replies, CSAT; the `portal` channel; `GET /api/v1/csat`.
Hook implementations live here; the work is done in the modules named after what they hold.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gongdan.contributions import EventKind, PluginSpec, ScheduledJob, Schema
from gongdan.hookspecs import hookimpl

PLUGIN = PluginSpec(
    label="Customer portal",
    label_zh="客户门户",
    category="channel",
    description="Help centre, request submission, sign-in by e-mail link or code, my requests, satisfaction ratings.",
    description_zh="帮助中心、提交请求、邮件链接或验证码登录、我的请求、满意度评价。",
    requires_core=">=0.1,<1",
)


@hookimpl
def gongdan_event_kinds() -> list[EventKind]:
    """How a customer's rating reads on the timeline."""
    return [
        EventKind(
            "portal.csat",
            "客户评价了服务",
            "the customer rated the service",
            {"score": ("评分", "score", "text"), "comment": ("评语", "comment", "text")},
        )
    ]


@hookimpl
def gongdan_schema() -> Schema:
    """Used sign-in tokens, deflections, satisfaction surveys, logos."""
    from gongdan_portal.models import MODELS

    return Schema(owner="portal", models=MODELS, version=1)


@hookimpl
def gongdan_settings_schema() -> Any:
    """Branding, public categories, who may submit, reopen window, low-rating follow-ups."""
    from gongdan_portal.settings import PortalSettings

    return PortalSettings


@hookimpl
def gongdan_api_blueprints() -> list[Any]:
    """The portal's pages (`/portal/<slug>/...`), its assets (`/portal/_static/`) and `GET /api/v1/csat`."""
    from gongdan_portal.api import bp as api_bp
    from gongdan_portal.web import assets, bp

    return [bp, assets, api_bp]


@hookimpl
def gongdan_channels() -> Any:
    """The `portal` channel (it answers customers by e-mail when the tenant has the e-mail channel)."""
    from gongdan_portal.channel import CHANNEL

    return CHANNEL


@hookimpl
def gongdan_notification_links(tenant: Any, ticket: Any, kind: str) -> Any:
    """A link to the request's page in every notification; a rating link in `resolved` ones."""
    from gongdan_portal.channel import links, settings_open

    return links(tenant, ticket, kind) if settings_open(tenant) else None


@hookimpl
def gongdan_ticket_status_changed(tenant: Any, ticket: Any, new: str, actor: Any) -> None:
    """A resolution asks the customer for a rating (one survey row per resolution)."""
    if new == "resolved":
        from gongdan_portal import csat

        csat.ask(tenant, ticket, actor.user)


@hookimpl
def gongdan_demo_history_built(tenant: Any) -> None:
    """The demo's customers answer most of the satisfaction questions of its past tickets."""
    from gongdan_portal import csat

    csat.answer_demo_surveys(tenant)


@hookimpl
def gongdan_customer_ratings(tenant: Any, customer: Any) -> Any:
    """The customer's answers to the satisfaction question, for the customer card."""
    from gongdan_portal import csat

    return csat.ratings_of(tenant, customer)


@hookimpl
def gongdan_ticket_panels(tenant: Any, ticket: Any) -> Any:
    """The console ticket page's Customer satisfaction panel."""
    from flask_babel import gettext

    from gongdan_portal import csat

    return csat.panel(ticket, gettext)


@hookimpl
def gongdan_console_views() -> Any:
    """Settings › Portal branding (the logo upload)."""
    from gongdan_portal.console import console_views

    return console_views()


def _forget_used_tokens() -> None:
    from gongdan import clock
    from gongdan_portal.identity import SIGN_IN_SECONDS, forget_used

    forget_used(clock.now() - timedelta(seconds=SIGN_IN_SECONDS * 4))


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """Hourly: forget spent sign-in nonces once they could no longer be used anyway."""
    return [
        ScheduledJob(
            id="portal.forget_used_tokens",
            func=_forget_used_tokens,
            seconds=3600,
            description="delete spent portal sign-in nonces past their expiry",
        )
    ]
