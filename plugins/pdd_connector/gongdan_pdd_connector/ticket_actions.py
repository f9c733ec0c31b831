"""The connector's agreements and order note as ticket actions (`gongdan_ticket_actions`).

The console's ticket page, the API (`/api/v1/tickets/ID/actions/NAME`), macros, triggers and
approvals run them through `gongdan.actions.run`; each calls the same function the connector's
own panel and routes call (`gongdan_pdd_connector.actions`).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from gongdan.actors import Actor
from gongdan.contributions import TicketAction
from gongdan.models import Tenant, Ticket
from gongdan_pdd_connector import actions, protocol
from gongdan_pdd_connector.models import PddRefund


def _note(required: bool = False) -> fields.String:
    size = validate.Length(min=1 if required else 0, max=500 if required else 200)
    meta = {"label_zh": "说明", "label_en": "Note", "widget": "textarea"}
    return (
        fields.String(required=True, validate=size, metadata=meta)
        if required
        else fields.String(load_default="", validate=size, metadata=meta)
    )


class RefundInputs(Schema):
    """Inputs of `pdd_connector.agree_refund`."""

    note = _note()


class ReturnInputs(Schema):
    """Inputs of `pdd_connector.agree_return`: one of the shop's return addresses."""

    address_id = fields.Integer(required=True, metadata={"label_zh": "退货地址编号", "label_en": "Return address id"})
    note = _note()


class OrderNoteInputs(Schema):
    """Inputs of `pdd_connector.order_note`."""

    note = _note(required=True)
    tag = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=5),
        metadata={"label_zh": "旗帜颜色 (1–5)", "label_en": "Flag colour (1–5)"},
    )


def _from_pinduoduo(tenant: Tenant, ticket: Ticket, user: Any) -> bool:
    return ticket.external_system == "pdd" and ticket.status != "closed"


def _has_record(tenant: Tenant, ticket: Ticket, user: Any) -> bool:
    return (
        _from_pinduoduo(tenant, ticket, user)
        and PddRefund.select().where((PddRefund.tenant == tenant) & (PddRefund.ticket == ticket)).exists()
    )


def _status_in(allowed: frozenset[int]) -> Any:
    """Availability: the ticket's after-sales record is in a status the platform accepts the action in."""

    def available(tenant: Tenant, ticket: Ticket, user: Any) -> bool:
        if not _from_pinduoduo(tenant, ticket, user):
            return False
        row = PddRefund.get_or_none((PddRefund.tenant == tenant) & (PddRefund.ticket == ticket))
        return row is not None and row.status in allowed

    return available


def _agree_refund(tenant: Tenant, ticket: Ticket, inputs: dict[str, Any], actor: Actor) -> dict[str, Any]:
    return actions.agree_refund(tenant, ticket, actor, inputs["note"])


def _agree_return(tenant: Tenant, ticket: Ticket, inputs: dict[str, Any], actor: Actor) -> dict[str, Any]:
    return actions.agree_return(tenant, ticket, actor, inputs["address_id"], inputs["note"])


def _order_note(tenant: Tenant, ticket: Ticket, inputs: dict[str, Any], actor: Actor) -> None:
    actions.order_note(tenant, ticket, actor, inputs["note"], inputs["tag"])


def ticket_actions() -> list[TicketAction]:
    """Agree to the refund, agree to the return, note the order."""
    return [
        TicketAction(
            "pdd_connector.agree_refund",
            "同意退款（拼多多）",
            "Agree to the refund (Pinduoduo)",
            RefundInputs,
            _agree_refund,
            _status_in(protocol.REFUND_AGREEABLE),
            needs_confirmation=True,
            order=50,
        ),
        TicketAction(
            "pdd_connector.agree_return",
            "同意退货（拼多多）",
            "Agree to the return (Pinduoduo)",
            ReturnInputs,
            _agree_return,
            _status_in(protocol.RETURN_AGREEABLE),
            needs_confirmation=True,
            order=51,
        ),
        TicketAction(
            "pdd_connector.order_note",
            "订单备注（拼多多）",
            "Note on the order (Pinduoduo)",
            OrderNoteInputs,
            _order_note,
            _has_record,
            order=52,
        ),
    ]
