"""The plugin manager: every discovered plugin, per-tenant toggles, generated settings forms, history."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import get_locale, gettext

from gongdan.admin.base import ConsoleBaseView
from gongdan.admin.errors import flash_error
from gongdan.admin.settings_form import all_errors, attach_errors, build_inputs, read_form
from gongdan.errors import GongdanError, NotFound, ValidationError
from gongdan.models import TenantPlugin, TicketEvent
from gongdan.plugins import PluginRecord, get_host, settings_for

HISTORY = 20


def plugin_label(record: PluginRecord) -> str:
    """The plugin's label in the console's language."""
    if str(get_locale() or "").startswith("zh") and record.spec.label_zh:
        return record.spec.label_zh
    return record.spec.label or record.name


class PluginsView(ConsoleBaseView):
    """Plugins: status, the tenant's toggle and settings, and who changed them."""

    role = "admin"

    def _record(self, name: str) -> PluginRecord:
        try:
            return get_host().record(name)
        except NotFound:
            abort(404)

    @expose("/")
    def index(self) -> Any:
        """Every discovered plugin with version, distribution, status, reason and toggle."""
        tenant = self.current_tenant()
        host = get_host()
        rows = {row.plugin: row for row in TenantPlugin.of(tenant)}
        plugins = [
            {
                "record": record,
                "label": plugin_label(record),
                "enabled": host.is_enabled(tenant, name),
                "row": rows.get(name),
                "has_settings": host.settings_schema(name) is not None if record.status == "loaded" else False,
            }
            for name, record in sorted(host.records.items())
        ]
        return self.render("console/plugins.html", plugins=plugins, tenant=tenant)

    @expose("/<plugin_name>/toggle", methods=["POST"])
    def toggle(self, plugin_name: str) -> Any:
        """Switch the plugin on or off for the current tenant."""
        name = plugin_name
        label = plugin_label(self._record(name))
        enabled = request.form.get("enabled") == "1"
        try:
            get_host().set_enabled(self.current_tenant(), name, enabled=enabled, actor=self.current_user)
            flash(
                gettext("%(name)s enabled.", name=label) if enabled else gettext("%(name)s disabled.", name=label),
                "success",
            )
        except GongdanError as exc:
            flash_error(exc)
        return redirect(self.get_url(".index"))

    @expose("/<plugin_name>/settings", methods=["GET", "POST"])
    def settings(self, plugin_name: str) -> Any:
        """The settings form generated from the plugin's schema, and the change history."""
        name = plugin_name
        record = self._record(name)
        tenant = self.current_tenant()
        host = get_host()
        schema_cls = host.settings_schema(name) if record.status == "loaded" else None
        if schema_cls is None:
            abort(404)
        stored = TenantPlugin.get_or_none(tenant=tenant, plugin=name)
        shown = host.shown_settings(tenant, name)  # loaded outside: a stored value need not be valid now
        with settings_for(tenant):  # choices of the tenant's own rows (categories, teams)
            inputs = build_inputs(schema_cls, *shown)
        other_errors: list[str] = []
        status = 200
        if request.method == "POST":
            data, parse_errors = read_form(inputs, request.form)
            try:
                if parse_errors:
                    with settings_for(tenant):
                        raise ValidationError("invalid settings", all_errors(schema_cls, data, parse_errors))
                host.set_enabled(tenant, name, settings=data, actor=self.current_user)
                flash(gettext("Settings saved."), "success")
                return redirect(self.get_url(".settings", plugin_name=name))
            except ValidationError as exc:
                other_errors = attach_errors(inputs, exc.fields or {})
                flash(gettext("The settings were not saved: correct the fields marked below."), "danger")
                status = 422
        history = (
            TicketEvent.of(tenant)
            .where(TicketEvent.ticket.is_null() & (TicketEvent.kind == "plugin.changed"))
            .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
        )
        changes = [e for e in history.limit(HISTORY * 5) if e.data.get("plugin") == name][:HISTORY]
        return self.render(
            "console/plugin_settings.html",
            record=record,
            label=plugin_label(record),
            inputs=inputs,
            other_errors=other_errors,
            stored=stored,
            changes=changes,
            enabled=host.is_enabled(tenant, name),
        ), status
