"""Who may open what: every view × every role, and tenants crossed by typing URLs."""

from __future__ import annotations

import pytest

from gongdan import accounts, categories, tickets
from gongdan.actors import Actor
from gongdan.admin.base import ROLE_RANK
from gongdan.models import ApiToken, Category, Team

# view URL -> least role that may open it
VIEWS = {
    "/console/": "agent",
    "/console/workspace/": "agent",
    "/console/tickets/": "agent",
    "/console/customers/": "supervisor",
    "/console/audit/": "supervisor",
    "/console/plugins/": "admin",
    "/console/users/": "admin",
    "/console/users/new/": "admin",
    "/console/teams/": "admin",
    "/console/skills/": "admin",
    "/console/agent_skills/": "admin",
    "/console/categories/": "admin",
    "/console/tokens/": "admin",
    "/console/tenants/": "superadmin",
    "/console/tenants/new/": "superadmin",
}


@pytest.mark.parametrize("role", ["agent", "supervisor", "admin", "superadmin"])
def test_each_role_opens_and_sees_in_the_menu_exactly_the_views_it_is_allowed(signed_in, role):
    _, browser = signed_in(role)
    for url, least in VIEWS.items():
        expected = 200 if ROLE_RANK[role] >= ROLE_RANK[least] else 403
        response = browser.get(url)
        assert response.status_code == expected, (role, url, response.status_code)
    menu = browser.text("/console/")
    for url, least in VIEWS.items():
        if not url.endswith("/new/") and url != "/console/":
            assert (f'href="{url}"' in menu) == (ROLE_RANK[role] >= ROLE_RANK[least]), (role, url)


def test_forms_that_change_things_check_the_role_too(signed_in, tenant):
    _, agent = signed_in("agent")
    assert agent.post("/console/plugins/assignment/toggle", {"enabled": "1"}).status_code == 403
    assert agent.post("/console/tokens/create", {"user_id": "1"}).status_code == 403
    assert agent.post("/console/categories/add", {"path": "a/b/c"}).status_code == 403
    assert agent.post("/console/tenant", {"tenant_id": str(tenant.id)}).status_code == 403
    assert Category.of(tenant).count() == 0


def _ticket(tenant, subject="别人的工单"):
    ticket, _ = tickets.create(tenant, {"subject": subject, "channel": "web"}, Actor.system("test"))
    return ticket


def test_another_tenants_ticket_is_not_found_by_url(signed_in, tenant, other_tenant):
    theirs = _ticket(other_tenant)
    _, agent = signed_in("agent")
    assert agent.get(f"/console/tickets/{theirs.id}").status_code == 404
    assert agent.post(f"/console/tickets/{theirs.id}/comment", {"body": "hi"}).status_code == 404
    assert agent.post(f"/console/tickets/{theirs.id}/transition", {"to": "resolved"}).status_code == 404
    assert agent.post(f"/console/tickets/{theirs.id}/assign", {"assignee_id": ""}).status_code == 404
    assert "别人的工单" not in agent.text("/console/tickets/")
    assert tickets.get(other_tenant, theirs.id).status == "new"
    theirs = _ticket(other_tenant)
    _, agent = signed_in("agent")
    agent.post("/console/tickets/bulk", {"action": "status", "value": "resolved", "ids": [str(theirs.id)]})
    assert tickets.get(other_tenant, theirs.id).status == "new"


def test_admins_cannot_reach_another_tenants_rows_by_url(signed_in, make_user, tenant, other_tenant):
    stranger, _ = make_user("agent", in_tenant=other_tenant)
    their_team = Team.create(tenant=other_tenant, name="外部组")
    their_category, _ = categories.ensure(other_tenant, "售后/换货/尺码")
    their_token, _ = accounts.create_token(stranger)
    _, admin = signed_in("admin")
    assert stranger.email not in admin.text("/console/users/")
    edit = admin.get(f"/console/users/edit/?id={stranger.id}")
    assert edit.status_code == 302
    assert stranger.email not in edit.get_data(as_text=True)
    assert admin.get(f"/console/teams/edit/?id={their_team.id}").status_code == 302
    admin.post(f"/console/teams/edit/?id={their_team.id}", {"name": "hijacked"})
    assert Team.get_by_id(their_team.id).name == "外部组"
    admin.post("/console/teams/delete/", {"id": str(their_team.id)})
    assert Team.get_or_none(Team.id == their_team.id) is not None
    assert admin.post(f"/console/categories/{their_category.id}/delete").status_code == 404
    assert admin.post(f"/console/tokens/{their_token.id}/revoke").status_code == 404
    assert ApiToken.get_by_id(their_token.id).revoked_at is None
    assert stranger.email not in admin.text("/console/tokens/")


def test_admins_see_no_superadmin_and_cannot_grant_the_role(signed_in, make_user, tenant):
    boss, _ = make_user("superadmin")
    _, admin = signed_in("admin")
    assert boss.email not in admin.text("/console/users/")
    assert admin.get(f"/console/users/edit/?id={boss.id}").status_code == 302
    admin.post("/console/users/new/", {"email": "climber@acme.example.com", "role": "superadmin", "is_active": "y"})
    assert "climber@acme.example.com" not in admin.text("/console/users/")


def test_a_superadmin_switches_tenant_and_sees_only_that_tenant(signed_in, tenant, other_tenant):
    _ticket(tenant, "本店工单")
    _ticket(other_tenant, "对方工单")
    _, boss = signed_in("superadmin")
    page = boss.text("/console/tickets/")
    assert "本店工单" in page
    assert "对方工单" not in page
    assert 'id="tenant-switcher"' in page
    assert boss.post("/console/tenant", {"tenant_id": str(other_tenant.id)}).status_code == 302
    page = boss.text("/console/tickets/")
    assert "对方工单" in page
    assert "本店工单" not in page
    assert boss.post("/console/tenant", {"tenant_id": "999999"}).status_code == 404
    _, admin = signed_in("admin")
    assert 'id="tenant-switcher"' not in admin.text("/console/")
