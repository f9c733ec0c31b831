"""The ticket list (filters, search, sort, bulk actions) and the ticket page."""

from __future__ import annotations

import re

import pytest

from gongdan import categories, tickets
from gongdan.actors import Actor
from gongdan.models import Comment, Team, TicketEvent


def _create(tenant, subject, **extra):
    ticket, _ = tickets.create(tenant, {"subject": subject, "channel": "web", **extra}, Actor.system("test"))
    return ticket


def _subjects(html: str) -> list[str]:
    return re.findall(r'<a href="/console/tickets/\d+">([^<]+)</a>', html)


@pytest.fixture
def three(tenant):
    """Three tickets of different priority and channel, oldest first."""
    return [
        _create(tenant, "物流停滞", priority="low", channel="email"),
        _create(tenant, "收到破损商品", priority="urgent", tags=["破损"]),
        _create(tenant, "想开发票", priority="normal", channel="phone", description="增值税专用发票"),
    ]


def test_the_list_filters_searches_and_sorts(signed_in, three, tenant):
    agent, browser = signed_in("agent")
    assert _subjects(browser.text("/console/tickets/")) == ["想开发票", "收到破损商品", "物流停滞"]
    assert _subjects(browser.text("/console/tickets/?sort=created_at")) == ["物流停滞", "收到破损商品", "想开发票"]
    assert _subjects(browser.text("/console/tickets/?sort=priority"))[0] == "收到破损商品"
    assert _subjects(browser.text("/console/tickets/?priority=urgent")) == ["收到破损商品"]
    assert _subjects(browser.text("/console/tickets/?channel=email")) == ["物流停滞"]
    assert _subjects(browser.text("/console/tickets/?q=增值税")) == ["想开发票"]
    assert _subjects(browser.text(f"/console/tickets/?q=%23{three[0].number}")) == ["物流停滞"]
    tickets.assign(tenant, three[1], agent.id, Actor.system("test"))
    assert _subjects(browser.text("/console/tickets/?assignee=me")) == ["收到破损商品"]
    assert _subjects(browser.text("/console/tickets/?assignee=none")) == ["想开发票", "物流停滞"]
    assert _subjects(browser.text("/console/tickets/?status=resolved")) == []
    assert _subjects(browser.text("/console/tickets/?tag=破损")) == ["收到破损商品"]
    assert _subjects(browser.text("/console/tickets/?tag=破")) == []


def test_bulk_actions_go_through_the_ticket_service(signed_in, make_user, three, tenant):
    _, browser = signed_in("supervisor")
    agent, _ = make_user("agent")
    ids = [str(t.id) for t in three[:2]]
    browser.post("/console/tickets/bulk", {"action": "assign", "value": str(agent.id), "ids": ids})
    browser.post("/console/tickets/bulk", {"action": "tag", "value": "加急", "ids": ids})
    response = browser.post("/console/tickets/bulk", {"action": "status", "value": "pending", "ids": ids})
    assert response.status_code == 302
    for ticket in three[:2]:
        fresh = tickets.get(tenant, ticket.id)
        assert fresh.assignee_id == agent.id
        assert "加急" in fresh.tags
        kinds = [e.kind for e in TicketEvent.select().where(TicketEvent.ticket == ticket)]
        assert "assigned" in kinds
        assert "updated" in kinds
    # new -> pending is not allowed: the service refuses and the page says so
    assert tickets.get(tenant, three[0].id).status == "new"
    assert "Not done" in browser.text("/console/tickets/")
    assert tickets.get(tenant, three[2].id).assignee_id is None


def test_the_ticket_page_shows_conversation_and_events_on_one_timeline(signed_in, tenant):
    agent, browser = signed_in("agent")
    ticket = _create(tenant, "鞋子偏小", description="想换大一码")
    tickets.comment(tenant, ticket, "请问有43码吗", Actor.system("customer"), from_customer=True)
    browser.post(f"/console/tickets/{ticket.id}/comment", {"body": "有的，已为您登记换货", "internal": "0"})
    browser.post(f"/console/tickets/{ticket.id}/comment", {"body": "仓库确认有货", "internal": "1"})
    browser.post(f"/console/tickets/{ticket.id}/transition", {"to": "pending"})
    tickets.record_event(tenant, ticket, "widget.noticed", {"why": "test"}, Actor.system("plugin:widget"))
    page = browser.text(f"/console/tickets/{ticket.id}")
    timeline = page[page.index('id="timeline"') :]
    order = [
        timeline.index(s) for s in ("请问有43码吗", "有的，已为您登记换货", "仓库确认有货", "Pending", "widget.noticed")
    ]
    assert order == sorted(order)
    assert 'class="note"' in timeline
    assert 'class="plugin-event"' in timeline
    fresh = tickets.get(tenant, ticket.id)
    assert fresh.status == "pending"
    assert fresh.first_response_at is not None
    notes = list(Comment.select().where(Comment.ticket == ticket).order_by(Comment.id))
    assert [c.internal for c in notes] == [False, False, True]
    assert notes[1].author_id == agent.id


def test_illegal_transitions_and_empty_replies_are_explained_not_applied(signed_in, tenant):
    _, browser = signed_in("agent")
    ticket = _create(tenant, "测试")
    response = browser.post(f"/console/tickets/{ticket.id}/transition", {"to": "closed"})
    assert response.status_code == 302
    assert "Not done" in browser.text(f"/console/tickets/{ticket.id}")
    assert tickets.get(tenant, ticket.id).status == "new"
    _, browser = signed_in("agent")
    ticket = _create(tenant, "测试")
    browser.post(f"/console/tickets/{ticket.id}/comment", {"body": "   "})
    assert Comment.select().where(Comment.ticket == ticket).count() == 0
    assert "must not be blank" in browser.text(f"/console/tickets/{ticket.id}")


def test_assignment_and_details_forms(signed_in, make_user, tenant):
    me, browser = signed_in("agent")
    colleague, _ = make_user("agent")
    Team.create(tenant=tenant, name="售后组")
    categories.ensure(tenant, "售后/退货退款/质量问题")
    ticket = _create(tenant, "测试")
    browser.post(f"/console/tickets/{ticket.id}/assign", {"assignee_id": str(me.id)})
    assert tickets.get(tenant, ticket.id).assignee_id == me.id
    browser.post(f"/console/tickets/{ticket.id}/assign", {"assignee_id": str(colleague.id)})
    assert tickets.get(tenant, ticket.id).assignee_id == colleague.id
    refused = browser.post(f"/console/tickets/{ticket.id}/assign", {"assignee_id": ""}, follow_redirects=True)
    assert tickets.get(tenant, ticket.id).assignee_id == colleague.id  # a colleague's ticket: supervisors only
    assert "Not done" in refused.get_data(as_text=True) or "未完成" in refused.get_data(as_text=True)
    browser.post(
        f"/console/tickets/{ticket.id}/update",
        {"priority": "high", "category": "售后/退货退款/质量问题", "team": "售后组", "tags": "破损，加急"},
    )
    fresh = tickets.get(tenant, ticket.id)
    assert fresh.priority == "high"
    assert fresh.category.path == "售后/退货退款/质量问题"
    assert fresh.team.name == "售后组"
    assert fresh.tags == ["破损", "加急"]


def test_the_ticket_page_shows_the_customer_and_opens_follow_ups(signed_in, tenant):
    _, browser = signed_in("agent")
    customer = {"name": "赵先生", "email": "zhao@example.com", "tier": "vip"}
    earlier = _create(tenant, "上次的发票", customer=customer)
    ticket = _create(tenant, "羽绒服破洞", customer=customer)
    page = browser.text(f"/console/tickets/{ticket.id}")
    assert "z***@example.com" in page  # contact details masked (docs/security.md, customer data)
    assert "zhao@example.com" not in page
    assert f"#{earlier.number} 上次的发票" in page
    response = browser.post(f"/console/tickets/{ticket.id}/followup", {"subject": "联系仓库补发"})
    child = tickets.get(tenant, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert child.parent_id == ticket.id
    assert child.subject == "联系仓库补发"
    assert "联系仓库补发" in browser.text(f"/console/tickets/{ticket.id}")
    assert "羽绒服破洞" in browser.text(f"/console/tickets/{child.id}")


def test_a_panel_that_raises_is_left_out_and_recorded(register_plugin, signed_in, tenant):
    from gongdan.hookspecs import hookimpl
    from gongdan.models import PluginFailure

    class Broken:
        @hookimpl
        def gongdan_ticket_panels(self, tenant, ticket, user):
            raise RuntimeError("panel exploded")

    register_plugin(Broken(), "broken_panel")
    _, browser = signed_in("agent")
    ticket = _create(tenant, "测试")
    assert 'id="timeline"' in browser.text(f"/console/tickets/{ticket.id}")
    assert PluginFailure.get(PluginFailure.plugin == "broken_panel").hook == "gongdan_ticket_panels"


def test_a_two_level_category_is_offered_and_kept(signed_in, tenant):
    _, browser = signed_in("agent")
    categories.ensure(tenant, "售后/补寄")
    ticket = tickets.create(tenant, {"subject": "少件", "category": "售后/补寄"}, Actor.system("test"))[0]
    page = browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert '<option value="售后/补寄" selected>' in page
