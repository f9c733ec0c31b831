# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes
"""Customers in the console: contact details masked, exact look-up by e-mail or phone, audited reveal."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import Length, Optional

from gongdan import customers, masking, permissions
from gongdan.actors import Actor
from gongdan.admin.base import current_tenant
from gongdan.admin.errors import flash_error
from gongdan.errors import GongdanError

PII_FIELDS = tuple(masking.MASKS)


def _masked(view: Any, context: Any, model: Any, name: str) -> str | None:
    return masking.MASKS[name](getattr(model, name))


def _name_with_reveal(view: Any, context: Any, model: Any, name: str) -> Any:
    """The name, and for supervisors and admins a button that reveals the contact details."""
    if not permissions.can(Actor.of(current_user.user), "customer.reveal"):
        return model.name
    from flask_wtf.csrf import generate_csrf

    target = url_for(".reveal", customer_id=model.id)
    return Markup(
        '{} <form method="post" action="{}" class="d-inline reveal-form">'
        '<input type="hidden" name="csrf_token" value="{}">'
        '<button class="btn btn-link btn-sm p-0 ml-1 reveal-customer" type="submit">{}</button></form>'
    ).format(model.name, target, generate_csrf(), gettext("Reveal"))


class CustomerPII:
    """Mixin of the customers' ModelView: what it shows, searches and edits of personal data.

    Lists show e-mail, phone and address masked (`gongdan.masking`); the search box finds a
    name by part, or an exact e-mail or phone through the blind indexes; the edit form never
    holds the stored values (left blank, they are kept); `Reveal` shows them, audited.
    """

    column_formatters = {"name": _name_with_reveal, **{name: _masked for name in PII_FIELDS}}
    column_searchable_list = ["name"]

    def search_placeholder(self) -> str:
        """The box finds a name, or an exact e-mail or phone."""
        return gettext("Name, or an exact e-mail or phone")

    form_overrides = {name: StringField for name in PII_FIELDS}
    form_args = {
        "email": {"validators": [Optional(), Length(max=254)]},
        "phone": {"validators": [Optional(), Length(max=32)]},
        "address": {"validators": [Optional(), Length(max=500)]},
    }

    def get_query(self) -> Any:
        """The tenant's customers, narrowed to an exact e-mail or phone when the search is one."""
        query = super().get_query()  # type: ignore[misc]
        exact = customers.exact_condition(request.args.get("search", ""))
        return query if exact is None else query.where(exact)

    def get_list(
        self, page: Any, sort_column: Any, sort_desc: Any, search: Any, filters: Any, *args: Any, **kw: Any
    ) -> Any:
        """An exact e-mail or phone is matched in `get_query`, not by a name's part."""
        if search and customers.exact_condition(search) is not None:
            search = None
        return super().get_list(page, sort_column, sort_desc, search, filters, *args, **kw)  # type: ignore[misc]

    def edit_form(self, obj: Any = None) -> Any:
        """The edit form without the stored contact details (blank keeps them)."""
        form = super().edit_form(obj)  # type: ignore[misc]
        if request.method == "GET":
            for name in PII_FIELDS:
                getattr(form, name).data = ""
                getattr(form, name).render_kw = {"placeholder": gettext("unchanged unless you type a new one")}
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """Contact details left blank on an edit keep their stored value."""
        super().on_model_change(form, model, is_created)  # type: ignore[misc]
        blank = [name for name in PII_FIELDS if not getattr(model, name)]
        if blank and not is_created:
            stored = customers.get(current_tenant(), model.id)
            for name in blank:
                setattr(model, name, getattr(stored, name))

    @expose("/reveal/<int:customer_id>", methods=["POST"])
    def reveal(self, customer_id: int) -> Any:
        """The customer's contact details in clear, for supervisors and admins; audited."""
        try:
            shown = customers.reveal(current_tenant(), customer_id, Actor.of(current_user.user), ip=request.remote_addr)
        except GongdanError as exc:
            flash_error(exc)
            return redirect(url_for(".index_view"))
        referrer = request.referrer or ""
        back = referrer if referrer.startswith(request.host_url) else None
        return self.render("console/customer_reveal.html", customer=shown, back=back)  # type: ignore[attr-defined]
