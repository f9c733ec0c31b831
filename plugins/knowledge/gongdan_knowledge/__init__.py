"""gongdan-knowledge: articles, Chinese and English search, suggestions on tickets, self-service.

Hook implementations live here; the work is done in the modules named after what they hold.
"""

from __future__ import annotations

from typing import Any

from gongdan.contributions import EventKind, PluginSpec, ScheduledJob, Schema
from gongdan.hookspecs import hookimpl

PLUGIN = PluginSpec(
    label="Knowledge base",
    label_zh="知识库",
    category="knowledge",
    description="Articles with versions and votes, Chinese full-text search, suggestions on tickets.",
    description_zh="带版本和投票的文章，中文全文搜索，在工单上推荐文章。",
    requires_core=">=0.1,<1",
)


@hookimpl
def gongdan_event_kinds() -> list[EventKind]:
    """How inserting an article reads on the timeline."""
    return [
        EventKind(
            "knowledge.article_inserted",
            "引用了知识库文章",
            "used a knowledge article",
            {"title": ("文章", "article", "text")},
        )
    ]


@hookimpl
def gongdan_schema() -> Schema:
    """The knowledge tables (articles, versions, votes, the search index, suggestions, usage)."""
    from gongdan_knowledge.models import MODELS

    # 2: search terms are cut from the simplified form of the text (articles in traditional re-cut)
    # 3: the same for the terms kept from tickets (learned ties, similar solved tickets)
    migrations = {2: _reindex_traditional, 3: _refold_ticket_terms}
    return Schema(owner="knowledge", models=MODELS, version=3, migrations=migrations)


def _reindex_traditional(migrator: Any) -> None:
    """Schema migration 2 (see `index.reindex_traditional`)."""
    from gongdan_knowledge.index import reindex_traditional

    reindex_traditional(migrator)


def _refold_ticket_terms(migrator: Any) -> None:
    """Schema migration 3 (see `refold.refold`)."""
    from gongdan_knowledge.refold import refold

    refold(migrator)


@hookimpl
def gongdan_settings_schema() -> Any:
    """Per-tenant settings: whether tickets get suggestions."""
    from gongdan_knowledge.settings import KnowledgeSettings

    return KnowledgeSettings


@hookimpl
def gongdan_api_blueprints() -> Any:
    """The `/api/v1/kb/...` routes and `/api/v1/tickets/ID/suggestions`."""
    from gongdan_knowledge.api import bp

    return bp


@hookimpl
def gongdan_knowledge_sources() -> Any:
    """The local database: the first knowledge source."""
    from gongdan_knowledge.search import LOCAL_SOURCE

    return LOCAL_SOURCE


@hookimpl
def gongdan_cli_commands() -> Any:
    """`gongdan kb import PATH` / `gongdan kb export PATH`."""
    from gongdan_knowledge.cli import kb

    return kb


@hookimpl
def gongdan_ticket_created(tenant: Any, ticket: Any) -> None:
    """Compute the new ticket's suggestions."""
    _suggest(tenant, ticket, None)


@hookimpl
def gongdan_ticket_updated(tenant: Any, ticket: Any, changes: dict) -> None:
    """Recompute suggestions when the subject, description, category or tags changed."""
    _suggest(tenant, ticket, changes)


def _suggest(tenant: Any, ticket: Any, changes: dict | None) -> None:
    from gongdan.plugins import get_host
    from gongdan_knowledge import suggestions

    if get_host().setting(tenant, "knowledge", "suggest_on_tickets"):
        suggestions.on_ticket_changed(tenant, ticket, changes)


@hookimpl
def gongdan_ticket_status_changed(tenant: Any, ticket: Any, old: str, new: str) -> None:
    """A resolved ticket's answer becomes a similar solved ticket; reopening forgets it."""
    from gongdan_knowledge import solved

    if new == "resolved":
        solved.remember(tenant, ticket)
    elif old in ("resolved", "closed"):
        solved.forget(tenant, ticket)


@hookimpl
def gongdan_ticket_blocks(tenant: Any, tickets: list) -> Any:
    """The `knowledge` block: the top suggestions of each ticket of the page, and `pending`
    while the worker has yet to compute them (two queries)."""
    from gongdan_knowledge import suggestions

    return suggestions.blocks(tickets, tenant)


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """Suggestions of new and changed tickets, computed every few seconds."""
    from gongdan_knowledge import suggestions

    return [
        ScheduledJob(
            id="knowledge.suggestions",
            func=suggestions.run_pending,
            seconds=suggestions.JOB_SECONDS,
            description="compute the suggested articles of tickets created or changed since the last run",
        )
    ]


@hookimpl
def gongdan_console_views() -> Any:
    """The console's Knowledge menu: the article list, editor, versions and review."""
    from gongdan_knowledge.console import console_views

    return console_views()


@hookimpl
def gongdan_ticket_panels(tenant: Any, ticket: Any, user: Any) -> Any:
    """The ticket page's Suggested articles and Similar solved tickets panels (those `user` may see)."""
    from gongdan_knowledge.console import solved_panel, ticket_panel

    return [panel for panel in (ticket_panel(tenant, ticket), solved_panel(tenant, ticket, user)) if panel]


@hookimpl
def gongdan_demo_prepared(tenant: Any, admin: Any) -> None:
    """Load the demo corpus (300+ after-sales articles) into the demo tenant."""
    from gongdan_knowledge.corpus import load_demo

    load_demo(tenant, admin)
