"""The workspace settings page: the tenant's own switches (admins)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext

from gongdan import merge, tenant_settings
from gongdan.actors import Actor
from gongdan.admin.base import ConsoleBaseView
from gongdan.admin.errors import flash_error
from gongdan.errors import GongdanError


class TenantSettingsView(ConsoleBaseView):
    """Switches of the tenant (team visibility); every change is audited."""

    role = "admin"

    @expose("/", methods=["GET", "POST"])
    def index(self) -> Any:
        """The form; POST saves it through `gongdan.tenant_settings.change`."""
        tenant = self.current_tenant()
        if request.method == "POST":
            wanted = {name: request.form.get(name) == "1" for name in tenant_settings.SWITCHES}
            try:
                changed = tenant_settings.change(tenant, wanted, Actor.of(self.current_user))
                flash(gettext("Settings saved.") if changed else gettext("Nothing changed."), "success")
            except GongdanError as exc:
                flash_error(exc)
            return redirect(self.get_url(".index"))
        return self.render(
            "console/tenant_settings.html",
            settings=tenant_settings.current(tenant),
            merge_undo_minutes=tenant.merge_undo_minutes,
            max_undo_minutes=merge.MAX_UNDO_MINUTES,
        )

    @expose("/merge", methods=["POST"])
    def merge_window(self) -> Any:
        """How long a merge of two tickets may be undone (`gongdan.merge.set_undo_window`)."""
        raw = request.form.get("merge_undo_minutes", "").strip()
        try:
            minutes = merge.set_undo_window(
                self.current_tenant(), int(raw) if raw.isdigit() else raw, Actor.of(self.current_user)
            )
            flash(gettext("A merge can now be undone for %(minutes)s minutes.", minutes=minutes), "success")
        except GongdanError:
            flash(gettext("Give a whole number of minutes from 0 to %(most)s.", most=merge.MAX_UNDO_MINUTES), "danger")
        return redirect(self.get_url(".index"))
