# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes
"""Management views built on Flask-Admin's peewee ModelView, scoped to the console's tenant."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_admin.contrib.peewee import ModelView, filters
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from gongdan.accounts import hash_password
from gongdan.admin.base import ROLE_RANK, current_tenant, has_role
from gongdan.admin.labels import ROLE_LABELS
from gongdan.models import AgentSkill, Customer, Skill, Team, Tenant, Ticket, TicketEvent, User


class ConsoleModelView(ModelView):
    """A ModelView with the console's checks: signed in, `role`, CSRF-protected forms."""

    role = "admin"
    form_base_class = FlaskForm
    action_disallowed_list = ["delete"]
    page_size = 25

    def is_accessible(self) -> bool:
        """Signed in with at least `role`."""
        return has_role(current_user, self.role) and bool(current_user.is_active)

    def is_visible(self) -> bool:
        """Hide the menu entry from users who may not open it."""
        return self.is_accessible()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        """Anonymous: sign in; otherwise 403."""
        if not getattr(current_user, "is_authenticated", False):
            return redirect(url_for("console_auth.login", next=request.full_path))
        abort(403)


class TenantModelView(ConsoleModelView):
    """Rows of the console's tenant only; new rows belong to it; foreign keys list its rows."""

    form_excluded_columns = ["tenant"]
    column_exclude_list = ["tenant"]
    scoped_fields: dict[str, type] = {}

    def get_query(self) -> Any:
        """Only the tenant's rows."""
        return self.model.of(current_tenant())

    def get_one(self, id: Any) -> Any:
        """The tenant's row `id`, or None (another tenant's row is 'not found')."""
        return self.model.of(current_tenant()).where(self.model._meta.primary_key == id).first()

    def _scope(self, form: Any) -> Any:
        tenant = current_tenant()
        for name, model in self.scoped_fields.items():
            if hasattr(form, name):
                getattr(form, name).query = model.of(tenant)
        return form

    def create_form(self, obj: Any = None) -> Any:
        """The create form with tenant-scoped choices."""
        return self._scope(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        """The edit form with tenant-scoped choices."""
        return self._scope(super().edit_form(obj))

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """New rows belong to the console's tenant."""
        if is_created:
            model.tenant = current_tenant()


class TeamView(TenantModelView):
    """Teams (departments)."""

    column_list = ["name", "description"]
    column_labels = {"name": _l("Name"), "description": _l("Description")}
    form_columns = ["name", "description"]
    column_searchable_list = ["name"]


class SkillView(TenantModelView):
    """Skills agents can have."""

    column_list = ["name"]
    column_labels = {"name": _l("Name")}
    form_columns = ["name"]


class AgentSkillView(TenantModelView):
    """Agents' skill levels (1–5)."""

    column_list = ["user", "skill", "level"]
    column_labels = {"user": _l("Agent"), "skill": _l("Skill"), "level": _l("Level")}
    form_columns = ["user", "skill", "level"]
    scoped_fields = {"user": User, "skill": Skill}


class CustomerView(TenantModelView):
    """Customers; `tier` (normal, vip) steers routing and SLAs."""

    role = "supervisor"
    column_list = ["name", "email", "phone", "tier", "created_at"]
    column_labels = {
        "name": _l("Name"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "tier": _l("Tier"),
        "created_at": _l("Created"),
    }
    form_columns = ["name", "email", "phone", "tier"]
    column_searchable_list = ["name", "email", "phone"]
    column_filters = ["tier"]


def _role_choices() -> list[tuple[str, str]]:
    mine = ROLE_RANK.get(getattr(current_user, "role", ""), 0)
    return [SelectChoice(code, str(label)) for code, label in ROLE_LABELS.items() if ROLE_RANK[code] <= mine]


class UserView(TenantModelView):
    """People who sign in; passwords are stored hashed, never shown."""

    column_list = ["email", "name", "role", "team", "is_active", "failed_logins", "locked_until", "last_login_at"]
    column_labels = {
        "email": _l("E-mail"),
        "name": _l("Name"),
        "role": _l("Role"),
        "team": _l("Team"),
        "is_active": _l("Active"),
        "failed_logins": _l("Failed sign-ins"),
        "locked_until": _l("Locked until"),
        "last_login_at": _l("Last sign-in"),
        "language": _l("Language"),
        "password": _l("New password"),
    }
    form_columns = ["email", "name", "role", "team", "language", "is_active"]
    form_extra_fields = {
        "password": PasswordField(_l("New password"), validators=[Optional()]),
        "unlock": BooleanField(_l("Unlock (clear failed sign-ins)")),
    }
    form_overrides = {"role": SelectField}
    form_args = {"role": {"choices": [SelectChoice(code) for code in ROLE_LABELS]}}
    column_searchable_list = ["email", "name"]
    column_filters = ["role", "is_active"]
    scoped_fields = {"team": Team}

    def _scope(self, form: Any) -> Any:
        form = super()._scope(form)
        form.role.choices = _role_choices()
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """Hash a new password; nobody grants a role above their own; unlock on request."""
        super().on_model_change(form, model, is_created)
        if ROLE_RANK.get(model.role, 99) > ROLE_RANK[current_user.role]:
            raise ValueError("a role above your own")
        model.email = model.email.strip().lower()
        if form.password.data:
            if len(form.password.data) < 8:
                raise ValueError("the password needs at least 8 characters")
            model.password_hash = hash_password(form.password.data)
        if form.unlock.data:
            model.locked_until = None
            model.failed_logins = 0

    def get_query(self) -> Any:
        """An admin does not see superadmins; a superadmin sees everyone of the tenant."""
        query = super().get_query()
        if current_user.role != "superadmin":
            query = query.where(User.role != "superadmin")
        return query

    def get_one(self, id: Any) -> Any:
        """As `get_query`: superadmins are out of an admin's reach."""
        found = super().get_one(id)
        if found is not None and ROLE_RANK.get(found.role, 99) > ROLE_RANK[current_user.role]:
            return None
        return found


class TenantView(ConsoleModelView):
    """Tenants (clients) of the installation: superadmins only."""

    role = "superadmin"
    can_delete = False
    column_list = ["slug", "name", "timezone", "language", "created_at"]
    column_labels = {
        "slug": _l("Slug"),
        "name": _l("Name"),
        "timezone": _l("Time zone"),
        "language": _l("Language"),
        "created_at": _l("Created"),
    }
    form_columns = ["slug", "name", "timezone", "language"]
    column_searchable_list = ["slug", "name"]


class AuditLogView(TenantModelView):
    """The read-only audit trail of the tenant: every ticket event and plugin change."""

    role = "supervisor"
    can_create = can_edit = can_delete = False
    can_view_details = True
    column_list = ["at", "kind", "actor_label", "ticket", "data"]
    column_labels = {
        "at": _l("When"),
        "kind": _l("What"),
        "actor_label": _l("Who"),
        "ticket": _l("Ticket"),
        "data": _l("Details"),
    }
    column_default_sort = ("at", True)
    column_filters = [
        "kind",
        "actor_label",
        filters.DateTimeBetweenFilter(TicketEvent.at, _l("When (UTC)")),
        filters.IntEqualFilter(Ticket.number, _l("Ticket number")),
    ]
    column_searchable_list = ["kind", "actor_label"]
    column_formatters = {"ticket": lambda v, c, m, n: f"#{m.ticket.number}" if m.ticket_id else ""}


MODEL_VIEWS = (
    (UserView, User, _l("Users"), "users"),
    (TeamView, Team, _l("Teams"), "teams"),
    (SkillView, Skill, _l("Skills"), "skills"),
    (AgentSkillView, AgentSkill, _l("Agent skills"), "agent_skills"),
    (CustomerView, Customer, _l("Customers"), "customers"),
    (AuditLogView, TicketEvent, _l("Audit log"), "audit"),
    (TenantView, Tenant, _l("Tenants"), "tenants"),
)
