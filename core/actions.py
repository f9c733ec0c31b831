"""Ticket actions: the one way to do something to a ticket from outside the ticket service.

Plugins register `TicketAction`s (`gongdan_ticket_actions`); the core registers its own (set
status, priority, team, assignee, category, tags; add a note; send a reply; link a follow-up,
see `gongdan.core_actions`). The console, the API, macros, triggers and approvals all call
`run`, which loads the inputs through the action's schema (422 with the fields), checks the
actor's permission (403) and the action's availability for the ticket (409), runs it, and
records the run as a ticket event `action.run` with the actor, the inputs (secret fields
masked) and the outcome.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, missing
from marshmallow import fields as mfields
from marshmallow.validate import OneOf

from gongdan import hooks, permissions, tickets
from gongdan.actors import Actor
from gongdan.contributions import TicketAction
from gongdan.errors import Conflict, Forbidden, GongdanError, NotFound, PluginFailed
from gongdan.models import Tenant, Ticket
from gongdan.plugins import get_host
from gongdan.schemas import Secret
from gongdan.validation import load

EVENT = "action.run"
MASK = "***"


def registered() -> dict[str, tuple[str, TicketAction]]:
    """Every registered action by name, with the plugin that registered it (the first wins)."""
    found: dict[str, tuple[str, TicketAction]] = {}
    for plugin, action in get_host().registered("gongdan_ticket_actions"):
        found.setdefault(action.name, (plugin, action))
    return found


def label_of(name: str, language: str) -> str | None:
    """The label of the registered action `name` in `language` (`zh...` or English); None when
    no action has that name (how the timeline words the `action` of an `action.run` event)."""
    found = registered().get(name)
    return found[1].label(language) if found is not None else None


def offered(tenant: Tenant) -> list[TicketAction]:
    """The actions of the core and of the plugins enabled in `tenant`, in display order."""
    host = get_host()
    names = host.enabled(tenant) | host.always_on
    actions = [action for plugin, action in registered().values() if plugin in names]
    return sorted(actions, key=lambda a: (a.order, a.name))


def find(tenant: Tenant, name: str) -> TicketAction:
    """The action `name` as offered in `tenant`; NotFound otherwise."""
    for action in offered(tenant):
        if action.name == name:
            return action
    owner = registered().get(name)
    if owner is not None:
        raise NotFound(f"no such ticket action in this tenant: {name!r} is plugin {owner[0]}'s, not enabled here")
    raise NotFound(
        f"no such ticket action: no loaded plugin registers {name!r}"
        " (a plugin's gongdan_ticket_actions must be exported from its entry-point module)"
    )


def permitted(actor: Actor, action: TicketAction, ticket: Ticket) -> bool:
    """Whether `actor` may run `action` on `ticket` (a permission rule name or a role)."""
    if action.permission in permissions.RULES:
        return permissions.can(actor, action.permission, ticket)
    return actor.user is None or permissions.has_role(actor.user, action.permission)


def is_available(tenant: Tenant, action: TicketAction, ticket: Ticket, actor: Actor) -> bool:
    """Whether `action` applies to `ticket` now; a failing check counts as no (and is recorded)."""
    try:
        return bool(action.available(tenant, ticket, actor.user))
    except Exception as exc:  # noqa: BLE001 - a plugin's bug must not break the ticket page
        get_host().record_failure(_plugin_of(action), tenant, "gongdan_ticket_actions", exc)
        return False


def available(tenant: Tenant, ticket: Ticket, actor: Actor) -> list[TicketAction]:
    """The actions `actor` may run on `ticket` now."""
    return [a for a in offered(tenant) if permitted(actor, a, ticket) and is_available(tenant, a, ticket, actor)]


def masked(schema: Schema, inputs: dict[str, Any]) -> dict[str, Any]:
    """`inputs` with the values of secret fields (`Secret` or `metadata={"secret": True}`) masked."""
    out = {}
    for key, value in inputs.items():
        field = schema.fields.get(key)
        secret = field is not None and (isinstance(field, Secret) or field.metadata.get("secret"))
        out[key] = MASK if secret and value not in (None, "") else value
    return out


def run(
    tenant: Tenant, ticket: Ticket, name: str, inputs: Any, actor: Actor, *, source: str = "api", gate: bool = True
) -> dict[str, Any]:
    """Run action `name` on `ticket` with `inputs`; returns `{"action", "outcome", "result"}`.

    Raises ValidationError (bad inputs, not recorded), Denied (403), Conflict (409: not
    available now), the `GongdanError` the action raises, or `PluginFailed` (502) for anything
    else it raises (recorded as the plugin's failure); every attempt with valid inputs is an
    `action.run` event carrying `source` (`console`, `api`, `trigger:7`, ...). Unless `gate`
    is False (an approved run), the tenant's plugins may hold it (`gongdan_action_gate`): the
    outcome is then `held`, with the plugin's `reason` and `result` data.
    """
    action = find(tenant, name)
    schema = action.schema()
    loaded = load(schema, inputs if inputs is not None else {})
    data: dict[str, Any] = {"action": name, "inputs": masked(schema, loaded), "source": source}
    if not permitted(actor, action, ticket):
        _record(tenant, ticket, actor, data, "forbidden")
        raise Forbidden(f"running {name} needs the {action.permission} permission")
    if not is_available(tenant, action, ticket, actor):
        _record(tenant, ticket, actor, data, "unavailable")
        raise Conflict(f"{name} is not available for this ticket now")
    held = hooks.action_gate(tenant, ticket, action, loaded, actor) if gate else None
    if held is not None:
        _record(tenant, ticket, actor, data, "held", reason=held.reason, result=dict(held.data))
        return {"action": name, "outcome": "held", "reason": held.reason, "result": dict(held.data)}
    try:
        result = action.run(tenant, ticket, loaded, actor)
    except GongdanError as exc:
        _record(tenant, ticket, actor, data, "failed", error=exc.message)
        raise
    except Exception as exc:  # a plugin's bug: recorded as its failure, answered as a 502, never a 500
        plugin = _plugin_of(action)
        get_host().record_failure(plugin, tenant, f"action {name}", exc)
        _record(tenant, ticket, actor, data, "failed", error=f"the {plugin} plugin failed")
        raise PluginFailed(f"the {plugin} plugin failed while running {name}; the failure is recorded") from exc
    _record(tenant, ticket, actor, data, "ok", result=result)
    return {"action": name, "outcome": "ok", "result": result}


def _record(tenant: Tenant, ticket: Ticket, actor: Actor, data: dict[str, Any], outcome: str, **extra: Any) -> None:
    tickets.record_event(tenant, ticket, EVENT, {**data, "outcome": outcome, **extra}, actor)


def _plugin_of(action: TicketAction) -> str:
    return next((plugin for plugin, a in registered().values() if a is action), "core")


_KINDS = (
    (mfields.Boolean, "boolean"),
    (mfields.Integer, "integer"),
    (mfields.Number, "number"),
    (mfields.List, "list"),
    (mfields.DateTime, "datetime"),
)


def inputs_of(tenant: Tenant, ticket: Ticket, action: TicketAction) -> list[dict[str, Any]]:
    """The action's inputs as field descriptions the console and API clients build forms from.

    Each: `name`, `kind` (`string text boolean integer number list datetime`), `required`,
    `allow_none`, `label_zh`, `label_en`, `default`, and `choices` (`[[value, label], ...]`,
    from a `OneOf` validator or the action's `choices`).
    """
    extra = action.choices(tenant, ticket) if action.choices is not None else {}
    out = []
    for name, field in action.schema().fields.items():
        if field.dump_only:
            continue
        kind = next((label for cls, label in _KINDS if isinstance(field, cls)), "string")
        if kind == "string" and field.metadata.get("widget") == "textarea":
            kind = "text"
        choices = [list(pair) for pair in extra.get(name, ())]
        one_of = next((v for v in _validators(field) if isinstance(v, OneOf)), None)
        if not choices and one_of is not None:
            choices = [[value, str(value)] for value in one_of.choices]
        default = field.load_default
        out.append(
            {
                "name": name,
                "kind": kind,
                "required": field.required,
                "allow_none": field.allow_none,
                "label_zh": field.metadata.get("label_zh", name),
                "label_en": field.metadata.get("label_en", name),
                "default": None if callable(default) or default is missing else default,
                "choices": choices,
            }
        )
    return out


def _validators(field: mfields.Field) -> list[Any]:
    inner = getattr(field, "inner", None)
    return list(field.validators) + (list(inner.validators) if inner is not None else [])


def describe(tenant: Tenant, ticket: Ticket, action: TicketAction) -> dict[str, Any]:
    """The action for the API: name, labels, permission, confirmation and its inputs."""
    return {
        "name": action.name,
        "label_zh": action.label_zh,
        "label_en": action.label_en,
        "needs_confirmation": action.needs_confirmation,
        "permission": action.permission,
        "inputs": inputs_of(tenant, ticket, action),
    }


__all__ = [
    "EVENT",
    "available",
    "describe",
    "find",
    "inputs_of",
    "is_available",
    "label_of",
    "masked",
    "offered",
    "permitted",
    "registered",
    "run",
]
