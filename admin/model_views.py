# ruff: noqa: RUF012 - Flask-Admin is configured through mutable class attributes
"""Management views built on Flask-Admin's peewee ModelView, scoped to the console's tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee
from flask import abort, redirect, request, url_for
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.form import CustomModelConverter
from flask_admin.model import typefmt
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError
from wtfpeewee.fields import ModelSelectField

from gongdan import accounts, audit, permissions, users
from gongdan.actors import Actor
from gongdan.admin.base import ROLE_RANK, current_tenant, has_role
from gongdan.admin.customers import CustomerPII
from gongdan.admin.errors import flash_error
from gongdan.admin.i18n import LANGUAGES
from gongdan.admin.labels import ROLE_LABELS, TIER_LABELS, role_label
from gongdan.errors import GongdanError
from gongdan.ids import parse_id
from gongdan.models import AgentSkill, Customer, Skill, Team, Tenant, User


class IdSelectField(ModelSelectField):
    """A foreign key's select: a value that cannot be an id is not a choice, and never reaches a query."""

    def get_model(self, pk: Any) -> Any:
        """The row `pk` names, or None."""
        return super().get_model(pk) if parse_id(pk) is not None else None

    def pre_validate(self, form: Any) -> None:
        """'Not a valid choice' for what cannot be an id; otherwise wtfpeewee's check."""
        data = self.data
        if data is not None and not isinstance(data, self.model) and parse_id(data) is None:
            raise ValidationError(self.gettext("Not a valid choice."))
        super().pre_validate(form)


def _row_name(row: Any) -> str:
    """A related row as a person reads it: its name (or display name, or e-mail)."""
    for attribute in ("name", "display_name", "email"):
        value = getattr(row, attribute, None)
        if value:
            return str(value)
    return str(row.get_id())


class IdModelConverter(CustomModelConverter):
    """Flask-Admin's peewee form converter with `IdSelectField` for foreign keys."""

    def convert(self, model: Any, field: Any, field_args: dict[str, Any] | None) -> Any:
        """The field's input, labelled with the view's `column_labels` in the console's language
        (the converter labelled it with the model's English `verbose_name`: "Is Active", "Tier")."""
        label = (getattr(self.view, "column_labels", None) or {}).get(field.name)
        if label is not None and "label" not in (field_args or {}):
            field_args = {**(field_args or {}), "label": label}
        return super().convert(model, field, field_args)

    def handle_foreign_key(self, model: Any, field: Any, **kwargs: Any) -> Any:
        """A select of the related rows (blank allowed when the key is nullable)."""
        if field.null:
            kwargs["allow_blank"] = True
        kwargs.setdefault("get_label", _row_name)  # by name: the select read "3", "8" (the rows' ids)
        return field.name, IdSelectField(model=field.rel_model, **kwargs)


def _local_datetime(view: Any, value: datetime, name: str) -> str:
    """A time in the tenant's zone, to the minute (not UTC with microseconds)."""
    from gongdan.admin import local_time

    return local_time(value)


def _named(view: Any, context: Any, model: Any, name: str) -> str:
    """A related row (team, user, skill) by its name, not its id."""
    related = getattr(model, name, None)
    if related is None:
        return ""
    return str(getattr(related, "name", None) or getattr(related, "email", None) or related.get_id())


LANGUAGE_CHOICES = [SelectChoice(code, label) for code, label in LANGUAGES.items()]


class ConsoleModelView(ModelView):
    """A ModelView with the console's checks: signed in, `role`, CSRF-protected forms. Times read
    in the tenant's zone; related rows by name."""

    role = "admin"
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: _local_datetime}
    form_base_class = FlaskForm
    model_form_converter = IdModelConverter
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

    def search_placeholder(self) -> str:
        """What the search box looks in, in words ("Search: Name, E-mail"), never "None"."""
        labels = self.column_labels or {}
        names = [
            str(labels.get(name, name.replace("_", " ").capitalize())) for name in self.column_searchable_list or ()
        ]
        return gettext("Search: %(fields)s", fields=", ".join(names)) if names else gettext("Search")

    def get_one(self, id: Any) -> Any:
        """The row `id`, or None (also for what cannot be an id)."""
        return super().get_one(id) if parse_id(id) is not None else None


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
        if parse_id(id) is None:
            return None
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


def _plain(value: Any) -> Any:
    """A field's value as the audit trail keeps it (a related row by its name)."""
    if isinstance(value, peewee.Model):
        return getattr(value, "name", None) or getattr(value, "email", None) or value.get_id()
    return value


class AuditedModelView(TenantModelView):
    """Rows whose changes need `action` (see `gongdan.permissions`) and are audited with a diff
    as `<audit_kind>.created`, `.changed` and `.deleted`; `audit_hidden` fields (personal data)
    are recorded as changed, never by value."""

    action = ""
    audit_kind = ""
    audit_fields: tuple[str, ...] = ()
    audit_hidden: tuple[str, ...] = ()

    def _actor(self) -> Actor:
        return Actor.of(current_user.user)

    def _allowed(self) -> bool:
        try:
            permissions.require(self._actor(), self.action)
        except GongdanError as exc:
            flash_error(exc)
            return False
        return True

    def _snapshot(self, model: Any) -> dict[str, Any]:
        return {name: _plain(getattr(model, name)) for name in self.audit_fields}

    def _audit(self, what: str, model: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
        changes = audit.diff(before, after, hidden=self.audit_hidden)
        if changes:
            label = f"#{model.get_id()}" if self.audit_hidden else _plain(model)
            data = {"id": model.get_id(), "name": label, "changes": changes}
            audit.record(current_tenant(), f"{self.audit_kind}.{what}", self._actor(), data=data)

    def create_model(self, form: Any) -> Any:
        """Create through Flask-Admin when allowed, then audit."""
        if not self._allowed():
            return False
        model = super().create_model(form)
        if model:
            self._audit("created", model, {}, self._snapshot(model))
        return model

    def update_model(self, form: Any, model: Any) -> Any:
        """Update when allowed, then audit the diff."""
        if not self._allowed():
            return False
        before = self._snapshot(model)
        done = super().update_model(form, model)
        if done:
            self._audit("changed", model, before, self._snapshot(model))
        return done

    def delete_model(self, model: Any) -> Any:
        """Delete when allowed, then audit what was deleted."""
        if not self._allowed():
            return False
        before = self._snapshot(model)
        done = super().delete_model(model)
        if done:
            self._audit("deleted", model, before, {})
        return done


class TeamView(AuditedModelView):
    """Teams (departments)."""

    action = "team.manage"
    audit_kind = "team"
    audit_fields = ("name", "description")

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
    column_formatters = {"user": _named, "skill": _named}
    column_labels = {"user": _l("Agent"), "skill": _l("Skill"), "level": _l("Level")}
    form_columns = ["user", "skill", "level"]
    scoped_fields = {"user": User, "skill": Skill}


class CustomerView(CustomerPII, AuditedModelView):
    """Customers; `tier` (normal, vip) steers routing and SLAs. Contact details masked (`CustomerPII`)."""

    role = "supervisor"
    action = "customer.manage"
    audit_kind = "customer"
    audit_fields = ("name", "email", "phone", "address", "tier")
    audit_hidden = ("name", "email", "phone", "address")
    column_list = ["name", "email", "phone", "address", "tier", "created_at"]
    column_labels = {
        "name": _l("Name"),
        "email": _l("E-mail"),
        "phone": _l("Phone"),
        "address": _l("Address"),
        "tier": _l("Tier"),
        "created_at": _l("Created"),
    }
    form_columns = ["name", "email", "phone", "address", "tier"]
    form_overrides = {**CustomerPII.form_overrides, "tier": SelectField}
    form_args = {**CustomerPII.form_args, "tier": {"choices": [SelectChoice(code) for code in TIER_LABELS]}}
    column_filters = ["tier"]
    column_formatters = {
        **CustomerPII.column_formatters,  # the masked contact details
        "tier": lambda view, context, model, name: str(TIER_LABELS.get(model.tier, model.tier or "")),
    }

    def _scope(self, form: Any) -> Any:
        """The tier picked by its words (a tier a connector wrote stays offered as it is)."""
        form = super()._scope(form)
        if hasattr(form, "tier"):
            choices = [SelectChoice(code, str(label)) for code, label in TIER_LABELS.items()]
            if form.tier.data and form.tier.data not in TIER_LABELS:
                choices.append(SelectChoice(form.tier.data, form.tier.data))
            form.tier.choices = choices
        return form


def _role_choices() -> list[tuple[str, str]]:
    mine = ROLE_RANK.get(getattr(current_user, "role", ""), 0)
    return [SelectChoice(code, str(label)) for code, label in ROLE_LABELS.items() if ROLE_RANK[code] <= mine]


class UserView(TenantModelView):
    """People who sign in; passwords are stored hashed, never shown.

    Creating and changing go through `gongdan.accounts.create_user` and
    `gongdan.users.change_user`, which check the permissions and audit; users are deactivated,
    never deleted (the audit trail keeps what they did).
    """

    can_delete = False
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
    form_overrides = {"role": SelectField, "language": SelectField}
    form_args = {
        "role": {"choices": [SelectChoice(code) for code in ROLE_LABELS]},
        "language": {"choices": [SelectChoice("", _l("The browser's language")), *LANGUAGE_CHOICES]},
    }
    column_searchable_list = ["email", "name"]
    column_filters = ["role", "is_active"]
    column_formatters = {"role": lambda view, context, model, name: role_label(model.role), "team": _named}
    scoped_fields = {"team": Team}

    def _scope(self, form: Any) -> Any:
        form = super()._scope(form)
        form.role.choices = _role_choices()
        return form

    def _changes(self, form: Any) -> dict[str, Any]:
        changes = {name: getattr(form, name).data for name in users.FIELDS if hasattr(form, name)}
        changes["language"] = changes.get("language") or None
        return changes | {"password": form.password.data or None, "unlock": bool(form.unlock.data)}

    def create_model(self, form: Any) -> Any:
        """Create through the account service (permission checked, audited)."""
        actor, changes = Actor.of(current_user.user), self._changes(form)
        try:
            user = accounts.create_user(
                current_tenant(),
                changes.pop("email") or "",
                changes.pop("role") or "agent",
                changes.pop("name") or "",
                changes.pop("password"),
                actor=actor,
                team=changes.pop("team"),
            )
            users.change_user(user, changes, actor)
        except GongdanError as exc:
            flash_error(exc)
            return False
        return user

    def update_model(self, form: Any, model: Any) -> bool:
        """Change through the user service (permission checked, audited with a diff)."""
        try:
            users.change_user(model, self._changes(form), Actor.of(current_user.user))
        except GongdanError as exc:
            flash_error(exc)
            return False
        return True

    def get_query(self) -> Any:
        """Nobody sees users above their role: an admin does not see superadmins."""
        return users.visible_users(Actor.of(current_user.user), super().get_query())

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


MODEL_VIEWS = (
    (UserView, User, _l("Users"), "users"),
    (TeamView, Team, _l("Teams"), "teams"),
    (SkillView, Skill, _l("Skills"), "skills"),
    (AgentSkillView, AgentSkill, _l("Agent skills"), "agent_skills"),
    (CustomerView, Customer, _l("Customers"), "customers"),
    (TenantView, Tenant, _l("Tenants"), "tenants"),
)
