"""REST routes under `/api/v1/pdd/`: shops and their sync, quarantine, and actions from a ticket."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gongdan import clock, tickets
from gongdan.api.common import api_route, current_actor, current_tenant, page_args, page_of
from gongdan.errors import Conflict, NotFound
from gongdan.errors import ValidationError as GongdanValidationError
from gongdan.ids import Id, parse_id
from gongdan.representation import iso
from gongdan.schemas import LenientSchema
from gongdan_pdd_connector import actions, shops, sync
from gongdan_pdd_connector.client import GatewayError, parse_time
from gongdan_pdd_connector.models import PddQuarantine, PddShop, PddSyncRun
from gongdan_pdd_connector.store import PLUGIN

bp = Blueprint("pdd_connector", __name__, url_prefix="/api/v1/pdd")
RELATIVE = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_since(text: str) -> datetime:
    """`7d`, `12h`, `90m` (ago) or an ISO 8601 time with offset → an aware datetime."""
    match = RELATIVE.match(text or "")
    if match:
        return clock.now() - timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    try:
        parsed = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ValueError("use 7d, 12h, 90m or an ISO 8601 time such as 2026-11-01T00:00:00+08:00") from None
    return parse_time(text) if parsed.tzinfo is None else parsed


class SinceField(fields.Field):
    """A backfill start: relative (`7d`) or an ISO 8601 time."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        try:
            return parse_since(str(value))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class ShopInSchema(Schema):
    """A shop to connect (or re-authorise: the same `owner_id` updates its credentials).

    Give its tokens (`owner_id`, `access_token`, `refresh_token`), or the authorisation `code`
    the shop's grant redirected with: it is exchanged for them. The gateway and message URLs
    are checked by `gongdan.outbound` (422); a shop another tenant connected is refused (409).
    """

    owner_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    code = fields.String(load_default=None, validate=validate.Length(min=1, max=500), load_only=True)
    owner_name = fields.String(load_default="", validate=validate.Length(max=200))
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    client_secret = fields.String(required=True, validate=validate.Length(min=1, max=500), load_only=True)
    access_token = fields.String(load_default=None, validate=validate.Length(min=1, max=500), load_only=True)
    refresh_token = fields.String(load_default="", validate=validate.Length(max=500), load_only=True)
    access_token_expires_at = fields.AwareDateTime(load_default=None, allow_none=True)
    gateway_url = fields.Url(load_default=None, allow_none=True, require_tld=False, schemes={"http", "https"})
    message_url = fields.Url(load_default=None, allow_none=True, require_tld=False, schemes={"ws", "wss"})

    @validates_schema(skip_on_field_errors=False)
    def _tokens_or_code(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("code"):
            return
        missing = {
            key: ["required unless a code is given"] for key in ("owner_id", "access_token") if not data.get(key)
        }
        if missing:
            raise ValidationError(missing)


class SyncInSchema(Schema):
    """Start a sync now; with `since`, a backfill from then (at most 90 days back)."""

    since = SinceField(load_default=None, allow_none=True, metadata={"example": "2026-11-01T00:00:00+08:00"})


class QuarantineQuerySchema(LenientSchema):
    """Filters of the quarantine list."""

    status = fields.String(load_default="open", validate=validate.OneOf(["open", "resolved", "all"]))
    shop = Id(load_default=None)


class NoteSchema(Schema):
    """An optional note sent with an agreement."""

    note = fields.String(load_default="", validate=validate.Length(max=200))


class ReturnSchema(NoteSchema):
    """Agree to a return: to which of the shop's return addresses."""

    address_id = fields.Integer(required=True)


class OrderNoteSchema(Schema):
    """The merchant's note on the order, with an optional flag colour (1–5) and its name."""

    note = fields.String(required=True, validate=validate.Length(min=1, max=500))
    tag = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=5))
    tag_name = fields.String(load_default="", validate=validate.Length(max=20))


# --- shops --------------------------------------------------------------------------------


@api_route(bp, "/shops", ["POST"], role="admin", plugin=PLUGIN, body=ShopInSchema, status=201)
def connect_shop(body: dict[str, Any]) -> Any:
    """Connect a Pinduoduo shop (secrets are stored encrypted and never returned)."""
    try:
        shop, created = shops.connect(current_tenant(), body, current_actor())
    except GatewayError as error:
        raise GongdanValidationError(f"the gateway refused: {error}", {"code": [str(error)]}) from None
    return shops.as_dict(shop), 201 if created else 200


@api_route(bp, "/shops", role="supervisor", plugin=PLUGIN)
def list_shops() -> Any:
    """The tenant's shops with their authorisation and sync state."""
    rows = PddShop.of(current_tenant()).order_by(PddShop.id)
    return {"items": [shops.as_dict(shop) for shop in rows]}


@api_route(bp, "/shops/<shop_id>", role="supervisor", plugin=PLUGIN)
def get_shop(shop_id: str) -> Any:
    """One shop with its sync state."""
    return shops.as_dict(shops.get(current_tenant(), shop_id))


@api_route(bp, "/shops/<shop_id>/runs", role="supervisor", plugin=PLUGIN)
def list_runs(shop_id: str) -> Any:
    """The shop's sync runs, newest first."""
    shop = shops.get(current_tenant(), shop_id)
    page, per_page = page_args()
    query = PddSyncRun.select().where(PddSyncRun.shop == shop).order_by(PddSyncRun.id.desc())
    items, total = page_of(query, page, per_page)
    return {"items": [shops.run_dict(run) for run in items], "total": total, "page": page, "per_page": per_page}


@api_route(bp, "/shops/<shop_id>/sync", ["POST"], role="admin", plugin=PLUGIN, body=SyncInSchema, status=202)
def start_sync(shop_id: str, body: dict[str, Any]) -> Any:
    """Start a sync of the shop in the background; with `since`, a backfill from then."""
    shop = shops.get(current_tenant(), shop_id)
    if not sync.start_in_background(shop.id, body["since"]):
        raise Conflict("this shop is already syncing")
    return {"shop": shops.as_dict(shop), "since": body["since"].isoformat() if body["since"] else None}, 202


# --- quarantine ---------------------------------------------------------------------------


def quarantine_dict(entry: PddQuarantine) -> dict[str, Any]:
    """A quarantined record as the API shows it."""
    return {
        "id": entry.id,
        "shop_id": entry.shop_id,
        "after_sales_id": entry.after_sales_id or None,
        "order_sn": entry.order_sn or None,
        "reason": entry.reason,
        "error_code": entry.error_code,
        "status": entry.status,
        "attempts": entry.attempts,
        "record": entry.record,
        "created_at": iso(entry.created_at),
        "updated_at": iso(entry.updated_at),
        "resolved_at": iso(entry.resolved_at),
    }


@api_route(bp, "/quarantine", role="supervisor", plugin=PLUGIN, query=QuarantineQuerySchema)
def list_quarantine(args: dict[str, Any]) -> Any:
    """Records that could not be stored, with the reason (`status=open|resolved|all`)."""
    query = PddQuarantine.of(current_tenant()).order_by(PddQuarantine.id.desc())
    if args["status"] != "all":
        query = query.where(PddQuarantine.status == args["status"])
    if args["shop"] is not None:
        query = query.where(PddQuarantine.shop == args["shop"])
    page, per_page = page_args()
    items, total = page_of(query, page, per_page)
    return {"items": [quarantine_dict(e) for e in items], "total": total, "page": page, "per_page": per_page}


def _entry(entry_id: str) -> PddQuarantine:
    entry = None
    if (number := parse_id(entry_id)) is not None:
        entry = PddQuarantine.of(current_tenant()).where(PddQuarantine.id == number).first()
    if entry is None:
        raise NotFound("no such quarantined record")
    return entry


@api_route(bp, "/quarantine/<entry_id>/retry", ["POST"], role="supervisor", plugin=PLUGIN)
def retry_quarantine(entry_id: str) -> Any:
    """Try a quarantined record again (after a fix); answers with its new state."""
    entry = _entry(entry_id)
    try:
        sync.retry_quarantined(entry)
    except GatewayError as error:
        raise Conflict(f"the gateway is unavailable, try again later: {error}") from None
    return quarantine_dict(PddQuarantine.get_by_id(entry.id))


# --- the record behind a ticket, and actions ----------------------------------------------


def refund_dict(tenant: Any, ticket: Any) -> dict[str, Any]:
    """The Pinduoduo side of a ticket: the record as last stored, and its shop."""
    refund = actions.refund_of(tenant, ticket)
    return {
        "ticket_id": ticket.id,
        "shop": {"id": refund.shop_id, "owner_id": refund.shop.owner_id, "owner_name": refund.shop.owner_name},
        "after_sales_id": refund.after_sales_id,
        "order_sn": refund.order_sn,
        "status": refund.status,
        "kind": refund.kind,
        "updated_time": iso(refund.updated_time),
        "expire_time": iso(refund.expire_time),
        "record": refund.record,
        "stored_at": iso(refund.stored_at),
    }


def _ticket(ticket_id: str) -> Any:
    return tickets.get(current_tenant(), ticket_id, current_actor())


@api_route(bp, "/tickets/<ticket_id>", role="agent", plugin=PLUGIN)
def ticket_refund(ticket_id: str) -> Any:
    """The after-sales record behind a ticket."""
    return refund_dict(current_tenant(), _ticket(ticket_id))


def _gateway(call: Any) -> Any:
    try:
        return call()
    except GatewayError as error:
        raise Conflict(f"the gateway refused: {error}") from None


@api_route(bp, "/tickets/<ticket_id>/order", role="agent", plugin=PLUGIN)
def ticket_order(ticket_id: str) -> Any:
    """The order behind a ticket, with masked receiver fields only."""
    ticket = _ticket(ticket_id)
    return _gateway(lambda: actions.order(current_tenant(), ticket))


@api_route(bp, "/tickets/<ticket_id>/addresses", role="agent", plugin=PLUGIN)
def ticket_addresses(ticket_id: str) -> Any:
    """The shop's return addresses (for agreeing to a return)."""
    ticket = _ticket(ticket_id)
    return {"items": _gateway(lambda: actions.addresses(current_tenant(), ticket))}


@api_route(bp, "/tickets/<ticket_id>/agree-refund", ["POST"], role="agent", plugin=PLUGIN, body=NoteSchema)
def agree_refund(ticket_id: str, body: dict[str, Any]) -> Any:
    """Agree to the buyer's refund on the platform; recorded as a ticket event."""
    ticket = _ticket(ticket_id)
    result = actions.agree_refund(current_tenant(), ticket, current_actor(), body["note"])
    return {"result": result, "refund": refund_dict(current_tenant(), ticket)}


@api_route(bp, "/tickets/<ticket_id>/agree-return", ["POST"], role="agent", plugin=PLUGIN, body=ReturnSchema)
def agree_return(ticket_id: str, body: dict[str, Any]) -> Any:
    """Agree to a return to one of the shop's return addresses; recorded as a ticket event."""
    ticket = _ticket(ticket_id)
    result = _gateway(
        lambda: actions.agree_return(current_tenant(), ticket, current_actor(), body["address_id"], body["note"])
    )
    return {"result": result, "refund": refund_dict(current_tenant(), ticket)}


@api_route(bp, "/tickets/<ticket_id>/order-note", ["POST"], role="agent", plugin=PLUGIN, body=OrderNoteSchema)
def order_note(ticket_id: str, body: dict[str, Any]) -> Any:
    """Write the merchant's note on the ticket's order; recorded as a ticket event."""
    ticket = _ticket(ticket_id)
    actions.order_note(current_tenant(), ticket, current_actor(), body["note"], body["tag"], body["tag_name"])
    return {"ok": True, "order_sn": actions.refund_of(current_tenant(), ticket).order_sn}
