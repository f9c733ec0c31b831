"""Satisfaction: a question asked at each resolution, the customer's answer, and the figures.

A `Survey` row is written when a ticket is resolved (the ask), holding the agent, team,
category and channel of that moment; the customer's answer fills it once. A reopened and
re-resolved ticket gets a new row, so it asks again. The response rate is answers over asks.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import peewee
from markupsafe import escape
from peewee import fn

from gongdan import clock, tickets
from gongdan.actors import Actor
from gongdan.contributions import CustomerRating, TicketPanel
from gongdan.db import write_transaction
from gongdan.errors import Conflict, GongdanError, ValidationError
from gongdan.models import Category, Team, Tenant, Ticket, User
from gongdan.plugins import get_host
from gongdan_portal.models import Survey
from gongdan_portal.timeline import CSAT_EVENT, RATING_WORDS

log = logging.getLogger("gongdan.portal.csat")
SCORES = {"satisfied": 5, "okay": 3, "unsatisfied": 1}
GROUPS = ("agent", "team", "category", "channel")
MAX_COMMENT = 2000


def ask(tenant: Tenant, ticket: Ticket, resolver: User | None = None) -> Survey | None:
    """The question for the ticket's current resolution (written once; None if not resolved).

    Its agent is the assignee, else the agent who resolved the ticket (`resolver`).
    """
    if ticket.resolved_at is None or ticket.status not in ("resolved", "closed"):
        return None
    Survey.insert(
        tenant=tenant.id,
        ticket=ticket.id,
        resolved_at=ticket.resolved_at,
        agent=ticket.assignee_id or (resolver.id if resolver is not None else None),
        team=ticket.team_id,
        category=ticket.category_id,
        channel=ticket.channel,
    ).on_conflict_ignore().execute()
    return Survey.get(
        (Survey.tenant == tenant.id) & (Survey.ticket == ticket.id) & (Survey.resolved_at == ticket.resolved_at)
    )


def ratings_of(tenant: Tenant, customer: Any, limit: int = 50) -> list[CustomerRating]:
    """The customer's answered surveys, newest first (`gongdan_customer_ratings`)."""
    if customer is None:
        return []
    rows = (
        Survey.select(Survey.ticket, Survey.score, Survey.comment, Survey.rated_at)
        .join(Ticket, on=(Survey.ticket == Ticket.id))
        .where(
            (Survey.tenant == tenant.id)
            & (Ticket.tenant == tenant.id)
            & (Ticket.customer == customer.id)
            & Survey.score.is_null(False)
        )
        .order_by(Survey.rated_at.desc())
        .limit(limit)
    )
    return [CustomerRating(row.ticket_id, row.score, row.rated_at, row.comment or "") for row in rows]


def rate(tenant: Tenant, ticket: Ticket, rating: str, comment: str, actor: Actor) -> Survey:
    """Record the customer's answer for the current resolution; Conflict when already answered."""
    if rating not in SCORES:
        raise ValidationError("unknown rating", {"rating": [f"must be one of: {', '.join(SCORES)}"]})
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError("comment too long", {"comment": [f"at most {MAX_COMMENT} characters"]})
    survey = ask(tenant, ticket)
    if survey is None:
        raise Conflict("the request is not resolved")
    score = SCORES[rating]
    with write_transaction():
        changed = (
            Survey.update(score=score, comment=comment, rated_at=clock.now())
            .where((Survey.id == survey.id) & Survey.score.is_null())
            .execute()
        )
        if not changed:
            raise Conflict("this resolution is already rated")
        tickets.record_event(tenant, ticket, CSAT_EVENT, {"score": score, "comment": comment}, actor)
    survey.score, survey.comment = score, comment
    if score == 1 and get_host().settings(tenant, "portal")["low_rating_followup"]:
        _follow_up(tenant, ticket, survey)
    return survey


def _follow_up(tenant: Tenant, ticket: Ticket, survey: Survey) -> None:
    """Open a follow-up ticket for a supervisor about a 不满意 rating (never fails the rating)."""
    settings = get_host().settings(tenant, "portal")
    data: dict[str, Any] = {
        "subject": f"不满意评价跟进 Low rating follow-up #{ticket.number}: {ticket.subject}"[:200],
        "description": survey.comment,
        "priority": "high",
        "channel": "api",
        "tags": ["csat-followup"],
    }
    if settings["followup_team"]:
        data["team"] = settings["followup_team"]
    try:
        child = tickets.link(tenant, ticket, data, Actor.system("plugin:portal"))
    except GongdanError:
        log.exception("portal: the low-rating follow-up of ticket %s failed", ticket.id)
        return
    Survey.update(followup=child.id).where(Survey.id == survey.id).execute()


def pending(tenant: Tenant, ticket: Ticket) -> bool:
    """Whether the customer has yet to rate the ticket's current resolution."""
    survey = ask(tenant, ticket)
    return survey is not None and survey.score is None


def latest(ticket: Ticket) -> list[Survey]:
    """The ticket's answered surveys, newest first."""
    query = Survey.select().where(
        (Survey.tenant == ticket.tenant_id) & (Survey.ticket == ticket.id) & Survey.score.is_null(False)
    )
    return list(query.order_by(Survey.rated_at.desc()))


# --- figures ------------------------------------------------------------------------------


def _labels(tenant: Tenant, group_by: str, keys: list[Any]) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if group_by == "channel" or not ids:
        return {k: k for k in keys if k is not None}
    if group_by == "agent":
        return {u.id: u.name or u.email for u in User.select().where((User.tenant == tenant) & User.id.in_(ids))}
    if group_by == "team":
        return {t.id: t.name for t in Team.select().where((Team.tenant == tenant) & Team.id.in_(ids))}
    return {c.id: c.path for c in Category.select().where((Category.tenant == tenant) & Category.id.in_(ids))}


def _figures(asked: int, answered: int, total: int | None, satisfied: int, okay: int, unsatisfied: int) -> dict:
    return {
        "asked": asked,
        "answered": answered,
        "response_rate": round(answered / asked, 4) if asked else None,
        "score": round(total / answered, 2) if answered and total is not None else None,
        "satisfied": satisfied,
        "okay": okay,
        "unsatisfied": unsatisfied,
        "csat": round(satisfied / answered, 4) if answered else None,
    }


def report(tenant: Tenant, start: datetime, end: datetime, group_by: str | None) -> dict[str, Any]:
    """Asks, answers, response rate, mean score (1–5) and counts per rating, overall and per group.

    Counted over resolutions in `[start, end)`.
    """
    column = {"agent": Survey.agent, "team": Survey.team, "category": Survey.category, "channel": Survey.channel}
    measures = [
        fn.COUNT(Survey.id),
        fn.COUNT(Survey.score),
        fn.SUM(Survey.score),
        *(fn.SUM(peewee.Case(None, [(Survey.score == s, 1)], 0)) for s in (5, 3, 1)),
    ]
    where = (Survey.tenant == tenant) & (Survey.resolved_at >= start) & (Survey.resolved_at < end)
    overall = Survey.select(*measures).where(where).tuples().get()
    answer: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat(), **_figures(*_ints(overall))}
    if group_by:
        key = column[group_by]
        rows = list(Survey.select(key, *measures).where(where).group_by(key).tuples())
        labels = _labels(tenant, group_by, [r[0] for r in rows])
        answer["group_by"] = group_by
        answer["groups"] = [
            {"key": r[0], "label": labels.get(r[0], "") if r[0] is not None else None, **_figures(*_ints(r[1:]))}
            for r in sorted(rows, key=lambda r: (r[0] is None, str(r[0])))
        ]
    return answer


def _ints(values: tuple) -> tuple:
    asked, answered, total, *counts = values
    total = int(total) if total is not None else None
    return (int(asked or 0), int(answered or 0), total, *(int(c or 0) for c in counts))


# --- the console --------------------------------------------------------------------------


def panel(ticket: Ticket, gettext: Any) -> TicketPanel | None:
    """The console's Satisfaction panel: each rating of the ticket with its comment."""
    rows = latest(ticket)
    if not rows:
        return None
    items = "".join(
        f"<li><strong>{escape(gettext(RATING_WORDS[r.score]))}</strong> ({r.score}/5)"
        f" · {escape(r.rated_at.strftime('%Y-%m-%d %H:%M'))} UTC"
        + (f'<br><span class="text-muted">{escape(r.comment)}</span>' if r.comment else "")
        + (f" · {escape(gettext('follow-up'))} #{r.followup_id}" if r.followup_id else "")
        + "</li>"
        for r in rows
    )
    html = f'<ul class="mb-0">{items}</ul>'
    return TicketPanel(name="csat", title=gettext("Customer satisfaction"), html=html, order=60)


# --- the demo ---------------------------------------------------------------------------------

DEMO_SEED = 13
DEMO_COMMENTS = {
    "satisfied": ("", "", "处理很快，谢谢！", "客服很耐心"),
    "okay": ("", "回复有点慢", "问题解决了，但等了挺久"),
    "unsatisfied": ("等了两天才有人回", "退款到现在还没到账"),
}


def answer_demo_surveys(tenant: Tenant, share: float = 0.65) -> int:
    """Answer about `share` of the demo's satisfaction questions as their customers would have, a
    few hours after each resolution (mostly satisfied, some okay, a few not); returns how many."""
    import random
    from datetime import timedelta

    rng = random.Random(DEMO_SEED)
    asked = list(Survey.select().where((Survey.tenant == tenant.id) & Survey.score.is_null()).order_by(Survey.id))
    answered = 0
    try:
        for survey in asked:
            if rng.random() > share:
                continue
            at = survey.resolved_at + timedelta(hours=rng.uniform(0.5, 30))
            if at >= clock.now():
                continue
            rating = rng.choices(("satisfied", "okay", "unsatisfied"), weights=(70, 20, 10))[0]
            ticket = Ticket.get_by_id(survey.ticket_id)
            if ticket.resolved_at != survey.resolved_at:
                continue  # reopened since: only the current resolution is rated
            clock.freeze(at)
            try:
                rate(tenant, ticket, rating, rng.choice(DEMO_COMMENTS[rating]), Actor.system("customer"))
                answered += 1
            except GongdanError:
                continue
            finally:
                clock.unfreeze()
    finally:
        clock.unfreeze()
    return answered
