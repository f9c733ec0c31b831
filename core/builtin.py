"""The core's own hook implementations: its tables, its channels and its periodic repair."""

from __future__ import annotations

from typing import Any

from gongdan.contributions import Channel, ScheduledJob, Schema
from gongdan.hookspecs import hookimpl
from gongdan.models import CORE_MODELS

# version 2 keeps only the indexes a query needs (each costs every insert a page write)
_INDEXES_BEFORE_V2 = (
    "ticket_tenant_id",
    "ticket_assignee_id",
    "ticket_team_id",
    "ticket_parent_id",
    "ticket_tenant_id_external_system_external_id",
    "ticket_tenant_id_assignee_id_status",
    "ticket_event_tenant_id",
    "ticket_event_actor_id",
    "ticket_event_at",
    "ticket_event_dispatched_at",
    "customer_tenant_id",
    "customer_email",
)

CORE_CHANNELS = ("api", "web", "email", "phone")


@hookimpl
def gongdan_schema() -> Schema:
    """The core's tables."""
    migrations = {2: _drop_v1_indexes, 3: _index_tags}
    return Schema(owner="core", models=CORE_MODELS, version=3, migrations=migrations, kinds=CORE_KINDS)


# how the core's installation-wide tables spread over a Citus cluster (see gongdan.citus)
CORE_KINDS = {
    "tenant": "reference",
    "schema_version": "reference",
    "system_setting": "reference",
    "job_run": "reference",
    "rate_counter": "distributed:key",
    "sign_in_name": "reference",
    "lease": "reference",
    # a failure may belong to no tenant (a job, a blueprint at start-up): the tenant is optional here
    "plugin_failure": "reference",
}


def _drop_v1_indexes(migrator: Any) -> None:
    """Drop version 1's redundant and full indexes; `upgrade` then creates version 2's."""
    for name in _INDEXES_BEFORE_V2:
        migrator.database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


def _index_tags(migrator: Any) -> None:
    """Version 3: tickets' tags are search postings (`gongdan.search.tag_term`); write those of
    the tickets that exist, tenant by tenant (a database from before the postings has none)."""
    from gongdan import search
    from gongdan.models import Tenant

    if "ticket_term" not in migrator.database.get_tables():
        return
    for (tenant_id,) in Tenant.select(Tenant.id).tuples():
        search.index_tags(tenant_id)


@hookimpl
def gongdan_channels() -> list[Channel]:
    """The channels every installation has."""
    labels = {"api": "API", "web": "Web portal", "email": "E-mail", "phone": "Phone"}
    return [Channel(name=name, label=labels[name]) for name in CORE_CHANNELS]


@hookimpl
def gongdan_ticket_actions() -> list[Any]:
    """Set status, priority, team, assignee, category, tags; add a note; reply; open a follow-up."""
    from gongdan.core_actions import core_actions

    return core_actions()


@hookimpl
def gongdan_event_kinds() -> list[Any]:
    """How the ticket service's own events read on the timeline."""
    from gongdan.event_kinds import core_event_kinds

    return core_event_kinds()


@hookimpl
def gongdan_comment_added(tenant: Any, ticket: Any, comment: Any, actor: Any) -> None:
    """The bell of everyone mentioned in a reply or note (and an e-mail for those who want one), and
    of the ticket's followers (not the author)."""
    from gongdan import inbox, mention_mail, watchers

    me = getattr(actor.user, "id", None)
    who = actor.user.display_name if actor.user is not None else (comment.author_label or actor.label)
    people = [uid for uid in comment.mentions or [] if uid != me]
    if people:
        inbox.add(tenant, people, "mention", f"{who} @ #{ticket.number} {ticket.subject}", ticket)
        mention_mail.notify(tenant, ticket, comment, who, people)
    followers = [uid for uid in watchers.watcher_ids(tenant, ticket) if uid != me and uid not in people]
    if followers:
        inbox.add(tenant, followers, "watch", f"{who} · #{ticket.number} {ticket.subject}", ticket)


@hookimpl
def gongdan_ticket_assigned(tenant: Any, ticket: Any, assignee: Any, actor: Any) -> None:
    """The bell of whoever a person assigned a ticket to (not themselves, not the assignment plugin)."""
    from gongdan import inbox

    if assignee is not None and actor.user is not None and actor.user.id != assignee.id:
        inbox.add(
            tenant, [assignee.id], "assigned", f"{actor.user.display_name} → #{ticket.number} {ticket.subject}", ticket
        )


@hookimpl
def gongdan_ticket_status_changed(tenant: Any, ticket: Any, old: str, new: str, actor: Any) -> None:
    """The bell of the ticket's followers (not whoever changed it)."""
    from gongdan import inbox, watchers

    me = getattr(actor.user, "id", None)
    followers = [uid for uid in watchers.watcher_ids(tenant, ticket) if uid != me]
    if followers:
        inbox.add(tenant, followers, "watch", f"#{ticket.number} {ticket.subject}: {old} → {new}", ticket)


@hookimpl
def gongdan_scheduled_jobs() -> list[ScheduledJob]:
    """Delivery, the search postings of new tickets, the hooks of events left to the worker, and
    reconciliation (re-dispatch undelivered events, then let plugins repair their part)."""
    from gongdan import delivery, dispatcher, search
    from gongdan.reconcile import reconcile_all

    return [
        ScheduledJob(
            id="core.delivery",
            func=delivery.flush,
            seconds=5,
            description="send queued replies and notifications through each ticket's channel",
        ),
        ScheduledJob(
            id="core.search_index",
            func=search.index_pending,
            seconds=search.INTERVAL_SECONDS,
            description="write the search postings of new tickets, in batches",
        ),
        ScheduledJob(
            id="core.dispatch",
            func=dispatcher.dispatch_batches,
            seconds=dispatcher.INTERVAL_SECONDS,
            description="fire the plugins' hooks of ingested tickets' events (and any a crash left), in batches",
        ),
        ScheduledJob(
            id="core.reconcile",
            func=reconcile_all,
            seconds=60,
            description="re-dispatch events a crash left undelivered; plugins repair their state",
        ),
    ]
