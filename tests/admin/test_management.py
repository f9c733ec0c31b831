"""Management views: users, teams, skills, customers, categories, API tokens, audit log, tenants."""

from __future__ import annotations

from gongdan import accounts, customers, tickets
from gongdan.actors import Actor
from gongdan.models import AgentSkill, ApiToken, Category, Skill, Team, Tenant, User


def test_admins_create_users_of_their_tenant_with_hashed_passwords(signed_in, console, tenant, make_user, frozen_clock):
    _, admin = signed_in("admin")
    team = Team.create(tenant=tenant, name="售后组")
    response = admin.post(
        "/console/users/new/",
        {
            "email": "Li.Na@Acme.example.com",
            "name": "李娜",
            "role": "agent",
            "team": str(team.id),
            "is_active": "y",
            "password": "s3cret-pass",
        },
    )
    assert response.status_code == 302
    user = User.get(User.email == "li.na@acme.example.com")
    assert user.tenant_id == tenant.id
    assert user.team_id == team.id
    assert user.password_hash
    assert "s3cret-pass" not in user.password_hash
    assert accounts.check_password(user, "s3cret-pass")
    assert console().login(user.email, "s3cret-pass").status_code == 302
    _, admin = signed_in("admin")
    admin.post("/console/users/new/", {"email": "x@acme.example.com", "role": "agent", "password": "short"})
    assert User.get_or_none(User.email == "x@acme.example.com") is None
    locked, _ = make_user("agent")
    User.update(failed_logins=0, locked_until=frozen_clock.now()).where(User.id == locked.id).execute()
    _, admin = signed_in("admin")
    admin.post(
        f"/console/users/edit/?id={locked.id}",
        {"email": locked.email, "name": locked.name, "role": "agent", "is_active": "y", "unlock": "y"},
    )
    assert User.get_by_id(locked.id).locked_until is None


def test_teams_skills_and_agent_skills_belong_to_the_tenant(signed_in, make_user, tenant, other_tenant):
    _, admin = signed_in("admin")
    agent, _ = make_user("agent")
    admin.post("/console/teams/new/", {"name": "资深组", "description": "难题"})
    admin.post("/console/skills/new/", {"name": "退货退款"})
    team, skill = Team.get(Team.name == "资深组"), Skill.get(Skill.name == "退货退款")
    assert team.tenant_id == skill.tenant_id == tenant.id
    theirs = Skill.create(tenant=other_tenant, name="他们的技能")
    page = admin.text("/console/agent_skills/new/")
    assert "他们的技能" not in page
    admin.post("/console/agent_skills/new/", {"user": str(agent.id), "skill": str(theirs.id), "level": "3"})
    assert AgentSkill.select().count() == 0
    admin.post("/console/agent_skills/new/", {"user": str(agent.id), "skill": str(skill.id), "level": "4"})
    assert AgentSkill.get().level == 4


def test_supervisors_manage_customers(signed_in, tenant):
    _, supervisor = signed_in("supervisor")
    supervisor.post("/console/customers/new/", {"name": "赵先生", "email": "zhao@example.com", "tier": "vip"})
    customer = customers.by_email(tenant, "Zhao@Example.com")  # the blind index: exact, any case
    assert customer.tenant_id == tenant.id
    assert "赵先生" in supervisor.text("/console/customers/?search=zhao@example.com")
    assert "赵先生" in supervisor.text("/console/customers/?search=赵")


def test_the_category_tree(signed_in, tenant):
    _, admin = signed_in("admin")
    admin.post("/console/categories/add", {"path": "售后/退货退款/质量问题"})
    admin.post("/console/categories/add", {"path": "售后/换货/尺码不合适"})
    admin.post("/console/categories/add", {"path": "售后//"})
    assert sorted(c.path for c in Category.of(tenant)) == [
        "售后",
        "售后/换货",
        "售后/换货/尺码不合适",
        "售后/退货退款",
        "售后/退货退款/质量问题",
    ]
    page = admin.text("/console/categories/")
    assert page.index("售后") < page.index("换货") < page.index("尺码不合适")
    assert "Not done" in page
    used = Category.get(Category.path == "售后/退货退款/质量问题")
    tickets.create(tenant, {"subject": "破损", "category": used.path}, Actor.system("t"))
    admin.post(f"/console/categories/{Category.get(Category.path == '售后/退货退款').id}/delete")
    assert Category.get_or_none(Category.path == "售后/退货退款") is not None
    admin.post(f"/console/categories/{Category.get(Category.path == '售后/换货').id}/delete")
    assert Category.get_or_none(Category.path == "售后/换货/尺码不合适") is None


def test_api_tokens_are_shown_once_and_revoked_at_once(signed_in, make_user, tenant, client):
    agent, _ = make_user("agent")
    _, admin = signed_in("admin")
    response = admin.post("/console/tokens/create", {"user_id": str(agent.id), "name": "脚本"})
    assert response.status_code == 201
    token = response.get_data(as_text=True).split('<code class="h5">')[1].split("</code>")[0]
    assert token.startswith("gd_")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users/me", headers=headers).get_json()["email"] == agent.email
    listing = admin.text("/console/tokens/")
    assert token not in listing
    assert token[:10] in listing
    row = ApiToken.get(ApiToken.name == "脚本")
    admin.post(f"/console/tokens/{row.id}/revoke")
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_the_audit_log_lists_and_filters_events_read_only(signed_in, tenant, other_tenant):
    ticket, _ = tickets.create(tenant, {"subject": "审计"}, Actor.system("channel:web"))
    tickets.transition(tenant, ticket, "resolved", Actor.system("supervisor-bot"))
    tickets.create(other_tenant, {"subject": "别家"}, Actor.system("channel:other"))
    _, supervisor = signed_in("supervisor")
    page = supervisor.text("/console/audit/")
    assert "status_changed" not in page.split('id="audit-table"')[1]  # kinds in words, not codes
    assert "channel:web" in page
    assert "channel:other" not in page
    filtered = supervisor.text("/console/audit/?actor=supervisor-bot")
    assert "Resolved" in filtered or "已解决" in filtered
    assert "channel:web" not in filtered.split('id="audit-table"')[1]
    assert supervisor.get("/console/audit/new/").status_code == 404
    assert supervisor.post("/console/audit/").status_code == 405


def test_superadmins_manage_tenants(signed_in, tenant):
    _, boss = signed_in("superadmin")
    boss.post(
        "/console/tenants/new/",
        {"slug": "initech", "name": "Initech 店", "timezone": "Asia/Shanghai", "language": "zh_CN"},
    )
    assert Tenant.get(Tenant.slug == "initech").name == "Initech 店"
    assert "Initech 店" in boss.text("/console/tenants/")
