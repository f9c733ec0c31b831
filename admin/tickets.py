"""Tickets in the console: the list (filters, search, sorting, bulk actions) and the ticket page.

Every change goes through `gongdan.tickets`; the console only reads models.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext
from peewee import SQL, Case, Select, fn

from gongdan import attachments, delivery, hooks, inbox, listing, masking, permissions, presence, tickets, watchers
from gongdan.actors import Actor
from gongdan.admin import conversation, urgency
from gongdan.admin.base import ConsoleBaseView
from gongdan.admin.concurrency import ticket_version, unchanged_since, warn_new_events
from gongdan.admin.customer_card_view import CustomerCardMixin, card_context
from gongdan.admin.errors import flash_error
from gongdan.admin.labels import status_label
from gongdan.admin.live import LiveMixin
from gongdan.admin.merge_view import MergeMixin, merge_context
from gongdan.admin.new_ticket import NewTicketMixin
from gongdan.admin.saved_views import SavedViewsMixin, clean_query, with_counts
from gongdan.admin.ticket_actions import TicketActionsMixin
from gongdan.admin.timeline import describer, last_event_id
from gongdan.api.attachments import accepts_uploads, download_response
from gongdan.db import db
from gongdan.errors import GongdanError, NotFound
from gongdan.ids import parse_id
from gongdan.models import PRIORITIES, STATUSES, Category, Comment, Customer, Team, Ticket, TicketEvent, User
from gongdan.plugins import get_host
from gongdan.representation import with_relations

PER_PAGE = 25
PAGE_LINKS = 10  # numbered page links; beyond them the list goes on by cursor ("Next")
LAST_PAGE = 10_000 // PER_PAGE  # offset paging stops at listing.MAX_OFFSET rows
SORTS = {
    "-created_at": Ticket.created_at.desc(),
    "created_at": Ticket.created_at.asc(),
    "-updated_at": Ticket.updated_at.desc(),
    "-number": Ticket.number.desc(),
    "number": Ticket.number.asc(),
    "priority": Case(None, [(Ticket.priority == p, i) for i, p in enumerate(reversed(PRIORITIES))], 9),
}
BULK_ACTIONS = ("assign", "status", "tag")


def _ticket_filters(query: Any, args: Any, user: User) -> Any:
    for name in ("status", "priority", "channel"):
        value = args.get(name)
        if value:
            query = query.where(getattr(Ticket, name) == value)
    assignee = args.get("assignee")
    if assignee == "me":
        query = query.where(Ticket.assignee == user.id)
    elif assignee == "none":
        query = query.where(Ticket.assignee.is_null())
    elif assignee and parse_id(assignee):
        query = query.where(Ticket.assignee == parse_id(assignee))
    tag = (args.get("tag") or "").strip()
    if tag:
        # tags are stored as JSON text; COALESCE keeps the field's JSON converter off the pattern
        query = query.where(fn.COALESCE(Ticket.tags, "").contains(json.dumps(tag, ensure_ascii=False)))
    team = args.get("team")
    if team and parse_id(team):
        query = query.where(Ticket.team == parse_id(team))
    query = _drill_down_filters(query, args, user)
    text = (args.get("q") or "").strip()
    if text:
        condition = Ticket.subject.contains(text) | Ticket.description.contains(text)
        if text.lstrip("#").isdigit():
            condition |= Ticket.number == int(text.lstrip("#"))
        query = query.where(condition)
    return query


def _without(args: Any, *names: str) -> dict[str, str]:
    return {k: v for k, v in args.items() if k not in names}


def _local_day(text: str | None, tz: ZoneInfo) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat((text or "").strip()), time(), tz)
    except ValueError:
        return None


def _drill_down_filters(query: Any, args: Any, user: User) -> Any:
    """The filters the analytics figures link with: a category and everything under it, the
    customer's tier, and days of creation or resolution (`created_from`/`created_to`,
    `resolved_from`/`resolved_to`, inclusive, in the tenant's time zone)."""
    path = (args.get("category") or "").strip()
    if path:
        under = Category.select(Category.id).where((Category.path == path) | Category.path.startswith(path + "/"))
        query = query.where(Ticket.category.in_(under))
    tier = (args.get("tier") or "").strip()
    if tier:
        query = query.where(Ticket.customer.in_(Customer.select(Customer.id).where(Customer.tier == tier)))
    tz = ZoneInfo(user.tenant.timezone or "Asia/Shanghai")
    for name, field in (("created", Ticket.created_at), ("resolved", Ticket.resolved_at)):
        start, end = _local_day(args.get(f"{name}_from"), tz), _local_day(args.get(f"{name}_to"), tz)
        if start is not None:
            query = query.where(field >= start)
        if end is not None:
            query = query.where(field < end + timedelta(days=1))
    return query


def _bulk_done(action: str, value: str, done: int, total: int, tenant: Any) -> str:
    """What a bulk action did, in words: "3 of 3 tickets assigned to 小王", "... set to 已解决"."""
    if action == "assign":
        user = User.of(tenant).where(User.id == parse_id(value)).first() if value else None
        who = user.display_name if user else gettext("nobody")
        return gettext("%(n)s of %(total)s tickets assigned to %(who)s.", n=done, total=total, who=who)
    if action == "status":
        status = status_label(value)
        return gettext("%(n)s of %(total)s tickets set to %(status)s.", n=done, total=total, status=status)
    return gettext("%(n)s of %(total)s tickets tagged %(tag)s.", n=done, total=total, tag=value)


def capped_count(query: Any) -> tuple[int, bool]:
    """How many rows `query` gives, counted no further than `listing.COUNT_LIMIT` (True when exact)."""
    inner = query.select(SQL("1")).order_by().limit(listing.COUNT_LIMIT + 1)
    found = Select([inner.alias("capped")], [fn.COUNT(SQL("*"))]).bind(db).scalar()
    return min(found, listing.COUNT_LIMIT), found <= listing.COUNT_LIMIT


def count_text(total: int, exact: bool) -> str:
    """A count as the console shows it: "10,000+" past the counting limit."""
    return f"{total:,}" if exact else f"{total:,}+"


def view_counter(tenant: Any, user: User) -> Any:
    """`count(args)`: how many tickets the list shows `user` for the filters `args` (saved views);
    an int, or "10,000+" past the counting limit."""
    actor = Actor.of(user)

    def count(args: dict[str, str]) -> int | str:
        total, exact = capped_count(
            _ticket_filters(permissions.visible_tickets(actor, Ticket.of(tenant), tenant), args, user)
        )
        return total if exact else count_text(total, exact)

    return count


# the console's sorts that `gongdan.listing` pages by cursor, by their name there
LISTING_SORTS = {"-created_at": "-created_at", "created_at": "created_at", "-updated_at": "-updated_at"}
LISTING_SORTS["priority"] = "-priority"  # most urgent first
LISTING_ARGS = {"status", "priority", "channel", "assignee", "q", "sort", "page", "cursor"}


def listing_filters(args: Any, user: User) -> listing.Filters | None:
    """The `gongdan.listing` filters of the list's `args`, or None when they use a filter or a
    sort only the general query offers (tag, team, category, tier, dates; by number)."""
    if {name for name, value in args.items() if value} - LISTING_ARGS:
        return None
    sort = args.get("sort") or "-created_at"
    if sort not in LISTING_SORTS:
        return None
    assignee: str | int | None = args.get("assignee") or None
    if assignee == "me":
        assignee = user.id
    elif assignee not in (None, "none"):
        assignee = parse_id(assignee)
        if assignee is None:
            return None
    text = (args.get("q") or "").strip().lstrip("#")
    return listing.Filters(
        status=args.get("status") or None,
        priority=args.get("priority") or None,
        channel=args.get("channel") or None,
        assignee=assignee,
        q=text or None,
        sort=LISTING_SORTS[sort],
    )


def agents_of(tenant: Any) -> list[User]:
    """Active users of the tenant who can hold tickets, by name."""
    return list(User.of(tenant).where(User.is_active == True).order_by(User.name, User.email))  # noqa: E712


class TicketsView(
    SavedViewsMixin, LiveMixin, MergeMixin, CustomerCardMixin, NewTicketMixin, TicketActionsMixin, ConsoleBaseView
):
    """The ticket list and each ticket's page."""

    role = "agent"

    def _actor(self) -> Actor:
        return Actor.of(self.current_user)

    def _visible(self, query: Any) -> Any:
        """`query` narrowed to the tickets the signed-in user may see (team visibility)."""
        return permissions.visible_tickets(self._actor(), query, self.current_tenant())

    def _ticket(self, ticket_id: int) -> Ticket:
        try:
            return tickets.get(self.current_tenant(), ticket_id, self._actor())
        except NotFound:
            abort(404)

    @expose("/")
    def index_view(self) -> Any:
        """The list: filters, search, sorting and paging."""
        tenant = self.current_tenant()
        sort = request.args.get("sort", "-created_at")
        page = min(max(request.args.get("page", 1, type=int), 1), LAST_PAGE)
        cursor = request.args.get("cursor") or None
        filters = listing_filters(request.args, self.current_user)
        next_cursor = None
        if filters is not None:  # keyset paging over the indexes, capped count
            try:
                found = listing.list_page(tenant, self._actor(), filters, per_page=PER_PAGE, page=page, cursor=cursor)
            except GongdanError:  # a stale or edited cursor: start from the first page
                flash(gettext("That page is no longer there; here is the first one."), "warning")
                return redirect(self.get_url(".index_view", **_without(request.args, "page", "cursor")))
            rows, total, exact, next_cursor = found.tickets, found.total, found.total_exact, found.next_cursor
        else:
            query = _ticket_filters(self._visible(with_relations(Ticket.of(tenant))), request.args, self.current_user)
            total, exact = capped_count(query)
            order = SORTS.get(sort, SORTS["-created_at"])
            rows = list(query.order_by(order, Ticket.id.desc()).paginate(page, PER_PAGE))
        sla_on = get_host().is_enabled(tenant, urgency.SLA_PLUGIN)
        blocks = hooks.ticket_blocks(tenant, rows) if sla_on else {}
        sla_due = {t.id: urgency.sla_due(blocks.get(t.id, {}).get(urgency.SLA_PLUGIN)) for t in rows}
        args = _without(request.args, "page", "cursor")
        return self.render(
            "console/tickets.html",
            rows=rows,
            sla_on=sla_on,
            sla_due=sla_due,
            total=count_text(total, exact),
            page=0 if cursor else page,
            pages=min(max((total + PER_PAGE - 1) // PER_PAGE, 1), PAGE_LINKS) if not cursor else 0,
            next_cursor=next_cursor,
            args=args,
            sort=sort,
            statuses=STATUSES,
            priorities=PRIORITIES,
            channels=sorted(hooks.channels()),
            agents=agents_of(tenant),
            teams=list(Team.of(tenant).order_by(Team.name)),
            saved_views=with_counts(tenant, self.current_user, view_counter(tenant, self.current_user)),
            current_query=clean_query(request.query_string.decode()),
        )

    @expose("/bulk", methods=["POST"])
    def bulk(self) -> Any:
        """Assign, change the status of, or tag the selected tickets (each through the service)."""
        tenant, actor = self.current_tenant(), self._actor()
        action, value = request.form.get("action", ""), request.form.get("value", "").strip()
        if action == "tag":
            value = request.form.get("tag_value", "").strip() or value
        ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
        if action in ("tag", "status") and not value:
            flash(gettext("Choose a status or type a tag."), "warning")
            return redirect(request.referrer or self.get_url(".index_view"))
        if action not in BULK_ACTIONS or not ids:
            flash(gettext("Choose tickets and an action."), "warning")
            return redirect(request.referrer or self.get_url(".index_view"))
        done = 0
        for ticket_id in ids:
            try:
                ticket = tickets.get(tenant, ticket_id, actor)
                if action == "assign":
                    tickets.assign(tenant, ticket, int(value) if value.isdigit() else None, actor)
                elif action == "status":
                    tickets.transition(tenant, ticket, value, actor)
                else:
                    tickets.update(tenant, ticket, {"tags": [*ticket.tags, value]}, actor)
                done += 1
            except GongdanError as exc:
                flash_error(exc, prefix=f"#{ticket_id}: ")
        flash(_bulk_done(action, value, done, len(ids), tenant), "success" if done == len(ids) else "warning")
        return redirect(request.referrer or self.get_url(".index_view"))

    @expose("/<int:ticket_id>")
    def ticket(self, ticket_id: int) -> Any:
        """One ticket: conversation and events on one timeline, forms, plugin panels."""
        tenant = self.current_tenant()
        ticket = self._ticket(ticket_id)
        comments = list(Comment.select().where(Comment.ticket == ticket).order_by(Comment.created_at, Comment.id))
        events = list(
            TicketEvent.select()
            .where((TicketEvent.ticket == ticket) & (TicketEvent.kind != "commented"))
            .order_by(TicketEvent.at, TicketEvent.id)
        )
        talk = conversation.conversation(tenant, ticket, comments)
        timeline = sorted(
            [("comment", c.created_at, c) for c in comments]
            + [("event", e.at, e) for e in events]
            + [("delivery", d.created_at, d) for d in talk.notices],
            key=lambda item: (item[1], 0 if item[0] == "event" else 1),
        )
        customer_tickets = []
        if ticket.customer_id:
            customer_tickets = list(
                self._visible(Ticket.of(tenant))
                .where((Ticket.customer == ticket.customer_id) & (Ticket.id != ticket.id))
                .order_by(Ticket.created_at.desc())
                .limit(5)
            )
        return self.render(
            "console/ticket.html",
            ticket=ticket,
            customer=masking.customer_dict(ticket.customer) if ticket.customer_id else None,
            can_reveal=permissions.can(self._actor(), "customer.reveal"),
            customer_tickets=customer_tickets,
            followups=list(self._visible(Ticket.of(tenant)).where(Ticket.parent == ticket.id).order_by(Ticket.id)),
            timeline=timeline,
            talk=talk,
            **conversation.template_helpers(),
            panels=hooks.ticket_panels(tenant, ticket, self.current_user),
            transitions=sorted(tickets.TRANSITIONS.get(ticket.status, ())),
            agents=agents_of(tenant),
            describe_event=describer(tenant),
            live=presence.state(ticket),
            following=self.current_user.id in watchers.watcher_ids(tenant, ticket),
            merges=merge_context(tenant, ticket),
            card=card_context(tenant, ticket, self._actor()),
            ticket_version=ticket_version,
            priorities=PRIORITIES,
            teams=list(Team.of(tenant).order_by(Team.name)),
            # every level: a ticket may sit on a two-level category (e.g. 售后/补寄 from Pinduoduo)
            categories=list(Category.of(tenant).order_by(Category.path)),
        )

    def _back(self, ticket_id: int) -> Any:
        return redirect(self.get_url(".ticket", ticket_id=ticket_id))

    @expose("/<int:ticket_id>/comment", methods=["POST"])
    @accepts_uploads
    def comment(self, ticket_id: int) -> Any:
        """A public reply or an internal note, with files; says whether the reply is on its way."""
        tenant, ticket = self.current_tenant(), self._ticket(ticket_id)
        uploads = [f for f in request.files.getlist("files") if f and f.filename]
        try:
            note = conversation.reply(
                tenant,
                ticket,
                request.form.get("body", ""),
                self._actor(),
                internal=request.form.get("internal") == "1",
                uploads=uploads,
                mentions=inbox.mentioned(tenant, request.form.get("body", "")),
            )
            conversation.flash_reply(tenant, ticket, note)
        except GongdanError as exc:
            flash_error(exc)
        return self._back(ticket_id)

    @expose("/<int:ticket_id>/attachments/<int:attachment_id>")
    def attachment(self, ticket_id: int, attachment_id: int) -> Any:
        """Download one of the ticket's files (`?thumbnail=1`: an image's preview)."""
        ticket = self._ticket(ticket_id)
        try:
            found = attachments.get(self.current_tenant(), attachment_id)
        except NotFound:
            abort(404)
        if found.ticket_id != ticket.id:
            abort(404)
        return download_response(found, thumbnail=request.args.get("thumbnail") == "1")

    @expose("/<int:ticket_id>/deliveries/<int:delivery_id>/retry", methods=["POST"])
    def retry_delivery(self, ticket_id: int, delivery_id: int) -> Any:
        """Queue a failed reply or notification again."""
        self._ticket(ticket_id)
        try:
            delivery.retry(self.current_tenant(), delivery_id)
            flash(gettext("Queued again for delivery."), "success")
        except GongdanError as exc:
            flash_error(exc)
        return self._back(ticket_id)

    @expose("/<int:ticket_id>/transition", methods=["POST"])
    def transition(self, ticket_id: int) -> Any:
        """Change the status."""
        try:
            done = tickets.transition(
                self.current_tenant(), self._ticket(ticket_id), request.form.get("to", ""), self._actor()
            )
            flash(gettext("Status changed to %(status)s.", status=status_label(done.status)), "success")
        except GongdanError as exc:
            flash_error(exc)
        return self._back(ticket_id)

    @expose("/<int:ticket_id>/assign", methods=["POST"])
    def assign(self, ticket_id: int) -> Any:
        """Assign to an agent, to me, unassign, or ask the assignment strategy (`auto`)."""
        tenant, ticket, actor = self.current_tenant(), self._ticket(ticket_id), self._actor()
        value = request.form.get("assignee_id", "")
        try:
            if value == "auto":
                _, decision = tickets.auto_assign(tenant, ticket, actor)
                flash(decision.reason or gettext("Assigned."), "info")
            else:
                guard, last = unchanged_since(ticket, request.form.get("version")), last_event_id(ticket)
                done = tickets.assign(tenant, ticket, int(value) if value.isdigit() else None, actor, guard=guard)
                who = done.assignee.display_name if done.assignee_id else gettext("nobody")
                flash(gettext("Assigned to %(who)s.", who=who), "success")
                warn_new_events(tenant, done, last)
        except GongdanError as exc:
            flash_error(exc)
        return self._back(ticket_id)

    @expose("/<int:ticket_id>/followup", methods=["POST"])
    def followup(self, ticket_id: int) -> Any:
        """Open a follow-up ticket linked to this one (a task spun off the conversation)."""
        try:
            child = tickets.link(
                self.current_tenant(),
                self._ticket(ticket_id),
                {"subject": request.form.get("subject", "")},
                self._actor(),
            )
        except GongdanError as exc:
            flash_error(exc)
            return self._back(ticket_id)
        return redirect(self.get_url(".ticket", ticket_id=child.id))

    @expose("/<int:ticket_id>/update", methods=["POST"])
    def update(self, ticket_id: int) -> Any:
        """Change subject, description, priority, category, team and tags."""
        form = request.form
        data: dict[str, Any] = {
            "priority": form.get("priority"),
            "tags": [t.strip() for t in form.get("tags", "").replace("，", ",").split(",") if t.strip()],
        }
        for name in ("subject", "description"):
            if name in form:
                data[name] = form[name]
        if "category" in form:
            data["category"] = form.get("category") or None
        if "team" in form:
            data["team"] = form.get("team") or None
        try:
            tickets.update(self.current_tenant(), self._ticket(ticket_id), data, self._actor())
            flash(gettext("Ticket updated."), "success")
        except GongdanError as exc:
            flash_error(exc)
        return self._back(ticket_id)
