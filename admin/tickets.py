"""Tickets in the console: the list (filters, search, sorting, bulk actions) and the ticket page.

Every change goes through `gongdan.tickets`; the console only reads models.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext
from peewee import Case

from gongdan import (
    attachments,
    delivery,
    hooks,
    inbox,
    listing,
    masking,
    permissions,
    presence,
    saved_views,
    ticket_filters,
    tickets,
    watchers,
)
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
from gongdan.admin.saved_views import SavedViewsMixin, clean_query
from gongdan.admin.ticket_actions import TicketActionsMixin
from gongdan.admin.timeline import describer, last_event_id
from gongdan.api.attachments import accepts_uploads, download_response
from gongdan.errors import GongdanError, NotFound
from gongdan.ids import parse_id
from gongdan.models import PRIORITIES, STATUSES, Category, Comment, Team, Ticket, TicketEvent, User
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


_ticket_filters = ticket_filters.narrowed  # the list's filters, kept under the name callers know


def _without(args: Any, *names: str) -> dict[str, str]:
    return {k: v for k, v in args.items() if k not in names}


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


capped_count = ticket_filters.capped_count
count_text = ticket_filters.count_text
listing_filters = ticket_filters.listing_filters


def pending_labels(tenant: Any, ticket: Ticket) -> list[str]:
    """What the plugins still have to do on `ticket` while its hooks wait for the worker (an
    ingested ticket, seconds at most), in the reader's words: 分配中, SLA 待计算, …; empty when
    nothing waits. Only the core's own listeners waiting reads as "being processed"."""
    waiting = tickets.pending_work(tenant, [ticket.id])
    if ticket.id not in waiting:
        return []
    from gongdan.admin.plugins_view import plugin_label

    words = {"assignment": gettext("assigning"), "sla": gettext("SLA being calculated")}
    host = get_host()
    found = [
        words.get(name) or gettext("%(plugin)s pending", plugin=plugin_label(host.record(name)))
        for name in waiting[ticket.id]
    ]
    return found or [gettext("being processed")]


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
            saved_views=saved_views.counted(tenant, self.current_user),
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
            pending=pending_labels(tenant, ticket),
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
        ticket = self._ticket(ticket_id)
        try:
            delivery.retry(self.current_tenant(), delivery_id, ticket)
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
