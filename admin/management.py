"""Management views that are not plain tables: the category tree and API tokens."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext

from gongdan import accounts, categories
from gongdan.admin.base import ConsoleBaseView
from gongdan.admin.errors import flash_error
from gongdan.db import write_transaction
from gongdan.errors import GongdanError
from gongdan.models import ApiToken, Category, Ticket, User


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
            leaf, created = categories.ensure(self.current_tenant(), path)
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
        prefix = node.path + "/"
        doomed = Category.of(tenant).where((Category.id == node.id) | Category.path.startswith(prefix))
        ids = [c.id for c in doomed]
        if Ticket.of(tenant).where(Ticket.category.in_(ids)).exists():
            flash(gettext("%(path)s is used by tickets and stays.", path=node.path), "warning")
            return redirect(self.get_url(".index"))
        with write_transaction():
            Category.delete().where(Category.id.in_(ids)).execute()
        flash(gettext("Deleted %(path)s.", path=node.path))
        return redirect(self.get_url(".index"))


class TokensView(ConsoleBaseView):
    """API tokens of the tenant's users: created once (shown once), revoked at once."""

    role = "admin"

    @expose("/")
    def index(self) -> Any:
        """The tenant's tokens and the create form."""
        tenant = self.current_tenant()
        rows = (
            ApiToken.of(tenant)
            .select(ApiToken, User)
            .join(User)
            .order_by(ApiToken.revoked_at.is_null(False), ApiToken.created_at.desc())
        )
        users = User.of(tenant).where(User.is_active == True).order_by(User.email)  # noqa: E712
        return self.render("console/tokens.html", rows=list(rows), users=list(users), new_token=None)

    @expose("/create", methods=["POST"])
    def create(self) -> Any:
        """Create a token and show it this once."""
        tenant = self.current_tenant()
        user = User.of(tenant).where(User.id == request.form.get("user_id", type=int)).first()
        if user is None:
            abort(404)
        row, token = accounts.create_token(user, request.form.get("name", "").strip()[:100])
        rows = ApiToken.of(tenant).select(ApiToken, User).join(User).order_by(ApiToken.created_at.desc())
        users = User.of(tenant).where(User.is_active == True).order_by(User.email)  # noqa: E712
        response = self.render("console/tokens.html", rows=list(rows), users=list(users), new_token=token, new_row=row)
        return response, 201, {"Cache-Control": "no-store"}

    @expose("/<int:token_id>/revoke", methods=["POST"])
    def revoke(self, token_id: int) -> Any:
        """Revoke a token."""
        row = ApiToken.of(self.current_tenant()).where(ApiToken.id == token_id).first()
        if row is None:
            abort(404)
        accounts.revoke_token(row)
        flash(gettext("Token %(prefix)s… revoked.", prefix=row.prefix))
        return redirect(self.get_url(".index"))
