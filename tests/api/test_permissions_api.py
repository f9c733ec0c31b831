"""The API translates the services' permission answers (M2, M3), applies team visibility, and
the actions it offers are audited by their real actor (M5)."""

from __future__ import annotations

from typing import Any

from gongdan import tenant_settings, tickets
from gongdan.actors import Actor
from gongdan.models import Team, TicketEvent

SYSTEM = Actor.system("channel:web")


def _last(kind: str) -> TicketEvent:
    return TicketEvent.select().where(TicketEvent.kind == kind).order_by(TicketEvent.id.desc()).first()


def test_reassigning_a_colleagues_ticket_is_403_through_the_service(tenant, make_user):
    agent, api = make_user("agent")
    colleague, _ = make_user("agent")
    ticket, _ = tickets.create(tenant, {"subject": "破损"}, SYSTEM)
    tickets.assign(tenant, ticket, colleague.id, SYSTEM)
    for body in ({"assignee_id": agent.id}, {"assignee_id": None}, {}):
        answer = api.post(f"/api/v1/tickets/{ticket.id}/assign", json=body)
        assert answer.status_code == 403, body
        assert answer.get_json()["error"]["code"] == "forbidden"


def test_admins_never_list_superadmins(tenant, make_user):
    _, admin_api = make_user("admin")
    boss, boss_api = make_user("superadmin")
    hidden = admin_api.get("/api/v1/users?role=superadmin").get_json()
    assert (hidden["items"], hidden["total"]) == ([], 0)
    listed = admin_api.get("/api/v1/users").get_json()
    assert boss.email not in [u["email"] for u in listed["items"]]
    assert listed["total"] == len(listed["items"])
    assert boss.email in [u["email"] for u in boss_api.get("/api/v1/users").get_json()["items"]]


def test_team_visibility_in_the_api_list_search_counts_and_single_tickets(tenant, make_user):
    team = Team.create(tenant=tenant, name="售后组")
    Team.create(tenant=tenant, name="售前组")
    agent, api = make_user("agent")
    agent.team = team
    agent.save()
    own, _ = tickets.create(tenant, {"subject": "退货 破损", "team": "售后组"}, SYSTEM)
    other, _ = tickets.create(tenant, {"subject": "退货 咨询", "team": "售前组"}, SYSTEM)
    tickets.create(tenant, {"subject": "退货 未分组"}, SYSTEM)
    assert api.get("/api/v1/tickets?q=退货").get_json()["total"] == 3
    tenant_settings.change(tenant, {"team_visibility": True}, SYSTEM)
    listed = api.get("/api/v1/tickets?q=退货&per_page=1").get_json()
    assert listed["total"] == 1
    assert [t["id"] for t in listed["items"]] == [own.id]
    for path in ("", "/comments", "/events"):
        assert api.get(f"/api/v1/tickets/{other.id}{path}").status_code == 404, path
    assert api.post(f"/api/v1/tickets/{other.id}/comments", json={"body": "hi"}).status_code == 404
    assert api.get(f"/api/v1/tickets/{own.id}").status_code == 200
    _, supervisor_api = make_user("supervisor")
    assert supervisor_api.get("/api/v1/tickets").get_json()["total"] == 3


def test_category_creation_through_the_api_is_audited_by_the_admin(tenant, admin_api):
    assert admin_api.post("/api/v1/categories", json={"path": "售后/补寄"}).status_code == 201
    event = _last("category.created")
    assert (event.actor_id, event.data) == (admin_api.user.id, {"path": "售后/补寄"})


def test_sla_policy_and_calendar_edits_are_credited_to_the_admin(
    tenant: Any, enable_plugin: Any, admin_api: Any, frozen_clock: Any
) -> None:
    enable_plugin("sla")
    ticket, _ = tickets.create(tenant, {"subject": "等待 SLA"}, SYSTEM)
    body = {"items": [{"name": "Standard", "first_response": 60, "resolution": 480}]}
    assert admin_api.put("/api/v1/sla/policies", json=body).status_code == 200
    policies = _last("sla.policies_changed")
    assert policies.actor_id == admin_api.user.id
    assert policies.data["changes"]["Standard.first_response"] == [None, 60]
    switched = _last("sla.policy_changed")
    assert switched is not None
    assert switched.ticket_id == ticket.id
    assert switched.actor_label == admin_api.user.email  # not plugin:sla
    body["items"][0]["first_response"] = 30
    admin_api.put("/api/v1/sla/policies", json=body)
    assert _last("sla.policies_changed").data["changes"] == {"Standard.first_response": [60, 30]}
    weekly = {str(day): [["09:00", "18:00"]] for day in range(5)}
    calendar = {"items": [{"name": "default", "tz": "Asia/Shanghai", "weekly": weekly, "region": "CN"}]}
    assert admin_api.put("/api/v1/sla/calendars", json=calendar).status_code == 200
    calendars = _last("sla.calendars_changed")
    assert calendars.actor_id == admin_api.user.id
    assert "default.weekly" in calendars.data["changes"]


def test_knowledge_deletion_is_audited_and_needs_a_supervisor(tenant, enable_plugin, make_user):
    enable_plugin("knowledge")
    _, agent_api = make_user("agent")
    supervisor, supervisor_api = make_user("supervisor")
    created = supervisor_api.post("/api/v1/kb/articles", json={"title": "退货流程", "body": "七天无理由"})
    article = created.get_json()["id"]
    assert agent_api.delete(f"/api/v1/kb/articles/{article}").status_code == 403
    assert supervisor_api.delete(f"/api/v1/kb/articles/{article}").status_code == 204
    event = _last("knowledge.article_deleted")
    assert (event.actor_id, event.data["title"]) == (supervisor.id, "退货流程")


def test_pinduoduo_shop_credentials_and_gateway_changes_are_audited_without_secrets(
    tenant: Any, enable_plugin: Any, admin_api: Any, outbound_loopback: Any
) -> None:
    from gongdan_pdd_connector import shops

    enable_plugin("pdd_connector")
    fields = {
        "owner_id": "900001",
        "owner_name": "Acme 拼多多店",
        "client_id": "client-1",
        "client_secret": "s3cret-client-value",
        "access_token": "access-token-value",
        "refresh_token": "refresh-token-value",
        "gateway_url": "http://127.0.0.1:9/gateway",
    }
    shops.connect(tenant, fields, Actor.of(admin_api.user))
    connected = _last("pdd_connector.shop_connected")
    assert connected.actor_id == admin_api.user.id
    changed = {**fields, "client_secret": "another-secret-value", "gateway_url": "http://127.0.0.1:9/other"}
    shops.connect(tenant, changed, Actor.of(admin_api.user))
    event = _last("pdd_connector.shop_changed")
    assert event.data["changes"] == {
        "client_secret": ["(hidden)", "(hidden)"],
        "gateway_url": ["http://127.0.0.1:9/gateway", "http://127.0.0.1:9/other"],
    }
    trail = str([e.data for e in TicketEvent.select()])
    for secret in ("s3cret-client-value", "another-secret-value", "access-token-value", "refresh-token-value"):
        assert secret not in trail
