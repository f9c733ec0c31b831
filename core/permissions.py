"""Who may do what: the one place the services ask, so the API and the console cannot drift.

The services (tickets, accounts, categories, the plugin host, ...) call `require(actor,
action, obj)` before they change anything; it raises `Denied` (a `gongdan.errors.Forbidden`)
which the API turns into a 403 and the console into a message. `can` answers the same
question without raising, for showing or hiding a button.

Roles rank agent < supervisor < admin < superadmin. The system itself, a plugin, a channel
or the scheduler (`Actor.system(...)`, no user) may do whatever the system does.

Team visibility: when a tenant turns `team_visibility` on, an agent sees only the tickets of
their team and the tickets assigned to them. Every ticket read a person makes goes through
`visible_tickets(actor, query)` (or `scope_condition` for compiled queries), so lists, search,
counts, dashboards and single tickets agree; a ticket out of sight is "not found".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import peewee

from gongdan.actors import Actor
from gongdan.errors import Forbidden
from gongdan.models import Tenant, Ticket, User

ROLE_RANK = {"agent": 1, "supervisor": 2, "admin": 3, "superadmin": 4}


class Denied(Forbidden):
    """`action` is not allowed to this actor; `reason` is a stable code the console translates."""

    def __init__(self, action: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.action = action
        self.reason = reason


def rank(role: str | None) -> int:
    """The rank of `role` (0 for an unknown one)."""
    return ROLE_RANK.get(role or "", 0)


def has_role(user: Any, role: str) -> bool:
    """Whether `user` holds `role` or a higher one."""
    return user is not None and rank(getattr(user, "role", None)) >= ROLE_RANK[role]


def _not_above(user: User, target: Any) -> bool:
    """`target` (a user or a role name) ranks no higher than `user`."""
    role = target if isinstance(target, str) else getattr(target, "role", None)
    return target is None or rank(role) <= rank(user.role)


def _own_or_free(user: User, ticket: Any) -> bool:
    """An agent may assign a ticket that is unassigned or their own."""
    return ticket is None or ticket.assignee_id in (None, user.id) or has_role(user, "supervisor")


def _each_own_or_free(user: User, tickets: Any) -> bool:
    """An agent may merge tickets that are each unassigned or their own (`tickets`: a pair)."""
    return all(_own_or_free(user, ticket) for ticket in tickets or ())


@dataclass(frozen=True)
class Rule:
    """The least role an action needs, and an optional check on the object it touches."""

    role: str
    message: str
    check: Callable[[User, Any], bool] | None = None
    check_reason: str = ""
    check_message: str = ""


RULES: dict[str, Rule] = {
    "ticket.assign": Rule(
        "agent",
        "assigning tickets needs a signed-in user",
        _own_or_free,
        "colleague_ticket",
        "reassigning a colleague's ticket needs the supervisor role",
    ),
    "ticket.merge": Rule(
        "agent",
        "merging tickets needs a signed-in user",
        _each_own_or_free,
        "colleague_merge",
        "merging a colleague's ticket needs the supervisor role",
    ),
    "user.manage": Rule(
        "admin", "managing users needs the admin role", _not_above, "above_you", "a role above your own"
    ),
    "token.manage": Rule(
        "admin",
        "managing API tokens needs the admin role",
        _not_above,
        "above_you",
        "tokens of a user above your own role are out of reach",
    ),
    "team.manage": Rule("admin", "managing teams needs the admin role"),
    "category.manage": Rule("admin", "changing categories needs the admin role"),
    "plugin.manage": Rule("admin", "changing plugins needs the admin role"),
    "tenant.settings": Rule("admin", "changing the tenant's settings needs the admin role"),
    "customer.manage": Rule("supervisor", "changing customers needs the supervisor role"),
    "customer.notes": Rule("agent", "editing a customer's notes needs a signed-in user"),
    "customer.reveal": Rule("supervisor", "seeing a customer's contact details in clear needs the supervisor role"),
    "knowledge.delete": Rule("supervisor", "deleting knowledge articles needs the supervisor role"),
}


def _verdict(actor: Actor, action: str, obj: Any) -> Denied | None:
    rule = RULES.get(action)
    if rule is None:
        raise KeyError(f"unknown permission action {action!r}")
    user = actor.user
    if user is None:
        return None
    if not getattr(user, "is_active", True) or not has_role(user, rule.role):
        return Denied(action, "role", rule.message)
    if rule.check is not None and not rule.check(user, obj):
        return Denied(action, rule.check_reason, rule.check_message)
    return None


def can(actor: Actor, action: str, obj: Any = None) -> bool:
    """Whether `actor` may do `action` (to `obj`); the system may do everything."""
    return _verdict(actor, action, obj) is None


def require(actor: Actor, action: str, obj: Any = None) -> None:
    """Raise `Denied` (403) unless `actor` may do `action` (to `obj`). Asks the database nothing."""
    denied = _verdict(actor, action, obj)
    if denied is not None:
        raise denied


# --- team visibility ----------------------------------------------------------------------


def ticket_scope(actor: Actor, tenant: Tenant | None = None) -> tuple[int, int | None] | None:
    """None when `actor` sees every ticket of the tenant, else `(user id, team id or None)`.

    Only agents are scoped, and only in a tenant with `team_visibility` on. `tenant` is the
    tenant being read (a superadmin may work in another); it defaults to the user's.
    """
    user = actor.user
    if user is None or has_role(user, "supervisor"):
        return None
    owner = tenant if tenant is not None else user.tenant
    if not owner.team_visibility:
        return None
    return user.id, user.team_id


def scope_condition(user_id: Any, team_id: Any) -> peewee.Expression:
    """The tickets a scoped agent sees: assigned to them or of their team (values or placeholders)."""
    condition = Ticket.assignee == user_id
    return condition if team_id is None else condition | (Ticket.team == team_id)


def visible_tickets(actor: Actor, query: peewee.ModelSelect, tenant: Tenant | None = None) -> peewee.ModelSelect:
    """`query` (over `Ticket`) narrowed to the tickets `actor` may see in `tenant`."""
    scope = ticket_scope(actor, tenant)
    return query if scope is None else query.where(scope_condition(*scope))


def can_see(actor: Actor, ticket: Ticket, tenant: Tenant | None = None) -> bool:
    """Whether `actor` may see `ticket` (already read from `tenant`); asks the database nothing."""
    scope = ticket_scope(actor, tenant)
    if scope is None:
        return True
    user_id, team_id = scope
    return ticket.assignee_id == user_id or (team_id is not None and ticket.team_id == team_id)


__all__ = [
    "RULES",
    "Denied",
    "can",
    "can_see",
    "has_role",
    "rank",
    "require",
    "scope_condition",
    "ticket_scope",
    "visible_tickets",
]
