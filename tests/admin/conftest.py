"""Fixtures for the console tests: a signed-in browser-like client per role."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gongdan.testing import TEST_PASSWORD

from .console_fixtures import app, quick_password_hashing  # noqa: F401 - fixtures shared with tests/browser

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_of(html: str) -> str:
    """The CSRF token a console page carries."""
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1) or found.group(2)


class Console:
    """Flask's test client signed in to the console; `post` adds the CSRF token."""

    def __init__(self, flask_app: Any, user: Any = None) -> None:
        self.client = flask_app.test_client()
        self.user = user
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a console page."""
        return self.client.get(path, **kwargs)

    def text(self, path: str) -> str:
        """The HTML of a page that must answer 200."""
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs: Any) -> Any:
        """POST a form, with the session's CSRF token unless `csrf=False`."""
        form = dict(data or {})
        if csrf:
            if not self.token:
                self.token = csrf_of(self.client.get("/console/login").get_data(as_text=True))
            form.setdefault("csrf_token", self.token)
        return self.client.post(path, data=form, **kwargs)

    def login(self, email: str, password: str = TEST_PASSWORD) -> Any:
        """Sign in through the form."""
        return self.post("/console/login", {"email": email, "password": password})


@pytest.fixture
def console(app: Any) -> Any:  # noqa: F811 - the shared fixture
    """`console(user=None)` → a `Console`, signed in as `user` when given."""

    def make(user: Any = None) -> Console:
        client = Console(app, user)
        if user is not None:
            response = client.login(user.email)
            assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return make


@pytest.fixture
def signed_in(console: Any, make_user: Any) -> Any:
    """`signed_in(role, in_tenant=None)` → `(user, Console)`."""

    def make(role: str = "agent", in_tenant: Any = None) -> tuple[Any, Console]:
        user, _ = make_user(role, in_tenant=in_tenant)
        return user, console(user)

    return make
