"""The agent workspace: "my queue" sorted by urgency and "take the next ticket"."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect
from flask_admin import expose
from flask_babel import gettext
from peewee import SQL, Case, Select, fn

from gongdan import permissions, saved_views, tickets
from gongdan.actors import Actor
from gongdan.admin import urgency
from gongdan.admin.base import ConsoleBaseView
from gongdan.admin.errors import flash_error
from gongdan.admin.urgency import sla_due, urgency_key
from gongdan.db import db
from gongdan.errors import Conflict, GongdanError
from gongdan.models import OPEN_STATUSES, PRIORITIES, Tenant, Ticket, User
from gongdan.plugins import get_host
from gongdan.representation import with_relations
from gongdan.ticket_filters import capped_count, count_text

CANDIDATES = 200
QUEUE_SHOWN = 50  # rows of My queue; the ticket list has the rest
QUEUE_CANDIDATES = 200
URGENCY = Case(Ticket.priority, [(p, n) for n, p in enumerate(reversed(PRIORITIES))], len(PRIORITIES))


def by_urgency(tenant: Tenant, rows: list[Ticket]) -> list[tuple[Ticket, Any]]:
    """`(ticket, sla due time or None)` most urgent first (SLA due time when the plugin is on)."""
    use_sla = get_host().is_enabled(tenant, urgency.SLA_PLUGIN)
    blocks: dict[int, Any] = {}
    if use_sla and rows:  # the SLA plugin's blocks alone
        found = get_host().gather_from(tenant, urgency.SLA_PLUGIN, "gongdan_ticket_blocks", tenant=tenant, tickets=rows)
        blocks = found or {}
    keyed = []
    for ticket in rows:
        block = blocks.get(ticket.id)
        keyed.append((urgency_key(ticket, block, use_sla), ticket, sla_due(block) if use_sla else None))
    keyed.sort(key=lambda item: item[0])
    return [(ticket, due) for _, ticket, due in keyed]


def my_queue(tenant: Tenant, user: User, limit: int | None = None) -> list[tuple[Ticket, Any]]:
    """The user's unresolved tickets, most urgent first (the first `limit` of them).

    With a `limit`, the database orders by priority and age and gives the first `limit` rows;
    with the SLA plugin on, the `QUEUE_CANDIDATES` first, sorted again by SLA due time: an
    agent's page stays one bounded read.
    """
    mine = (Ticket.assignee == user.id) & Ticket.status.in_(OPEN_STATUSES)
    query = with_relations(Ticket.of(tenant)).where(mine)
    if limit is None:
        return by_urgency(tenant, list(query))
    if not get_host().is_enabled(tenant, urgency.SLA_PLUGIN):
        return by_urgency(tenant, list(query.order_by(URGENCY, Ticket.created_at, Ticket.id).limit(limit)))
    # the candidates ranked from their short columns alone (as `stats.sla_attainment` gives the SLA
    # plugin; a whole ticket with its relations cost ~1 ms a row to build), then the `limit` shown read whole
    short = (Ticket.id, Ticket.tenant, Ticket.number, Ticket.subject, Ticket.status, Ticket.priority, Ticket.channel)
    light = Ticket.of(tenant).select(*short, Ticket.created_at)
    light = light.where(mine).order_by(URGENCY, Ticket.created_at, Ticket.id).limit(max(limit, QUEUE_CANDIDATES))
    ranked = by_urgency(tenant, list(light))[:limit]
    whole = {t.id: t for t in query.where(Ticket.id.in_([t.id for t, _ in ranked]))} if ranked else {}
    return [(whole[t.id], due) for t, due in ranked if t.id in whole]


def queue_size(tenant: Tenant, user: User) -> str:
    """How many unresolved tickets `user` holds, as shown ("10,000+" past the counting limit)."""
    query = Ticket.of(tenant).where((Ticket.assignee == user.id) & Ticket.status.in_(OPEN_STATUSES))
    return count_text(*capped_count(query))


def next_unassigned(tenant: Tenant, user: User) -> list[Ticket]:
    """Unassigned unresolved tickets the user may take (their team's or unrouted), most urgent first.

    With team visibility on, an agent takes only their team's tickets.
    """
    return [ticket for ticket, _ in by_urgency(tenant, unassigned_candidates(tenant, user))]


def _unassigned(tenant: Tenant, user: User, status: str) -> Any:
    """The unassigned tickets of `status` the user may take (their team's or unrouted)."""
    query = permissions.visible_tickets(Actor.of(user), Ticket.of(tenant), tenant).where(
        Ticket.assignee.is_null() & (Ticket.status == status)
    )
    if user.team_id:
        query = query.where(Ticket.team.is_null() | (Ticket.team == user.team_id))
    return query


def unassigned_candidates(tenant: Tenant, user: User) -> list[Ticket]:
    """The `CANDIDATES` oldest unassigned unresolved tickets the user may take, unranked (what
    `next_unassigned` ranks)."""
    rows: list[Ticket] = []
    for status in OPEN_STATUSES:  # one index range per status, (tenant, status, created_at): no scan of old tickets
        rows.extend(list(_unassigned(tenant, user, status).order_by(Ticket.created_at, Ticket.id).limit(CANDIDATES)))
    return sorted(rows, key=lambda t: (t.created_at, t.id))[:CANDIDATES]


def waiting_count(tenant: Tenant, user: User) -> int:
    """How many tickets `unassigned_candidates` gives, counted without reading them (My queue's
    "N unassigned tickets waiting")."""
    total = 0
    for status in OPEN_STATUSES:
        inner = _unassigned(tenant, user, status).select(SQL("1")).limit(CANDIDATES - total)
        total += Select([inner.alias("waiting")], [fn.COUNT(SQL("*"))]).bind(db).scalar()
        if total >= CANDIDATES:
            break
    return total


def take_next(tenant: Tenant, user: User) -> Ticket | None:
    """Assign the most urgent unassigned ticket to `user`; skips tickets others took meanwhile."""
    for ticket in next_unassigned(tenant, user):

        def still_free(ticket_id: int = ticket.id) -> None:
            if Ticket.get_by_id(ticket_id).assignee_id is not None:
                raise Conflict("taken by someone else meanwhile")

        try:
            return tickets.assign(
                tenant,
                ticket,
                user.id,
                Actor.of(user),
                reason="took the next ticket",
                strategy="take-next",
                guard=still_free,
            )
        except Conflict:
            continue
    return None


class WorkspaceView(ConsoleBaseView):
    """My queue and the "take the next ticket" button."""

    role = "agent"

    @expose("/")
    def index(self) -> Any:
        """My queue, and the saved views with their counts."""
        tenant = self.current_tenant()
        return self.render(
            "console/workspace.html",
            queue=my_queue(tenant, self.current_user, limit=QUEUE_SHOWN),
            queue_total=queue_size(tenant, self.current_user),
            waiting=waiting_count(tenant, self.current_user),
            sla_on=get_host().is_enabled(tenant, urgency.SLA_PLUGIN),
            saved_views=saved_views.counted(tenant, self.current_user),
        )

    @expose("/take", methods=["POST"])
    def take(self) -> Any:
        """Take the most urgent unassigned ticket and open it."""
        try:
            ticket = take_next(self.current_tenant(), self.current_user)
        except GongdanError as exc:
            flash_error(exc)
            return redirect(self.get_url(".index"))
        if ticket is None:
            flash(gettext("No unassigned tickets are waiting."), "info")
            return redirect(self.get_url(".index"))
        return redirect(self.get_url("tickets.ticket", ticket_id=ticket.id))
