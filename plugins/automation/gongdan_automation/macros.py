"""Macros: a reply template (zh and en) with placeholders, and actions, applied in one click.

Placeholders: `{customer_name}`, `{ticket_number}`, `{order_number}` (the `order_sn` or
`order_number` of any plugin's block of the ticket, e.g. Pinduoduo's), `{agent_name}`. An
unknown placeholder stays as written. Applying runs the macro's actions (source `macro:ID`),
counts the use and returns the text for the reply editor, where the agent edits it before sending.
"""

from __future__ import annotations

from typing import Any

from gongdan import actions, hooks
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import Forbidden, NotFound, ValidationError
from gongdan.ids import parse_id
from gongdan.models import Tenant, Ticket, User
from gongdan.permissions import has_role

from .models import Macro
from .rules import check_actions

PLACEHOLDERS = ("customer_name", "ticket_number", "order_number", "agent_name")
ORDER_KEYS = ("order_sn", "order_number")


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def values(tenant: Tenant, ticket: Ticket, user: User | None) -> dict[str, str]:
    """The placeholders' values for `ticket`, written by `user`."""
    order = ""
    for block in hooks.ticket_blocks(tenant, [ticket]).get(ticket.id, {}).values():
        if isinstance(block, dict):
            order = next((str(block[k]) for k in ORDER_KEYS if block.get(k)), order)
    return {
        "customer_name": (ticket.customer.name if ticket.customer_id else "") or "",
        "ticket_number": str(ticket.number),
        "order_number": order,
        "agent_name": (user.name or user.email) if user is not None else "",
    }


def render(template: str, filled: dict[str, str]) -> str:
    """`template` with its placeholders filled (unknown ones kept as written)."""
    try:
        return template.format_map(_Keep(filled))
    except (ValueError, IndexError):  # a stray brace: show the template as written
        return template


def visible(tenant: Tenant, user: User) -> list[Macro]:
    """The shared macros and `user`'s own, active ones, in their order (position, then name)."""
    query = Macro.of(tenant).where((Macro.active == True) & (Macro.owner.is_null() | (Macro.owner == user.id)))  # noqa: E712
    return list(query.order_by(Macro.position, Macro.name, Macro.id))


def get(tenant: Tenant, macro_id: Any, user: User) -> Macro:
    """A macro `user` may use; NotFound otherwise (another's personal macro included)."""
    key = parse_id(macro_id)
    found = Macro.get_or_none((Macro.id == key) & (Macro.tenant == tenant)) if key else None
    if found is None or (found.owner_id is not None and found.owner_id != user.id):
        raise NotFound("no such macro")
    return found


def save(tenant: Tenant, user: User, data: dict[str, Any], macro: Macro | None = None) -> Macro:
    """Create or change a macro; shared ones (`shared: true`) need the supervisor role."""
    shared = data.get("shared", macro.owner_id is None if macro else False)
    if shared and not has_role(user, "supervisor"):
        raise Forbidden("shared macros need the supervisor role")
    if macro is not None and macro.owner_id is None and not has_role(user, "supervisor"):
        raise Forbidden("shared macros need the supervisor role")
    name = str(data.get("name", macro.name if macro else "")).strip()
    if not name:
        raise ValidationError("invalid macro", {"name": ["must not be blank"]})
    if len(name) > 200:
        raise ValidationError("invalid macro", {"name": ["Longer than maximum length 200."]})
    checked = check_actions(tenant, data.get("actions", macro.actions if macro else []))
    fields = {
        "name": name,
        "owner": None if shared else user.id,
        "body_zh": str(data.get("body_zh", macro.body_zh if macro else "")),
        "body_en": str(data.get("body_en", macro.body_en if macro else "")),
        "actions": checked,
        "active": bool(data.get("active", macro.active if macro else True)),
    }
    if not fields["body_zh"] and not fields["body_en"] and not checked:
        raise ValidationError("invalid macro", {"body_zh": ["give a reply text or an action"]})
    with write_transaction():
        if macro is None:
            return Macro.create(tenant=tenant, **fields)
        for key, value in fields.items():
            setattr(macro, key, value)
        macro.save()
    return macro


def apply(tenant: Tenant, macro: Macro, ticket: Ticket, user: User, language: str) -> dict[str, Any]:
    """Run the macro's actions, count the use, and return the reply text in `language` (zh/en)."""
    actor = Actor.of(user)
    outcomes = [
        actions.run(tenant, ticket, item["action"], item["inputs"], actor, source=f"macro:{macro.id}")
        for item in macro.actions
    ]
    Macro.update(usage_count=Macro.usage_count + 1).where(Macro.id == macro.id).execute()
    template = (macro.body_zh or macro.body_en) if language.startswith("zh") else (macro.body_en or macro.body_zh)
    fresh = Ticket.get_by_id(ticket.id)
    return {"body": render(template, values(tenant, fresh, user)), "actions": outcomes}


def as_dict(macro: Macro) -> dict[str, Any]:
    """The macro for the API."""
    return {
        "id": macro.id,
        "name": macro.name,
        "shared": macro.owner_id is None,
        "owner_id": macro.owner_id,
        "body_zh": macro.body_zh,
        "body_en": macro.body_en,
        "actions": macro.actions,
        "usage_count": macro.usage_count,
        "active": macro.active,
        "position": macro.position,
    }
