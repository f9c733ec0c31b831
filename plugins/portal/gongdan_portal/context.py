"""The request's portal context: tenant, its settings, the visitor, the language, branding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, g, url_for

from gongdan.models import Tenant
from gongdan.plugins import get_host
from gongdan.queries import ShapedQuery
from gongdan_portal import i18n, identity
from gongdan_portal.models import Logo

PLUGIN = "portal"
# every page reads these two: their SQL is compiled once (peewee would rebuild it per request)
_TENANT = ShapedQuery(lambda p: Tenant.select().where(Tenant.slug == p("slug", str)))
_LOGO = ShapedQuery(lambda p: Logo.select(Logo.id).where(Logo.tenant == p("tenant")).limit(1))


@dataclass
class Portal:
    """Everything a portal page needs to know about where it is and who is looking."""

    tenant: Tenant
    settings: dict[str, Any]
    visitor: identity.Visitor
    lang: str
    has_logo: bool

    @property
    def path(self) -> str:
        """The cookie path of this tenant's portal."""
        return f"/portal/{self.tenant.slug}/"

    @property
    def base(self) -> str:
        """The URL prefix of this tenant's portal (for links in long lists: cheaper than url_for)."""
        return f"/portal/{self.tenant.slug}"

    @property
    def name(self) -> str:
        """The name shown in the header."""
        return self.settings["display_name"] or self.tenant.name

    def t(self, message: str, **values: Any) -> str:
        """`message` in the visitor's language, with `%(name)s` values filled in."""
        text = i18n.catalogue(self.lang).gettext(message)
        return text % values if values else text


def load(slug: str) -> Portal:
    """The portal of tenant `slug`; 404 when there is none, the plugin is off or the portal closed."""
    found = _TENANT.rows((), {"slug": slug})
    if not found:
        abort(404)
    tenant = found[0]
    host = get_host()
    if not host.is_enabled(tenant, PLUGIN):
        abort(404)
    settings = host.settings(tenant, PLUGIN)
    if not settings["open"]:
        abort(404)
    has_logo = _LOGO.scalar((), {"tenant": tenant.id}) is not None
    lang = i18n.choose("en" if tenant.language == "en" else "zh_CN")
    return Portal(tenant, settings, identity.read_session(tenant), lang, has_logo)


def current() -> Portal:
    """The portal of this request."""
    return g.portal


def url(endpoint: str, **values: Any) -> str:
    """A URL of this tenant's portal."""
    return url_for(f"portal.{endpoint}", slug=current().tenant.slug, **values)
