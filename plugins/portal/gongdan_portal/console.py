"""The console side: the Satisfaction panel on the ticket page and the portal logo upload."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gongdan import attachments, clock
from gongdan.contributions import ConsoleView
from gongdan_portal.models import Logo

LOGO_MAX_BYTES = 256 * 1024
LOGO_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def _view_class() -> type:
    from flask_admin import expose

    from gongdan.admin.base import ConsoleBaseView

    class PortalBrandingView(ConsoleBaseView):
        """Upload or remove the portal's logo (admins); the other branding is in the plugin settings."""

        role = "admin"
        plugin = "portal"

        @expose("/", methods=("GET", "POST"))
        def index(self) -> Any:
            tenant = self.current_tenant()
            if request.method == "POST":
                _save(tenant)
                return redirect(url_for(".index"))
            has_logo = Logo.select(Logo.id).where(Logo.tenant == tenant).exists()
            return self.render("portal/console_branding.html", has_logo=has_logo, slug=tenant.slug)

    return PortalBrandingView


def _save(tenant: Any) -> None:
    if request.form.get("remove"):
        Logo.delete().where(Logo.tenant == tenant).execute()
        flash(gettext("The logo was removed."), "info")
        return
    upload = request.files.get("logo")
    data = upload.stream.read(LOGO_MAX_BYTES + 1) if upload else b""
    kind = attachments.sniff(data) if data else ""
    if not data or len(data) > LOGO_MAX_BYTES or kind not in LOGO_TYPES:
        flash(gettext("Choose a PNG, JPEG, GIF or WebP image of at most 256 KB."), "error")
        return
    Logo.insert(tenant=tenant, content_type=kind, data=data, updated_at=clock.now()).on_conflict(
        conflict_target=[Logo.tenant], update={Logo.content_type: kind, Logo.data: data, Logo.updated_at: clock.now()}
    ).execute()
    flash(gettext("The logo was saved."), "success")


def console_views() -> list[ConsoleView]:
    """The Portal branding page under Settings."""
    view = _view_class()(name=_l("Portal branding"), endpoint="portal_branding", url="portal-branding")
    return [ConsoleView(view=view, menu=_l("Settings"))]
