"""Management views that are not plain tables: the category tree and API tokens."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext

from gongdan import accounts, categories
from gongdan.actors import Actor
from gongdan.admin.base import ConsoleBaseView
from gongdan.admin.errors import flash_error
from gongdan.errors import Conflict, GongdanError
from gongdan.ids import parse_id
from gongdan.models import ApiToken, Category, User
from gongdan.users import visible_users


class CategoriesView(ConsoleBaseView):
    """The three-level category tree (诉求 appeal / 场景 scene / 问题 problem)."""

    role = "admin"

    @expose("/")
    def index(self) -> Any:
        """The tree, with a form to add a path."""
        return self.render("console/categories.html", tree=categories.tree(self.current_tenant()))

    @expose("/add", methods=["POST"])
    def add(self) -> Any:
        """Create the missing levels of a path like `售后/退货退款/质量问题`."""
        path = request.form.get("path", "")
        try:
            leaf, created = categories.ensure(self.current_tenant(), path, Actor.of(self.current_user))
            flash(
                gettext("Added %(path)s.", path=leaf.path) if created else gettext("%(path)s exists.", path=leaf.path)
            )
        except GongdanError as exc:
            flash_error(exc)
        return redirect(self.get_url(".index"))

    @expose("/<int:category_id>/delete", methods=["POST"])
    def delete(self, category_id: int) -> Any:
        """Delete a node and its children; tickets keep no category."""
        tenant = self.current_tenant()
        node = Category.of(tenant).where(Category.id == category_id).first()
        if node is None:
            abort(404)
        try:
            categories.remove(tenant, node, Actor.of(self.current_user))
            flash(gettext("Deleted %(path)s.", path=node.path))
        except Conflict:
            flash(gettext("%(path)s is used by tickets and stays.", path=node.path), "warning")
        except GongdanError as exc:
            flash_error(exc)
        return redirect(self.get_url(".index"))


class TokensView(ConsoleBaseView):
    """API tokens of the tenant's users: created once (shown once), revoked at once."""

    role = "admin"

    def _page(self, **extra: Any) -> Any:
        """The token page: tokens and users the signed-in admin may manage (no superadmin's)."""
        tenant, actor = self.current_tenant(), Actor.of(self.current_user)
        rows = visible_users(
            actor,
            ApiToken.of(tenant)
            .select(ApiToken, User)
            .join(User)
            .order_by(ApiToken.revoked_at.is_null(False), ApiToken.created_at.desc()),
        )
        users = visible_users(actor, User.of(tenant).where(User.is_active == True).order_by(User.email))  # noqa: E712
        return self.render("console/tokens.html", rows=list(rows), users=list(users), **extra)

    @expose("/")
    def index(self) -> Any:
        """The tenant's tokens and the create form."""
        return self._page(new_token=None)

    @expose("/create", methods=["POST"])
    def create(self) -> Any:
        """Create a token and show it this once."""
        tenant = self.current_tenant()
        user = User.of(tenant).where(User.id == parse_id(request.form.get("user_id"))).first()
        if user is None:
            abort(404)
        try:
            row, token = accounts.create_token(
                user,
                request.form.get("name", "").strip()[:100],
                expires_in_days=request.form.get("expires_in_days", type=int),
                actor=Actor.of(self.current_user),
            )
        except GongdanError as exc:
            flash_error(exc)
            return redirect(self.get_url(".index"))
        return self._page(new_token=token, new_row=row), 201, {"Cache-Control": "no-store"}

    @expose("/<int:token_id>/revoke", methods=["POST"])
    def revoke(self, token_id: int) -> Any:
        """Revoke a token."""
        row = ApiToken.of(self.current_tenant()).where(ApiToken.id == token_id).first()
        if row is None:
            abort(404)
        try:
            accounts.revoke_token(row, Actor.of(self.current_user))
            flash(gettext("Token %(prefix)s… revoked.", prefix=row.prefix))
        except GongdanError as exc:
            flash_error(exc)
        return redirect(self.get_url(".index"))
