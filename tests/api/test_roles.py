"""Roles: agents work tickets; supervisors also reassign and list users; admins manage
plugins and categories."""

from __future__ import annotations

import pytest

ALLOWED = {
    "agent": {"tickets", "me", "categories.read", "plugins.read"},
    "supervisor": {"tickets", "me", "categories.read", "plugins.read", "users"},
    "admin": {"tickets", "me", "categories.read", "plugins.read", "users", "categories.write", "plugins.write"},
    "superadmin": {"tickets", "me", "categories.read", "plugins.read", "users", "categories.write", "plugins.write"},
}
CALLS = {
    "tickets": ("get", "/api/v1/tickets", None),
    "me": ("get", "/api/v1/users/me", None),
    "categories.read": ("get", "/api/v1/categories", None),
    "plugins.read": ("get", "/api/v1/plugins", None),
    "users": ("get", "/api/v1/users", None),
    "categories.write": ("post", "/api/v1/categories", {"path": "售后/物流"}),
    "plugins.write": ("put", "/api/v1/plugins/nonexistent", {"enabled": True}),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_what_each_role_may_do(make_user, expect_error, role):
    _, api = make_user(role)
    for name, (method, path, body) in CALLS.items():
        response = getattr(api, method)(path, json=body)
        if name in ALLOWED[role]:
            # allowed: the route runs (an unknown plugin is 404, not 403)
            assert response.status_code in (200, 201, 404), (name, response.get_json())
            if response.status_code == 404:
                assert name == "plugins.write"
        else:
            expect_error(response, 403, "forbidden")


def test_me_tells_role_and_tenant(make_user, tenant):
    user, api = make_user("supervisor", name="李主管")
    me = api.get("/api/v1/users/me").get_json()
    assert (me["id"], me["email"], me["name"], me["role"]) == (user.id, user.email, "李主管", "supervisor")
    assert me["tenant"] == {"id": tenant.id, "slug": "acme", "name": "Acme 旗舰店"}
