"""The console translates the services' answers like the API (M2, M3), applies team
visibility everywhere, audits its changes (M5), and shows the audit log in words."""

from __future__ import annotations

from datetime import timedelta

from gongdan import tenant_settings, tickets, users
from gongdan.actors import Actor
from gongdan.models import ApiToken, Customer, Team, Ticket, TicketEvent, User

SYSTEM = Actor.system("channel:web")


def _last(kind: str) -> TicketEvent:
    return TicketEvent.select().where(TicketEvent.kind == kind).order_by(TicketEvent.id.desc()).first()


def _colleagues_ticket(tenant, make_user):
    colleague, _ = make_user("agent")
    ticket, _ = tickets.create(tenant, {"subject": "同事的工单"}, SYSTEM)
    tickets.assign(tenant, ticket, colleague.id, SYSTEM)
    return colleague, ticket


def test_console_assign_refuses_an_agent_reassigning_a_colleagues_ticket_like_the_api(signed_in, make_user, tenant):
    me, browser = signed_in("agent")
    colleague, ticket = _colleagues_ticket(tenant, make_user)
    browser.post("/console/language", {"lang": "en"})
    for value in (str(me.id), "", "auto"):
        page = browser.post(f"/console/tickets/{ticket.id}/assign", {"assignee_id": value}, follow_redirects=True)
        assert "reassigning a colleague&#39;s ticket needs the supervisor role" in page.get_data(as_text=True)
        assert Ticket.get_by_id(ticket.id).assignee_id == colleague.id, value
    browser.post("/console/language", {"lang": "zh_CN"})
    page = browser.post(f"/console/tickets/{ticket.id}/assign", {"assignee_id": ""}, follow_redirects=True)
    assert "改派同事的工单需要主管角色" in page.get_data(as_text=True)
    _, supervisor = signed_in("supervisor")
    supervisor.post(f"/console/tickets/{ticket.id}/assign", {"assignee_id": str(me.id)})
    assert Ticket.get_by_id(ticket.id).assignee_id == me.id


def test_console_bulk_assign_refuses_colleagues_tickets_and_does_the_rest(signed_in, make_user, tenant):
    me, browser = signed_in("agent")
    colleague, theirs = _colleagues_ticket(tenant, make_user)
    free, _ = tickets.create(tenant, {"subject": "没人管"}, SYSTEM)
    form = {"action": "assign", "value": str(me.id), "ids": [str(theirs.id), str(free.id)]}
    page = browser.post("/console/tickets/bulk", form, follow_redirects=True).get_data(as_text=True)
    assert f"#{theirs.id}: " in page
    assert Ticket.get_by_id(theirs.id).assignee_id == colleague.id
    assert Ticket.get_by_id(free.id).assignee_id == me.id
    browser.post("/console/tickets/bulk", {"action": "assign", "value": "", "ids": [str(theirs.id)]})
    assert Ticket.get_by_id(theirs.id).assignee_id == colleague.id


def test_the_token_page_hides_superadmins_and_refuses_minting_for_them(signed_in, make_user, tenant):
    _, admin = signed_in("admin")
    boss, _ = make_user("superadmin")
    agent, _ = make_user("agent")
    page = admin.text("/console/tokens/")
    assert boss.email not in page
    assert agent.email in page
    before = ApiToken.select().where(ApiToken.user == boss.id).count()
    refused = admin.post("/console/tokens/create", {"user_id": str(boss.id), "name": "后门"}, follow_redirects=True)
    assert ApiToken.select().where(ApiToken.user == boss.id).count() == before
    assert "gd_" not in refused.get_data(as_text=True).split("token-table")[0]
    boss_token = ApiToken.select().where(ApiToken.user == boss.id).first()
    admin.post(f"/console/tokens/{boss_token.id}/revoke")
    assert ApiToken.get_by_id(boss_token.id).revoked_at is None


def test_console_user_changes_go_through_the_service_checked_and_audited(signed_in, make_user, tenant):
    admin_user, admin = signed_in("admin")
    agent, _ = make_user("agent")
    team = Team.create(tenant=tenant, name="售后组")
    form = {"email": agent.email, "name": agent.name, "role": "supervisor", "team": str(team.id), "is_active": "y"}
    assert admin.post(f"/console/users/edit/?id={agent.id}", form).status_code == 302
    event = _last("user.changed")
    assert event.actor_id == admin_user.id
    assert event.data["changes"] == {"role": ["agent", "supervisor"], "team": [None, "售后组"]}
    admin.post(f"/console/users/edit/?id={agent.id}", {**form, "role": "superadmin"})
    assert User.get_by_id(agent.id).role == "supervisor"
    admin.post("/console/users/new/", {"email": "boss2@acme.example.com", "role": "superadmin", "is_active": "y"})
    assert User.get_or_none(User.email == "boss2@acme.example.com") is None
    admin.post("/console/users/new/", {"email": "new@acme.example.com", "role": "agent", "is_active": "y"})
    assert _last("user.created").data["user"] == "new@acme.example.com"
    assert _last("user.created").actor_id == admin_user.id


def test_team_and_customer_edits_are_audited_personal_values_hidden(signed_in, tenant):
    admin_user, admin = signed_in("admin")
    admin.post("/console/teams/new/", {"name": "资深组", "description": "难题"})
    team = Team.get(Team.name == "资深组")
    admin.post(f"/console/teams/edit/?id={team.id}", {"name": "专家组", "description": "难题"})
    changed = _last("team.changed")
    assert (changed.actor_id, changed.data["changes"]) == (admin_user.id, {"name": ["资深组", "专家组"]})
    ticket, _ = tickets.create(
        tenant, {"subject": "退款", "customer": {"name": "赵先生", "email": "zhao@example.com"}}, SYSTEM
    )
    form = {"name": "赵先生", "email": "zhao.new@example.com", "phone": "13800138000", "tier": "vip"}
    admin.post(f"/console/customers/edit/?id={ticket.customer_id}", form)
    event = _last("customer.changed")
    assert event.actor_id == admin_user.id
    assert event.data["changes"]["tier"] == ["normal", "vip"]
    assert event.data["changes"]["email"] == ["(hidden)", "(hidden)"]
    assert "zhao" not in str(event.data)
    assert "13800138000" not in str(event.data)
    assert Customer.get_by_id(ticket.customer_id).tier == "vip"


def test_team_visibility_in_the_console_list_ticket_page_dashboard_and_workspace(signed_in, make_user, tenant):
    after_sales = Team.create(tenant=tenant, name="售后组")
    Team.create(tenant=tenant, name="售前组")
    me, browser = signed_in("agent")
    me.team = after_sales
    me.save()
    own, _ = tickets.create(tenant, {"subject": "本组工单", "team": "售后组"}, SYSTEM)
    other, _ = tickets.create(tenant, {"subject": "别组工单", "team": "售前组"}, SYSTEM)
    tickets.create(tenant, {"subject": "无组工单"}, SYSTEM)
    assert "别组工单" in browser.text("/console/tickets/")
    admin_user, admin = signed_in("admin")
    admin.post("/console/settings/", {"team_visibility": "1"})
    assert Ticket.get_by_id(own.id).tenant.team_visibility is True
    event = _last("tenant.settings_changed")
    assert (event.actor_id, event.data["changes"]) == (admin_user.id, {"team_visibility": [False, True]})
    listing = browser.text("/console/tickets/")
    assert "本组工单" in listing
    assert "别组工单" not in listing
    assert "无组工单" not in listing
    assert browser.get(f"/console/tickets/{other.id}").status_code == 404
    assert browser.get(f"/console/tickets/{own.id}").status_code == 200
    dashboard = browser.text("/console/")
    assert '<div class="kpi" id="kpi-backlog">1</div>' in dashboard
    assert '<div class="kpi" id="kpi-backlog">3</div>' in admin.text("/console/")
    browser.post("/console/language", {"lang": "en"})
    assert "1 unassigned tickets waiting" in browser.text("/console/workspace/")
    assert browser.post("/console/workspace/take").status_code == 302
    assert Ticket.get_by_id(own.id).assignee_id == me.id
    assert Ticket.get_by_id(other.id).assignee_id is None
    assert browser.get("/console/settings/").status_code == 403


def test_the_audit_log_reads_in_words_in_both_languages_and_filters_by_form(signed_in, make_user, tenant, frozen_clock):
    admin_user, _ = make_user("admin")
    agent, _ = make_user("agent")
    users.change_user(agent, {"role": "supervisor"}, Actor.of(admin_user))
    frozen_clock.advance(days=2)
    tenant_settings.change(tenant, {"team_visibility": True}, Actor.of(admin_user))
    _, admin = signed_in("admin")
    admin.post("/console/language", {"lang": "en"})
    page = admin.text("/console/audit/")
    table = page.split('id="audit-table"')[1]
    assert "changed a user" in table
    assert "Role: Agent → Supervisor" in table
    assert "Agents see only their team&#39;s tickets: no → yes" in table
    assert "2026-11-02 10:00" in table  # the tenant's zone (Asia/Shanghai), not UTC
    assert "user.changed" not in table
    assert "{" not in table
    admin.post("/console/language", {"lang": "zh_CN"})
    zh = admin.text("/console/audit/").split('id="audit-table"')[1]
    assert "修改了用户" in zh
    assert "角色: 客服 → 主管" in zh
    by_kind = admin.text("/console/audit/?kind=tenant.settings_changed").split('id="audit-table"')[1]
    assert "修改了用户" not in by_kind
    assert "工作区设置" in by_kind
    today = (frozen_clock.now()).date().isoformat()
    by_date = admin.text(f"/console/audit/?from={today}&to={today}").split('id="audit-table"')[1]
    assert "修改了用户" not in by_date
    earlier = (frozen_clock.now() - timedelta(days=2)).date().isoformat()
    old = admin.text(f"/console/audit/?to={earlier}").split('id="audit-table"')[1]
    assert "修改了用户" in old
    assert "工作区设置" not in old
    by_actor = admin.text("/console/audit/?actor=nobody@example.com").split('id="audit-table"')[1]
    assert "修改了用户" not in by_actor
    bad = admin.get("/console/audit/?from=2026-13-45")
    assert bad.status_code == 400
    assert "请按 年-月-日 填写日期，例如 2026-12-01。" in bad.get_data(as_text=True)  # the page's language
    _, agent_console = signed_in("agent")
    assert agent_console.get("/console/audit/").status_code == 403
