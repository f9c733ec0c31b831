"""Fixtures of the portal's tests: the plugin on in `acme`, a browser-like client, tickets."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gongdan import categories, tickets
from gongdan.actors import Actor
from gongdan.models import Ticket

TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


class Browser:
    """Flask's test client as a visitor: keeps cookies, reads the CSRF token from pages."""

    def __init__(self, client: Any, slug: str = "acme", lang: str = "en") -> None:
        self.client, self.base, self.lang = client, f"/portal/{slug}", lang
        self.token = ""

    def url(self, path: str) -> str:
        """The portal URL of `path` (absolute paths are kept)."""
        return path if path.startswith("/portal/") else self.base + path

    def get(self, path: str = "/", **kwargs: Any) -> Any:
        """GET a page; remembers its CSRF token."""
        kwargs.setdefault("headers", {"Accept-Language": self.lang})
        response = self.client.get(self.url(path), **kwargs)
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict | None = None, *, token: bool = True, **kwargs: Any) -> Any:
        """POST a form with the last page's CSRF token (fetching the home page first if none)."""
        if token and not self.token:
            self.get("/")
        form = dict(data or {})
        if token:
            form.setdefault("csrf_token", self.token)
        kwargs.setdefault("headers", {"Accept-Language": self.lang})
        return self.client.post(self.url(path), data=form, **kwargs)

    def text(self, path: str = "/") -> str:
        """A page's HTML."""
        return self.get(path).get_data(as_text=True)


@pytest.fixture
def portal(enable_plugin: Any, tenant: Any) -> Any:
    """The portal plugin enabled in `tenant` (acme); `portal(settings)` re-enables with settings."""

    def configure(settings: dict | None = None, in_tenant: Any = None) -> Any:
        return enable_plugin("portal", in_tenant or tenant, settings or {})

    configure()
    return configure


@pytest.fixture
def browser(client: Any, portal: Any) -> Browser:
    """A visitor of acme's portal, in English."""
    return Browser(client)


@pytest.fixture
def make_browser(app: Any) -> Any:
    """`make_browser(slug="acme", lang="en")`: another visitor with their own cookies."""
    return lambda slug="acme", lang="en": Browser(app.test_client(), slug, lang)


@pytest.fixture
def customer_ticket(tenant: Any) -> Any:
    """`customer_ticket(email, subject="...", channel="portal", in_tenant=None)` → a ticket of that customer."""

    def make(email: str, subject: str = "收到的商品破损", channel: str = "portal", in_tenant: Any = None, **data: Any):
        owner = in_tenant or tenant
        if data.get("category"):
            categories.ensure(owner, data["category"])
        payload = {"subject": subject, "channel": channel, "customer": {"email": email}, **data}
        ticket, _ = tickets.create(owner, payload, Actor.system("channel:test"))
        return Ticket.get_by_id(ticket.id)

    return make
