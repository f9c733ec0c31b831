"""Ticket action routes: which actions a ticket offers the caller, and running one.

`GET /api/v1/tickets/ID/actions` lists them with their inputs; `POST
/api/v1/tickets/ID/actions/NAME` runs one through `gongdan.actions.run` (422 per field, 403
by permission, 409 when not available for the ticket now).
"""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields

from gongdan import actions
from gongdan import tickets as ticket_service
from gongdan.api.blueprint import api
from gongdan.api.common import api_route, current_actor, current_tenant

TAGS = ("tickets",)


class ActionInputSchema(Schema):
    """One input of an action: what a form needs to ask for it."""

    name = fields.String()
    kind = fields.String(metadata={"description": "string, text, boolean, integer, number, list or datetime"})
    required = fields.Boolean()
    allow_none = fields.Boolean()
    label_zh = fields.String()
    label_en = fields.String()
    default = fields.Raw(allow_none=True)
    choices = fields.List(fields.List(fields.Raw()), metadata={"description": "[[value, label], ...]"})


class ActionSchema(Schema):
    """An action the caller may run on the ticket now."""

    name = fields.String()
    label_zh = fields.String()
    label_en = fields.String()
    needs_confirmation = fields.Boolean()
    permission = fields.String()
    inputs = fields.List(fields.Nested(ActionInputSchema))


class ActionListSchema(Schema):
    """The ticket's actions."""

    items = fields.List(fields.Nested(ActionSchema))


class ActionInputsBodySchema(Schema):
    """The action's inputs, as its `inputs` describe them (validated by the action's own schema)."""

    class Meta:
        unknown = INCLUDE


class ActionRunSchema(Schema):
    """The outcome of a run."""

    action = fields.String()
    outcome = fields.String(metadata={"description": "ok, or held (202) when a plugin holds it for approval"})
    reason = fields.String(metadata={"description": "why it is held"})
    result = fields.Raw(allow_none=True)


@api_route(api, "/tickets/<int:ticket_id>/actions", ["GET"], response=ActionListSchema, tags=TAGS)
def list_actions(ticket_id: int) -> dict[str, Any]:
    """The actions the caller may run on the ticket now (core and enabled plugins), with their inputs."""
    tenant, actor = current_tenant(), current_actor()
    ticket = ticket_service.get(tenant, ticket_id, actor)
    return {"items": [actions.describe(tenant, ticket, a) for a in actions.available(tenant, ticket, actor)]}


@api_route(
    api,
    "/tickets/<int:ticket_id>/actions/<string(maxlength=100):name>",
    ["POST"],
    body=ActionInputsBodySchema,
    response=ActionRunSchema,
    errors=(502,),
    tags=TAGS,
)
def run_action(ticket_id: int, name: str, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Run action `name` with the body as its inputs; recorded on the ticket as an `action.run` event.

    422 names each bad input; 403 when the caller's role or the action's permission rule
    forbids it; 409 when the action does not apply to the ticket now (e.g. it is closed);
    202 with outcome `held` when a plugin holds it (e.g. for a supervisor's approval); 502
    `plugin_failed` when the action's plugin raises unexpectedly (recorded as its failure).
    """
    tenant, actor = current_tenant(), current_actor()
    ticket = ticket_service.get(tenant, ticket_id, actor)
    outcome = actions.run(tenant, ticket, name, body, actor, source="api")
    return outcome, 202 if outcome["outcome"] == "held" else 200
