"""The public hook contract between the core and plugins.

Three kinds of hooks (see docs/hooks/index.md; each hook has its page, docs/hooks/<hook>.md):

* **Registration** hooks (`gongdan_schema`, `gongdan_channels`, ...) take no tenant and return
  typed descriptions from `gongdan.contributions`; they describe what an *installed* plugin
  offers. Each implementation is called on its own; a failing one is reported, the rest count.
* **Decision** hooks (`firstresult=True`) are called with the tenant's enabled plugins only;
  the first non-None answer wins.
* **Notification** hooks, named in the past tense, are called after the change is committed,
  for plugins enabled in that tenant, one implementation at a time: a failure is recorded
  (plugin, tenant, traceback) and never stops the others or the change. Their return value is
  ignored.

Implementations may accept any subset of the documented arguments, by name.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("gongdan")
hookimpl = pluggy.HookimplMarker("gongdan")

# --- registration hooks -------------------------------------------------------------------


@hookspec
def gongdan_schema() -> Any:
    """Return the plugin's tables: a `Schema` (or a list of them).

    Called by `gongdan init` and by the test harness, process-wide (no tenant). The core
    creates the tables on a fresh database and runs `Schema.migrations` in order otherwise.
    """


@hookspec
def gongdan_channels() -> Any:
    """Return `Channel`s this plugin adds to the channels a ticket may arrive by.

    Called once per process when channels are listed or validated; no tenant.
    """


@hookspec
def gongdan_settings_schema() -> Any:
    """Return the marshmallow `Schema` class of the plugin's per-tenant settings.

    The console renders its form from it; `PUT /api/v1/plugins/NAME` validates with it (422
    with the fields on failure); `host.settings(tenant, name)` loads stored values through it,
    so field defaults (`load_default`) apply. Process-wide; no tenant.
    """


@hookspec
def gongdan_api_blueprints() -> Any:
    """Return Flask `Blueprint`s with the plugin's REST routes (prefix `/api/v1/<area>`).

    Called once when the web app is created. Routes should use `gongdan.api.common.api_route`
    with `plugin="<name>"` so they answer 404 in tenants where the plugin is disabled and
    appear in the OpenAPI document. A blueprint that cannot be registered (a clashing name) is
    recorded as the plugin's failure and left out.
    """


@hookspec
def gongdan_console_views() -> Any:
    """Return `ConsoleView`s (Flask-Admin views) to add to the web console.

    Called once when the console is built; the views check the tenant's enablement themselves.
    """


@hookspec
def gongdan_scheduled_jobs() -> Any:
    """Return `ScheduledJob`s for the scheduler (`gongdan worker` / `gongdan serve`).

    Called once when a scheduler starts; no tenant. A job iterates the tenants where its
    plugin is enabled (`host.tenants_with(name)`). Each slot of a job runs once in total, how
    many workers there are notwithstanding. A job that raises is recorded as the plugin's
    failure (hook `job <id>`).
    """


@hookspec
def gongdan_cli_commands() -> Any:
    """Return click commands or groups to add to the `gongdan` command line (e.g. `kb`).

    Called when the CLI starts; no tenant. Commands open the database with
    `gongdan.cli.open_db()`; a `click.ClickException` is printed as one line (exit 1).
    """


@hookspec
def gongdan_assignment_strategies() -> Any:
    """Return `AssignmentStrategy`s, each under a unique name a tenant's rules can pick.

    Process-wide; the assignment plugin looks them up by name when it decides.
    """


@hookspec
def gongdan_notification_transports() -> Any:
    """Return `NotificationTransport`s (in-app, e-mail, webhook, ...). Process-wide."""


@hookspec
def gongdan_knowledge_sources() -> Any:
    """Return `KnowledgeSource`s that knowledge search merges. Process-wide."""


@hookspec
def gongdan_connectors() -> Any:
    """Return `Connector`s: outside systems this plugin pulls tickets from. Process-wide."""


@hookspec
def gongdan_event_kinds() -> Any:
    """Return `EventKind`s: how the console labels this plugin's ticket event kinds and their
    data fields, in Chinese and English. Process-wide; events of unregistered kinds show their
    kind and no data."""


@hookspec
def gongdan_ticket_actions() -> Any:
    """Return `TicketAction`s: named things that can be done to a ticket.

    Process-wide; no tenant. `gongdan.actions` offers an action in a tenant only while the
    plugin that registered it is enabled there; the console's ticket page, the API
    (`/api/v1/tickets/ID/actions`), macros, triggers and approvals all run them through
    `gongdan.actions.run`, which checks inputs, permission and availability and records the
    run as a ticket event (`action.run`).
    """


# --- decision hooks -----------------------------------------------------------------------


@hookspec(firstresult=True)
def gongdan_assign_ticket(tenant: Any, ticket: Any, actor: Any) -> Any:
    """Choose who should take `ticket`: return an `AssignmentDecision`, or None to pass.

    Called in `tenant`'s scope (enabled plugins only) by `tickets.auto_assign`, outside any
    transaction. The core applies the decision through `tickets.assign`, running
    `decision.guard` inside that transaction.
    """


@hookspec(firstresult=True)
def gongdan_action_gate(tenant: Any, ticket: Any, action: Any, inputs: dict, actor: Any) -> Any:
    """Hold a ticket action before it runs: return an `ActionHeld`, or None to let it run.

    Called in `tenant`'s scope by `gongdan.actions.run` after the inputs, the permission and
    the availability were checked, unless the run was already approved (`gate=False`). E.g.
    the automation plugin holds a refund above the tenant's limit for a supervisor's approval
    and runs it, ungated, once approved.
    """


# --- representation -----------------------------------------------------------------------


@hookspec
def gongdan_ticket_blocks(tenant: Any, tickets: list[Any]) -> Any:
    """Return `{ticket_id: block}` to add to the tickets' representation under the plugin's name.

    Called in `tenant`'s scope with a page of tickets at once (so one query can serve the
    page); tickets missing from the answer get no block. Return None to add nothing.
    """


@hookspec
def gongdan_ticket_panels(tenant: Any, ticket: Any, user: Any) -> Any:
    """Return `TicketPanel`s for the console's ticket page (or None).

    Called in `tenant`'s scope when `user` opens `ticket` in the console.
    """


@hookspec
def gongdan_notification_links(tenant: Any, ticket: Any, kind: str) -> Any:
    """Return `(label_zh, label_en, url)` tuples to add to a customer notification (or None).

    Called in `tenant`'s scope by the outbox (`gongdan.delivery`) when it builds the message
    of `kind` (`reply`, `acknowledgement`, `resolved`) for `ticket`'s customer, just before the
    channel sends it; e.g. the portal adds a rating link to `resolved`. Each link is appended
    to the text and HTML bodies with the label in the customer's language.
    """


@hookspec
def gongdan_customer_orders(tenant: Any, customer: Any) -> Any:
    """Return `CustomerOrder`s: the orders an outside system (a marketplace) knows of `customer`.

    Called in `tenant`'s scope for the customer card (console and `GET /api/v1/customers/ID/card`);
    answer from what the plugin has stored (no outside call on the page's path), newest first.
    """


@hookspec
def gongdan_customer_ratings(tenant: Any, customer: Any) -> Any:
    """Return `CustomerRating`s: how `customer` rated past resolutions (CSAT), newest first.

    Called in `tenant`'s scope for the customer card (console and `GET /api/v1/customers/ID/card`).
    """


# --- notification hooks -------------------------------------------------------------------


@hookspec
def gongdan_ticket_created(tenant: Any, ticket: Any, actor: Any) -> None:
    """A ticket was created and committed. Called in its tenant's scope."""


@hookspec
def gongdan_ticket_updated(tenant: Any, ticket: Any, changes: dict, actor: Any) -> None:
    """Fields of a ticket changed: `changes` maps each field to `[old, new]`.

    Also called when the same `external_ref` arrives again and updates the ticket.
    """


@hookspec
def gongdan_ticket_status_changed(tenant: Any, ticket: Any, old: str, new: str, actor: Any) -> None:
    """A ticket moved from status `old` to `new` (already committed)."""


@hookspec
def gongdan_ticket_assigned(
    tenant: Any, ticket: Any, previous_id: int | None, assignee: Any, reason: str, actor: Any
) -> None:
    """A ticket's assignee changed from user id `previous_id` to `assignee` (None: unassigned)."""


@hookspec
def gongdan_comment_added(tenant: Any, ticket: Any, comment: Any, actor: Any) -> None:
    """A reply or internal note was added (`comment.internal`, `comment.from_customer`)."""


@hookspec
def gongdan_ticket_linked(tenant: Any, parent: Any, child: Any, actor: Any) -> None:
    """A follow-up ticket `child` was created under `parent`."""


@hookspec
def gongdan_deadline_announced(tenant: Any, ticket: Any, kind: str, due_at: Any, source: str) -> None:
    """An outside system set a hard deadline on a ticket (e.g. a marketplace `expire_time`).

    `kind` is `resolution` or `first_response`; `due_at` an aware datetime; `source` who said
    so (e.g. `pdd_connector`). The SLA plugin tightens its due time when this is earlier.
    Sent with `tickets.announce_deadline`.
    """


@hookspec
def gongdan_plugin_toggled(tenant: Any, plugin: str, enabled: bool, actor: Any) -> None:
    """`plugin` was enabled or disabled for `tenant`. Called for every loaded plugin."""


@hookspec
def gongdan_reconcile(tenant: Any) -> None:
    """Periodic repair in `tenant`'s scope: fix what a crash after a commit left undone.

    E.g. assign tickets left unassigned, stamp tickets without SLA due times. Must be
    idempotent: it runs every minute.
    """


@hookspec
def gongdan_demo_prepared(tenant: Any, admin: Any) -> None:
    """`gongdan demo` created the demo `tenant` (with its `admin`): add the plugin's demo data.

    Called after the plugin was enabled for the demo tenant, before the server starts. A
    plugin may start helper processes here (the Pinduoduo simulator does) and must not block.
    """


@hookspec
def gongdan_demo_history_built(tenant: Any, tickets: list[Any]) -> None:
    """`gongdan demo` built its weeks of past tickets in `tenant` (`gongdan.demo_history`): add
    what follows from them (the portal: customers' ratings of the resolved ones).

    Called once, after `gongdan_demo_prepared`, with the history's tickets, before the server
    starts. The clock is real time again; freeze it (`gongdan.clock.freeze`) to date what you add.
    """
