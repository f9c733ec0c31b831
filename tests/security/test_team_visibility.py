"""With team visibility on, an agent reads nothing of another team's tickets through the features
that quote tickets: similar solved tickets (their subject and answer) and drafting an article from
a reply."""

from __future__ import annotations

from typing import Any

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import Team, Tenant, User


def test_similar_solved_tickets_of_another_team_are_not_shown(
    app: Any, tenant: Any, enable_plugin: Any, make_user: Any
) -> None:
    from gongdan.testing import ConsoleClient

    enable_plugin("knowledge")
    Tenant.update(team_visibility=True).where(Tenant.id == tenant.id).execute()
    tenant = Tenant.get_by_id(tenant.id)
    theirs, ours = Team.create(tenant=tenant, name="售后"), Team.create(tenant=tenant, name="售前")
    agent, api = make_user("agent")
    User.update(team=ours).where(User.id == agent.id).execute()
    colleague = Actor.of(make_user("agent")[0])
    system = Actor.system("channel:api")
    hidden, _ = tickets.create(tenant, {"subject": "积分兑换的奖品还没寄出", "team": str(theirs.id)}, system)
    tickets.comment(tenant, hidden, "VIP 客户张三的奖品已经补寄，单号 SF123", colleague)
    tickets.transition(tenant, hidden, "resolved", colleague)
    shown, _ = tickets.create(tenant, {"subject": "积分兑换奖品寄出了吗", "team": str(ours.id)}, system)
    tickets.comment(tenant, shown, "兑换的奖品会在7天内寄出。", colleague)
    tickets.transition(tenant, shown, "resolved", colleague)
    asking, _ = tickets.create(tenant, {"subject": "积分兑换奖品什么时候寄出", "team": str(ours.id)}, system)
    supervisor = make_user("supervisor")[1]
    everything = supervisor.get(f"/api/v1/tickets/{asking.id}/similar").get_json()["items"]
    assert {i["ticket_id"] for i in everything} == {hidden.id, shown.id}  # both are similar
    found = api.get(f"/api/v1/tickets/{asking.id}/similar").get_json()["items"]
    assert [i["ticket_id"] for i in found] == [shown.id]
    hidden_reply = next(i["comment_id"] for i in everything if i["ticket_id"] == hidden.id)
    drafted = api.post("/api/v1/kb/articles/from-comment", json={"comment_id": hidden_reply})
    assert drafted.status_code == 404, drafted.get_json()
    page = ConsoleClient(app, agent).text(f"/console/tickets/{asking.id}")
    assert "兑换的奖品会在7天内寄出" in page  # the panel is there, with what the agent may see
    assert "SF123" not in page
    boss = User.get(User.role == "supervisor")
    assert "SF123" in ConsoleClient(app, boss).text(f"/console/tickets/{asking.id}")


def test_a_reply_of_another_teams_ticket_is_not_sent_again_from_ours(app: Any, tenant: Any, make_user: Any) -> None:
    from gongdan.models import Delivery
    from gongdan.testing import ConsoleClient

    Tenant.update(team_visibility=True).where(Tenant.id == tenant.id).execute()
    theirs, ours = Team.create(tenant=tenant, name="售后"), Team.create(tenant=tenant, name="售前")
    agent, _ = make_user("agent")
    User.update(team=ours).where(User.id == agent.id).execute()
    system = Actor.system("channel:api")
    hidden, _ = tickets.create(tenant, {"subject": "别的组的", "team": str(theirs.id)}, system)
    mine, _ = tickets.create(tenant, {"subject": "我们组的", "team": str(ours.id)}, system)
    failed = {
        ticket.id: Delivery.create(tenant=tenant, ticket=ticket, channel="email", state="failed")
        for ticket in (hidden, mine)
    }
    console = ConsoleClient(app, agent)
    console.post(f"/console/tickets/{mine.id}/deliveries/{failed[hidden.id].id}/retry")
    assert Delivery.get_by_id(failed[hidden.id].id).state == "failed"
    console.post(f"/console/tickets/{mine.id}/deliveries/{failed[mine.id].id}/retry")
    assert Delivery.get_by_id(failed[mine.id].id).state == "queued"
