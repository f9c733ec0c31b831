"""Typed descriptions that plugins hand to the core through registration hooks.

A registration hook returns one of these (or a list of them); the host attributes each to
the plugin that returned it. Nothing here has side effects: the core decides when to use them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PluginSpec:
    """Metadata a plugin module declares as its module attribute `PLUGIN`.

    `requires_core` is a PEP 440 specifier (e.g. ``">=0.1,<1"``) checked against the core's
    version before the plugin is registered; a mismatch marks it `incompatible`.
    """

    label: str = ""
    category: str = "other"
    description: str = ""
    requires_core: str = ""
    label_zh: str = ""
    description_zh: str = ""  # the console shows it on Chinese pages (`description` when empty)


@dataclass(frozen=True)
class Schema:
    """A plugin's tables and their migrations.

    `version` is the newest schema version; `migrations[n]` upgrades n-1 to n and receives a
    `playhouse.migrate` migrator. A fresh database gets the tables created at `version`.

    `kinds` declares how each table spreads over a Citus cluster, by table name (see
    `gongdan.citus` and docs/writing-plugins.md): a table with a `tenant` foreign key (every
    `TenantModel`) is `"tenant"`-owned unless declared otherwise; any other table must be declared
    `"reference"` (small, copied to every node) or `"distributed:<column>"` (sharded by its own key).
    """

    owner: str
    models: Sequence[type]
    version: int = 1
    migrations: Mapping[int, Callable[[Any], None]] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundMessage:
    """One message to a ticket's customer, handed to its channel's `deliver` (see `gongdan.delivery`).

    `kind` is `reply` (an agent's public reply: `comment` is set and `text` is its body),
    `acknowledgement` (the ticket was received) or `resolved`. `language` is `zh` or `en`;
    `text` and `html` are ready to send in it (`html` is escaped). `attachments` are
    `Attachment` rows; read their bytes with `gongdan.attachments.read`. `delivery_id`
    identifies the outbox row, so a channel can make a retry idempotent.
    """

    delivery_id: int
    tenant: Any
    ticket: Any
    kind: str
    comment: Any
    subject: str
    text: str
    html: str
    language: str
    attachments: Sequence[Any] = ()


@dataclass(frozen=True)
class DeliveryReceipt:
    """What a channel answers when it accepted a message: its id there (e.g. a Message-ID)."""

    external_id: str | None = None


@dataclass(frozen=True)
class Channel:
    """A way tickets arrive (api, web, email, phone, pdd, ...).

    `deliver(OutboundMessage) -> DeliveryReceipt` sends a message back to the ticket's customer
    through this channel; it raises `gongdan.delivery.DeliveryError(reason, permanent)` when it
    cannot. None (the default) means the channel cannot reach the customer. The outbox calls it
    from the worker, only in tenants where the plugin that registered the channel is enabled.
    `label_zh`/`label_en` name it in the console's language (`label` when they are empty).
    """

    name: str
    label: str = ""
    deliver: Callable[[OutboundMessage], DeliveryReceipt] | None = None
    label_zh: str = ""  # the console's words in each language (else `label`)
    label_en: str = ""


@dataclass(frozen=True)
class ScheduledJob:
    """Periodic work. Give `seconds` for an interval or `cron` (APScheduler cron fields).

    However many workers run, each slot of the job runs once.
    """

    id: str
    func: Callable[[], Any]
    seconds: float | None = None
    cron: Mapping[str, str] | None = None
    description: str = ""
    plugin: str = ""  # filled in by `gongdan.scheduler.jobs`: who registered it (its failures are that plugin's)
    # also run by `gongdan.dispatcher.finish` (an ingesting command's end), right after the hooks:
    # for a job that acts on what ingestion recorded and is safe to run at any moment beside its
    # scheduled runs (e.g. the automation plugin's triggers on plugin events)
    after_ingestion: bool = False

    @property
    def period_seconds(self) -> float:
        """The shortest gap between two runs, used to tell one slot from the next."""
        return self.seconds if self.seconds is not None else 60.0


@dataclass(frozen=True)
class AssignmentStrategy:
    """A named way of choosing an agent; a tenant's rules pick strategies by name.

    `choose(ticket, candidates, options)` receives the ticket and the eligible candidates
    (described by the assignment plugin) and returns the chosen candidate or None.
    """

    name: str
    choose: Callable[..., Any]
    label: str = ""
    description: str = ""
    label_zh: str = ""  # the label in Chinese (the console's timeline; `label` when empty)


@dataclass(frozen=True)
class AssignmentDecision:
    """The answer of `gongdan_assign_ticket`.

    `assignee_id` None means nobody can take the ticket now (it waits in `team`'s queue).
    `guard`, when given, runs inside the assignment transaction and raises
    `gongdan.errors.Conflict` to abort it (e.g. the agent's capacity filled meanwhile); the
    core then asks again.
    """

    assignee_id: int | None
    strategy: str
    reason: str
    team_id: int | None = None
    guard: Callable[[], None] | None = None


@dataclass(frozen=True)
class Notification:
    """Something to tell people: handed to every registered notification transport."""

    tenant_id: int
    recipient_ids: Sequence[int]
    kind: str
    subject: str
    body: str
    ticket_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationTransport:
    """A way to deliver notifications (in-app, e-mail, webhook, SMS, chat...)."""

    name: str
    send: Callable[[Notification], None]
    label: str = ""


@dataclass(frozen=True)
class KnowledgeHit:
    """One search result from a knowledge source."""

    source: str
    id: str
    title: str
    snippet: str
    score: float
    url: str | None = None


@dataclass(frozen=True)
class KnowledgeSource:
    """A searchable knowledge base: `search(tenant, query, limit)` returns KnowledgeHits."""

    name: str
    search: Callable[..., list[KnowledgeHit]]
    label: str = ""


@dataclass(frozen=True)
class Connector:
    """A marketplace or outside system that feeds tickets (e.g. Pinduoduo).

    `problem_text(ticket)`, when given, returns the words of one of its tickets that say what
    the customer wants (the request's type and reason, the buyer's own words) without product
    names or order facts; knowledge suggestions search with it.
    """

    name: str
    system: str
    label: str = ""
    description: str = ""
    problem_text: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class EventKind:
    """How people read a plugin's ticket event `kind` (e.g. `sla.paused`) on the timeline.

    `label_zh` / `label_en` say what happened ("暂停了 SLA 计时" / "paused the SLA clocks").
    `fields` names the data keys worth showing, in order, as `{key: (label_zh, label_en, kind)}`
    where `kind` tells how to show the value: `text`, `user` or `team` (an id shown by name),
    `time` (ISO text shown in the tenant's zone), `minutes`, `code` (looked up in `codes`),
    `flag` (yes/no), `strategy` (an assignment strategy's name, shown by its label), `changes`
    (`{field: [old, new]}`, fields and values through `codes`) or
    `targets` (`{target: {"breached": bool} | {"outcome": code}}`, shown in time / late / the code).
    Keys not listed are not shown. `codes` labels code values
    (`{"first_response": ("首次响应", "first response")}`), also inside dict values.
    `warning`: the console flashes such an event to whoever caused it (e.g. over capacity).
    `words(text, language)` (optional) words a `text` value the plugin wrote (a reason such as
    "skills: 换货 level 3; load 0/8") in `zh` or `en`, or returns None for text it did not write;
    the console asks every registered kind's `words`, so a plugin also words the text it puts in
    the core's events (an assignment's reason).
    `sentence(data, language)` (optional) says the whole event as one sentence in `zh` or `en`
    ("首次响应已超时（SLA 策略：标准）"); the timeline then shows it instead of who, the label
    and the fields (None: as without it).
    """

    kind: str
    label_zh: str
    label_en: str
    fields: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    warning: bool = False
    words: Callable[[str, str], str | None] | None = None
    sentence: Callable[[dict[str, Any], str], str | None] | None = None

    @property
    def name(self) -> str:
        """The kind, under which `gongdan.hooks.event_kinds()` files it."""
        return self.kind


@dataclass(frozen=True)
class TicketPanel:
    """A panel a plugin adds to the console's ticket page: ready, escaped HTML.

    `resolve_warning`: a question the console asks before the agent resolves or closes the
    ticket (e.g. the marketplace still waits for the merchant), shown on the panel too.
    """

    name: str
    title: str
    html: str
    order: int = 100
    resolve_warning: str = ""


@dataclass(frozen=True)
class TicketAction:
    """Something a person, a rule or an integration can do to a ticket (see `gongdan.actions`).

    `name` is unique across plugins (prefix a plugin's own, e.g. `pdd_connector.agree_refund`);
    `schema` is the marshmallow `Schema` class of its inputs (field `metadata` may carry
    `label_zh`, `label_en` and `widget="textarea"` for the console form); `available(tenant,
    ticket, user)` says whether it applies to this ticket now (`user` None: the system);
    `permission` is a `gongdan.permissions` rule name or a role (`agent`, `supervisor`,
    `admin`); `run(tenant, ticket, inputs, actor)` does it through the services and returns a
    JSON-serialisable result (or None). `choices(tenant, ticket)`, when given, returns
    `{field: [(value, label), ...]}` for fields whose values come from the tenant (agents,
    teams, categories), which the console shows as a list.
    """

    name: str
    label_zh: str
    label_en: str
    schema: type
    run: Callable[..., Any]
    available: Callable[..., bool] = lambda tenant, ticket, user: True
    permission: str = "agent"
    needs_confirmation: bool = False
    choices: Callable[..., Mapping[str, Sequence[tuple[Any, str]]]] | None = None
    order: int = 100

    def label(self, language: str) -> str:
        """The label in `language` (`zh...` Chinese, otherwise English)."""
        return self.label_zh if language.startswith("zh") else self.label_en


@dataclass(frozen=True)
class ActionHeld:
    """The answer of `gongdan_action_gate` that stops an action from running now.

    `reason` says why (e.g. "a refund over ¥5,000 needs a supervisor's approval"); `data` is
    JSON-serialisable (e.g. `{"approval_id": 12}`) and is returned to the caller and recorded.
    """

    reason: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerOrder:
    """An order of a customer in an outside system (`gongdan_customer_orders`), for the customer card.

    `status_zh` / `status_en` say where it stands in people's words; `amount` is display text with
    its currency (`¥59.00`); `ticket_id` is the ticket it came with, if any.
    """

    system: str
    order_id: str
    title: str
    status_zh: str = ""
    status_en: str = ""
    amount: str | None = None
    at: datetime | None = None
    ticket_id: int | None = None

    def status(self, language: str) -> str:
        """The status in `language` (`zh...` Chinese, otherwise English)."""
        return self.status_zh if language.startswith("zh") else (self.status_en or self.status_zh)


@dataclass(frozen=True)
class CustomerRating:
    """A customer's answer to a satisfaction question (`gongdan_customer_ratings`).

    `score` is 1 (unsatisfied) to 5 (satisfied); `ticket_id` the ticket rated.
    """

    ticket_id: int
    score: int
    rated_at: datetime
    comment: str = ""


@dataclass(frozen=True)
class ConsoleView:
    """A Flask-Admin view a plugin adds to the console, under `menu` (a category label)."""

    view: Any
    menu: str | None = None
