"""Changing the tenant's people under the permission rules, audited with a diff.

Creating users and tokens lives in `gongdan.accounts`; this module changes an existing user
(role, team, active, password, unlock) for the console and the API alike, and narrows user
lists to the people an actor may see (an admin never sees a superadmin).
"""

from __future__ import annotations

from typing import Any

import peewee

from gongdan import accounts, audit, permissions
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import ValidationError
from gongdan.models import ROLES, Team, User

FIELDS = ("email", "name", "role", "team", "language", "is_active")


def visible_users(actor: Actor, query: peewee.ModelSelect) -> peewee.ModelSelect:
    """`query` (over `User`) without the users ranked above `actor` (all for the system)."""
    if actor.user is None:
        return query
    mine = permissions.rank(actor.user.role)
    return query.where(User.role.in_([role for role in ROLES if permissions.rank(role) <= mine]))


def _snapshot(user: User, team: Team | None) -> dict[str, Any]:
    return {key: getattr(user, key) for key in FIELDS if key != "team"} | {"team": team.name if team else None}


def change_user(user: User, changes: dict[str, Any], actor: Actor) -> dict[str, list[Any]]:
    """Change any of `email name role team language is_active` of `user`, set a `password`, or
    `unlock` them (clear the failed sign-ins); returns the diff it audited as `user.changed`.

    `actor` needs `user.manage` on the user and on the new role: an admin neither reaches a
    superadmin nor grants that role (Forbidden). `team` is a `Team` of the user's tenant or
    None. A new password goes through `accounts.set_password` (policy, sessions ended, audited
    as `auth.password_changed`, never its value).
    """
    permissions.require(actor, "user.manage", user)
    wanted = {key: value for key, value in changes.items() if key in FIELDS}
    if "role" in wanted:
        if wanted["role"] not in ROLES:
            raise ValidationError("unknown role", {"role": [f"must be one of: {', '.join(ROLES)}"]})
        permissions.require(actor, "user.manage", wanted["role"])
    if "email" in wanted:
        wanted["email"] = (wanted["email"] or "").strip().lower()
        if not accounts.EMAIL.match(wanted["email"]):
            raise ValidationError("malformed e-mail", {"email": ["not a valid e-mail address"]})
        if accounts.email_taken(wanted["email"], other_than=user.id):
            raise accounts.EmailTaken()
    if "name" in wanted:
        wanted["name"] = (wanted["name"] or "").strip()
    old_team = user.team if user.team_id else None
    team = wanted.pop("team", old_team)
    if team is not None and team.tenant_id != user.tenant_id:
        raise ValidationError("unknown team", {"team": ["not a team of this tenant"]})
    before = _snapshot(user, old_team)
    after = before | wanted | {"team": team.name if team else None}
    if changes.get("unlock") and (user.failed_logins or user.locked_until):
        before["locked"], after["locked"] = True, False
    password = changes.get("password")
    if password:
        accounts.check_password_policy(password, after["email"])
    diff = audit.diff(before, after)
    with write_transaction():
        if diff:
            for key, value in wanted.items():
                setattr(user, key, value)
            user.team = team
            if "locked" in diff:
                user.failed_logins, user.locked_until = 0, None
            user.save()
            audit.record(user.tenant, "user.changed", actor, data={"user": user.email, "changes": diff})
        if password:
            accounts.set_password(user, password, actor)
    return diff


__all__ = ["FIELDS", "change_user", "visible_users"]
