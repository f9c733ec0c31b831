"""REST routes under `/api/v1/reports/`: the reports, their exports, ticket-list exports, promotions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from marshmallow import Schema, fields, validate, validates
from marshmallow import ValidationError as Invalid

from gongdan import outbound
from gongdan.api.common import api_route, current_actor, current_tenant
from gongdan.ids import Id

from . import exports, scheduled, service
from .periods import period

PLUGIN = "analytics"
reports_bp = Blueprint("analytics_api", __name__, url_prefix="/api/v1/reports")


class TicketExportQuery(service.ExportQuery):
    """Tickets created in `from`–`to` (local days) matching the filters, with the chosen `columns`."""

    columns = fields.String(
        load_default=",".join(exports.DEFAULT_TICKET_COLUMNS),
        metadata={"description": "comma-separated: " + ", ".join(exports.TICKET_COLUMNS)},
    )
    unmasked = fields.Boolean(
        load_default=False, metadata={"description": "contact details in clear (needs customer.reveal)"}
    )
    channel = fields.String(validate=validate.Length(max=32))
    status = fields.String(validate=validate.Length(max=16))
    priority = fields.String(validate=validate.Length(max=16))
    team = Id()
    assignee = Id()
    category = fields.String(validate=validate.Length(max=320))
    tier = fields.String(validate=validate.Length(max=32))

    @validates("columns")
    def _known(self, value: str, **_: Any) -> None:
        unknown = [c for c in value.split(",") if c.strip() not in exports.TICKET_COLUMNS]
        if unknown or not value.strip():
            raise Invalid(f"unknown columns: {', '.join(unknown)}; choose from {', '.join(exports.TICKET_COLUMNS)}")


def _route(name: str, query: type[Schema], summary: str) -> None:
    def view(args: dict[str, Any]) -> dict[str, Any]:
        return service.run(current_tenant(), name, args)

    view.__name__ = f"report_{name}"
    view.__doc__ = summary
    api_route(
        reports_bp, f"/{name}", role="supervisor", plugin=PLUGIN, query=query, summary=summary, tags=("reports",)
    )(view)


_route(
    "summary", service.ReportQuery, "Figures per value of `group_by` for the period, with the previous period's volume"
)
_route("daily", service.ReportQuery, "The figures of each day of the period")
_route("top_problems", service.ReportQuery, "The problems with most new tickets, with their trend")
_route("backlog", service.ReportQuery, "Open tickets now and their age per value of `group_by`")
_route("heatmap", service.ReportQuery, "Arrivals per local weekday and hour")
_route("forecast", service.ForecastQuery, "Expected arrivals per day and hour with 80 % intervals")
_route("staffing", service.StaffingQuery, "Agents needed per hour (Erlang C) for the day's forecast")


def _export_route(name: str) -> None:
    def view(args: dict[str, Any]) -> Any:
        return exports.export_report(current_tenant(), current_actor(), name, args, request.remote_addr)

    view.__name__ = f"export_{name}"
    view.__doc__ = f"The {name} report as CSV or Excel (streamed; audited as export.created)"
    api_route(
        reports_bp,
        f"/{name}/export",
        role="supervisor",
        plugin=PLUGIN,
        query=service.ExportQuery,
        summary=view.__doc__,
        tags=("reports",),
        produces=exports.PRODUCES,
    )(view)


for _name in service.TABLE_REPORTS:
    _export_route(_name)


@api_route(
    reports_bp,
    "/tickets/export",
    role="supervisor",
    plugin=PLUGIN,
    query=TicketExportQuery,
    tags=("reports",),
    produces=exports.PRODUCES,
)
def export_tickets(args: dict[str, Any]) -> Any:
    """Tickets as CSV or Excel with the chosen columns; contact details masked unless the caller may
    reveal them and asks `unmasked=true` (streamed; audited as export.created)."""
    tenant = current_tenant()
    columns = [c.strip() for c in args["columns"].split(",")]
    filters = {k: args.get(k) for k in ("channel", "status", "priority", "team", "assignee", "category", "tier")}
    span = period(tenant, args.get("start"), args.get("end"))
    return exports.export_tickets(
        tenant, current_actor(), columns, {**filters, "period": span}, args, request.remote_addr
    )


@api_route(reports_bp, "/promotions", role="supervisor", plugin=PLUGIN, tags=("reports",))
def get_promotions() -> dict[str, Any]:
    """The tenant's promotions (双11, 618, 年货节 ...) the forecast allows for."""
    return {"items": service.promotions(current_tenant())}


@api_route(
    reports_bp, "/promotions", ("PUT",), role="admin", plugin=PLUGIN, body=service.PromotionsBody, tags=("reports",)
)
def put_promotions(body: dict[str, Any]) -> dict[str, Any]:
    """Replace the tenant's promotions (audited as analytics.promotions_changed)."""
    return {"items": service.save_promotions(current_tenant(), body["items"], current_actor())}


# --- scheduled reports ------------------------------------------------------------------------

SCHEDULES = "/subscriptions"


@api_route(reports_bp, SCHEDULES, role="supervisor", plugin=PLUGIN, tags=("reports",))
def list_subscriptions() -> dict[str, Any]:
    """The tenant's scheduled reports (times in the tenant's zone)."""
    tenant = current_tenant()
    rows = scheduled.listing(tenant, current_actor())
    return {"items": [scheduled.as_dict(row, tenant) for row in rows]}


@api_route(
    reports_bp,
    SCHEDULES,
    ("POST",),
    role="supervisor",
    plugin=PLUGIN,
    body=scheduled.SubscriptionSchema,
    status=201,
    tags=("reports",),
)
def create_subscription(body: dict[str, Any]) -> dict[str, Any]:
    """Schedule a report by e-mail, daily or weekly; recipients must be staff unless the caller is an admin."""
    tenant = current_tenant()
    return scheduled.as_dict(scheduled.save(tenant, body, current_actor()), tenant)


@api_route(reports_bp, f"{SCHEDULES}/<subscription_id>", role="supervisor", plugin=PLUGIN, tags=("reports",))
def get_subscription(subscription_id: str) -> dict[str, Any]:
    """One scheduled report."""
    tenant = current_tenant()
    return scheduled.as_dict(scheduled.get(tenant, subscription_id, current_actor()), tenant)


@api_route(
    reports_bp,
    f"{SCHEDULES}/<subscription_id>",
    ("PUT",),
    role="supervisor",
    plugin=PLUGIN,
    body=scheduled.SubscriptionSchema,
    tags=("reports",),
)
def put_subscription(subscription_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Replace a scheduled report (its next run is computed again)."""
    tenant, actor = current_tenant(), current_actor()
    row = scheduled.get(tenant, subscription_id, actor)
    return scheduled.as_dict(scheduled.save(tenant, body, actor, row), tenant)


@api_route(
    reports_bp, f"{SCHEDULES}/<subscription_id>", ("DELETE",), role="supervisor", plugin=PLUGIN, tags=("reports",)
)
def delete_subscription(subscription_id: str) -> tuple[dict[str, Any], int]:
    """Remove a scheduled report."""
    tenant, actor = current_tenant(), current_actor()
    scheduled.delete(tenant, scheduled.get(tenant, subscription_id, actor), actor)
    return {}, 200


@api_route(
    reports_bp,
    f"{SCHEDULES}/<subscription_id>/send",
    ("POST",),
    role="supervisor",
    plugin=PLUGIN,
    tags=("reports",),
    errors=(502,),
)
def send_subscription(subscription_id: str) -> tuple[dict[str, Any], int]:
    """Send a scheduled report now (its schedule stays); 502 with the reason when it could not be sent."""
    tenant, actor = current_tenant(), current_actor()
    row = scheduled.get(tenant, subscription_id, actor)
    reason = scheduled.send_now(tenant, row, actor)
    if reason is None:
        return {"sent": True, "recipients": list(row.recipients)}, 200
    return {"sent": False, "error": {"code": "not_sent", "message": scheduled.localized(reason, _language())}}, 502


def _language() -> str:
    return outbound.request_language()
