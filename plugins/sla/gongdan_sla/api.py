"""REST routes: `/api/v1/sla/{policies,calendars,report,deliveries}` and `/api/v1/notifications`."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields, validate

from gongdan import clock
from gongdan.api.common import api_route, current_actor, current_tenant, current_user, page_args, page_of
from gongdan.errors import NotFound, ValidationError
from gongdan.ids import Id
from gongdan.representation import iso

from . import china_days, policies, report
from .calendars import CN_YEARS
from .models import Delivery, Notification, SlaCalendar

PLUGIN = "sla"
sla_bp = Blueprint("sla", __name__, url_prefix="/api/v1/sla")
notifications_bp = Blueprint("sla_notifications", __name__, url_prefix="/api/v1/notifications")


class ReportQuery(Schema):
    """`from` / `to`: ISO dates or times (default: the last 30 days)."""

    start = fields.AwareDateTime(data_key="from", default_timezone=UTC)
    end = fields.AwareDateTime(data_key="to", default_timezone=UTC)


class NotificationsQuery(Schema):
    """Filters for the caller's notifications."""

    unread = fields.Boolean(load_default=False)
    page = fields.Integer(validate=validate.Range(min=1))
    per_page = fields.Integer(validate=validate.Range(min=1, max=100))


class DeliveriesQuery(Schema):
    """Filter deliveries by status."""

    status = fields.String(validate=validate.OneOf(["pending", "delivered", "failed"]))
    page = fields.Integer(validate=validate.Range(min=1))
    per_page = fields.Integer(validate=validate.Range(min=1, max=100))


class MarkReadBody(Schema):
    """`{"ids": [...]}` or `{"all": true}`."""

    ids = fields.List(Id(), load_default=list, validate=validate.Length(max=1000))
    all = fields.Boolean(load_default=False)


def _calendars_answer() -> dict[str, Any]:
    rows = SlaCalendar.of(current_tenant()).order_by(SlaCalendar.name)
    return {
        "items": [policies.calendar_dict(row) for row in rows],
        "holiday_data": {
            "region": "CN",
            "sources": ["holidays", "chinesecalendar"],
            "years": list(CN_YEARS),
            "warning": china_days.horizon_warning(clock.now().date()),
        },
    }


@api_route(sla_bp, "/policies", role="agent", plugin=PLUGIN)
def get_policies() -> dict[str, Any]:
    """The tenant's SLA policies, in the order they are tried (first match wins)."""
    return {"items": [policies.policy_dict(p) for p in policies.policies_of(current_tenant())]}


@api_route(sla_bp, "/policies", ("PUT",), role="admin", plugin=PLUGIN, body=policies.PoliciesSchema)
def put_policies(body: dict[str, Any]) -> dict[str, Any]:
    """Replace the ordered policies (422 for unknown fields, non-positive targets, unknown calendars)."""
    saved = policies.save_policies(current_tenant(), body, current_actor())
    return {"items": [policies.policy_dict(p) for p in saved]}


@api_route(sla_bp, "/calendars", role="agent", plugin=PLUGIN)
def get_calendars() -> dict[str, Any]:
    """The tenant's business calendars and the years the holiday data covers."""
    return _calendars_answer()


@api_route(sla_bp, "/calendars", ("PUT",), role="admin", plugin=PLUGIN, body=policies.CalendarsSchema)
def put_calendars(body: dict[str, Any]) -> dict[str, Any]:
    """Replace the calendars (422 for overlapping intervals, bad times, unknown time zones)."""
    policies.save_calendars(current_tenant(), _dates_as_text(body), current_actor())
    return _calendars_answer()


def _dates_as_text(body: dict[str, Any]) -> dict[str, Any]:
    items = [
        {**item, "closed": [d.isoformat() for d in item["closed"]], "open": [d.isoformat() for d in item["open"]]}
        for item in body["items"]
    ]
    return {"items": items}


@api_route(sla_bp, "/report", role="supervisor", plugin=PLUGIN, query=ReportQuery)
def get_report(args: dict[str, Any]) -> dict[str, Any]:
    """Attainment per policy, team and agent for tickets created between `from` and `to`."""
    end = args.get("end") or clock.now()
    start = args.get("start") or end - timedelta(days=30)
    if start >= end:
        raise ValidationError("empty period", {"from": ["must be before `to`"]})
    return report.attainment(current_tenant(), start, end)


@api_route(sla_bp, "/deliveries", role="admin", plugin=PLUGIN, query=DeliveriesQuery)
def get_deliveries(args: dict[str, Any]) -> dict[str, Any]:
    """E-mails and webhooks sent, pending a retry, or failed (with the last error)."""
    page, per_page = page_args()
    query = Delivery.of(current_tenant()).order_by(Delivery.id.desc())
    if args.get("status"):
        query = query.where(Delivery.status == args["status"])
    items, total = page_of(query, page, per_page)
    return {
        "items": [
            {
                "id": d.id,
                "transport": d.transport,
                "kind": d.kind,
                "status": d.status,
                "attempts": d.attempts,
                "last_error": d.last_error,
                "next_attempt_at": iso(d.next_attempt_at),
                "created_at": iso(d.created_at),
                "delivered_at": iso(d.delivered_at),
            }
            for d in items
        ],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def _notification(row: Notification) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "subject": row.subject,
        "body": row.body,
        "ticket_id": row.ticket_id,
        "data": row.data,
        "created_at": iso(row.created_at),
        "read_at": iso(row.read_at),
    }


def _mine() -> Any:
    return Notification.of(current_tenant()).where(Notification.user == current_user())


@api_route(notifications_bp, "", role="agent", plugin=PLUGIN, query=NotificationsQuery)
def list_notifications(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's in-app notifications, newest first, with the unread count."""
    page, per_page = page_args()
    query = _mine().order_by(Notification.id.desc())
    if args["unread"]:
        query = query.where(Notification.read_at.is_null())
    items, total = page_of(query, page, per_page)
    unread = _mine().where(Notification.read_at.is_null()).count()
    return {
        "items": [_notification(n) for n in items],
        "total": total,
        "unread": unread,
        "page": page,
        "per_page": per_page,
    }


@api_route(notifications_bp, "/<int:notification_id>/read", ("POST",), role="agent", plugin=PLUGIN)
def read_notification(notification_id: int) -> dict[str, Any]:
    """Mark one of the caller's notifications read."""
    row = _mine().where(Notification.id == notification_id).first()
    if row is None:
        raise NotFound("no such notification")
    if row.read_at is None:
        row.read_at = clock.now()
        row.save()
    return _notification(row)


@api_route(notifications_bp, "/read", ("POST",), role="agent", plugin=PLUGIN, body=MarkReadBody)
def read_notifications(body: dict[str, Any]) -> dict[str, Any]:
    """Mark several (`ids`) or `all` of the caller's notifications read; returns how many changed."""
    query = Notification.update(read_at=clock.now()).where(
        (Notification.tenant == current_tenant())
        & (Notification.user == current_user())
        & Notification.read_at.is_null()
    )
    if not body["all"]:
        query = query.where(Notification.id.in_(body["ids"] or [0]))
    return {"marked": query.execute()}
