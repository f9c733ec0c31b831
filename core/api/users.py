"""User routes: the tenant's users (supervisors and admins) and the caller."""

from __future__ import annotations

from typing import Any

from flask import request
from peewee import JOIN

from gongdan import accounts, signin
from gongdan.api.blueprint import api
from gongdan.api.common import api_route, current_actor, current_tenant, current_user
from gongdan.api.schemas import (
    MeSchema,
    PasswordChangedSchema,
    PasswordChangeSchema,
    UserPageSchema,
    UserQuerySchema,
)
from gongdan.errors import ValidationError
from gongdan.models import Team, User
from gongdan.users import visible_users

TAGS = ("users",)


def user_dict(user: User) -> dict[str, Any]:
    """A user as the API shows them."""
    team = user.team if user.team_id else None
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "team": {"id": team.id, "name": team.name} if team else None,
        "is_active": user.is_active,
    }


@api_route(api, "/users", ["GET"], role="supervisor", query=UserQuerySchema, response=UserPageSchema, tags=TAGS)
def list_users(args: dict[str, Any]) -> dict[str, Any]:
    """The users of the caller's tenant (supervisors and admins), optionally of one `role`.

    Nobody sees users ranked above them: an admin's list holds no superadmin.
    """
    query = visible_users(
        current_actor(),
        User.select(User, Team)
        .join(Team, JOIN.LEFT_OUTER, on=(User.team == Team.id))
        .where(User.tenant == current_tenant()),
    )
    if "role" in args:
        query = query.where(User.role == args["role"])
    page, per_page = args["page"], args["per_page"]
    rows = list(query.order_by(User.id).paginate(page, per_page))
    return {"items": [user_dict(u) for u in rows], "total": query.count(), "page": page, "per_page": per_page}


@api_route(api, "/users/me", ["GET"], response=MeSchema, tags=TAGS)
def me() -> dict[str, Any]:
    """The caller, with their tenant."""
    user, tenant = current_user(), current_tenant()
    return user_dict(user) | {"tenant": {"id": tenant.id, "slug": tenant.slug, "name": tenant.name}}


@api_route(api, "/users/me/password", ["POST"], body=PasswordChangeSchema, response=PasswordChangedSchema, tags=TAGS)
def change_password(body: dict[str, Any]) -> dict[str, Any]:
    """Change the caller's password (policy: ≥ 10 characters, not common); ends their console
    sessions. A wrong current password counts as a failed sign-in (and can lock the account)."""
    user = current_user()
    ip = request.remote_addr or ""
    if not accounts.check_password(user, body["current_password"]):
        signin.fail(user, ip, reason="password_change")
        raise ValidationError("wrong password", {"current_password": ["not your current password"]})
    accounts.set_password(user, body["new_password"], current_actor(), ip=ip)
    return {"changed": True}
