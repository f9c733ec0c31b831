"""Satisfaction: asked at each resolution, answered once, shown, followed up, reported (both databases)."""

from __future__ import annotations

import re
from typing import Any

from gongdan_portal import identity
from gongdan_portal.models import Survey

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import Team, Ticket, TicketEvent
from gongdan.testing import TEST_PASSWORD


def open_as_customer(browser: Any, tenant: Any, ticket: Any) -> None:
    """Give `browser` the ticket's access link."""
    assert browser.get(f"/t/{identity.access_token(tenant.id, ticket.id)}").status_code == 302


def test_a_rating_once_per_resolution_and_again_after_reopening(
    browser: Any, tenant: Any, customer_ticket: Any, make_user: Any
) -> None:
    agent, _ = make_user("agent")
    ticket = customer_ticket("buyer@example.com")
    tickets.assign(tenant, ticket, agent.id, Actor.of(agent))
    open_as_customer(browser, tenant, ticket)
    assert "How did we do?" not in browser.text(f"/requests/{ticket.id}"), "not asked before resolution"
    tickets.transition(tenant, Ticket.get_by_id(ticket.id), "resolved", Actor.of(agent))
    assert "How did we do?" in browser.text(f"/requests/{ticket.id}")
    rated = browser.post(f"/requests/{ticket.id}/rate", {"rating": "okay", "comment": "有点慢"})
    assert rated.status_code == 302
    again = browser.post(f"/requests/{ticket.id}/rate", {"rating": "satisfied"})
    assert again.status_code == 409
    page = browser.text(f"/requests/{ticket.id}")
    assert "How did we do?" not in page
    assert "You rated our answer: Okay" in page
    survey = Survey.get(Survey.ticket == ticket.id)
    assert (survey.score, survey.comment, survey.agent_id, survey.channel) == (3, "有点慢", agent.id, "portal")
    assert TicketEvent.get(TicketEvent.kind == "portal.csat").data == {"score": 3, "comment": "有点慢"}
    tickets.transition(tenant, Ticket.get_by_id(ticket.id), "open", Actor.of(agent))
    tickets.transition(tenant, Ticket.get_by_id(ticket.id), "resolved", Actor.of(agent))
    browser.get(f"/requests/{ticket.id}")
    assert browser.post(f"/requests/{ticket.id}/rate", {"rating": "satisfied"}).status_code == 302
    assert sorted(s.score for s in Survey.select()) == [3, 5]


def test_a_bad_rating_is_a_clear_422(browser: Any, tenant: Any, customer_ticket: Any) -> None:
    ticket = customer_ticket("buyer@example.com")
    tickets.transition(tenant, ticket, "resolved", Actor.system())
    open_as_customer(browser, tenant, ticket)
    browser.get(f"/requests/{ticket.id}")
    response = browser.post(f"/requests/{ticket.id}/rate", {"rating": "10"})
    assert response.status_code == 422
    assert "Please choose one of the three answers." in response.get_data(as_text=True)


def test_low_rating_opens_a_follow_up_for_supervisors(
    browser: Any, tenant: Any, portal: Any, customer_ticket: Any
) -> None:
    Team.create(tenant=tenant, name="主管组")
    portal({"low_rating_followup": True, "followup_team": "主管组"})
    ticket = customer_ticket("buyer@example.com", "退款没到账")
    tickets.transition(tenant, ticket, "resolved", Actor.system())
    open_as_customer(browser, tenant, ticket)
    browser.get(f"/requests/{ticket.id}")
    browser.post(f"/requests/{ticket.id}/rate", {"rating": "unsatisfied", "comment": "钱还没到"})
    child = Ticket.get(Ticket.parent == ticket.id)
    assert child.team.name == "主管组"
    assert "csat-followup" in child.tags
    assert child.description == "钱还没到"
    assert Survey.get(Survey.ticket == ticket.id).followup_id == child.id


def test_no_follow_up_unless_the_tenant_wants_it(browser: Any, tenant: Any, customer_ticket: Any) -> None:
    ticket = customer_ticket("buyer@example.com")
    tickets.transition(tenant, ticket, "resolved", Actor.system())
    open_as_customer(browser, tenant, ticket)
    browser.get(f"/requests/{ticket.id}")
    browser.post(f"/requests/{ticket.id}/rate", {"rating": "unsatisfied"})
    assert Ticket.select().where(Ticket.parent == ticket.id).count() == 0


def test_csat_report_groups_and_response_rate(
    browser: Any, tenant: Any, make_user: Any, customer_ticket: Any, frozen_clock: Any
) -> None:
    ann, _ = make_user("agent", name="Ann")
    bob, _ = make_user("agent", name="Bob")
    _, boss = make_user("supervisor")
    answers = [(ann, "satisfied"), (ann, "unsatisfied"), (bob, "okay"), (bob, None)]
    for agent, rating in answers:
        ticket = customer_ticket("buyer@example.com", channel="portal")
        tickets.assign(tenant, ticket, agent.id, Actor.of(agent))
        tickets.transition(tenant, Ticket.get_by_id(ticket.id), "resolved", Actor.of(agent))
        if rating:
            open_as_customer(browser, tenant, ticket)
            browser.get(f"/requests/{ticket.id}")
            assert browser.post(f"/requests/{ticket.id}/rate", {"rating": rating}).status_code == 302
    answer = boss.get("/api/v1/csat?from=2026-11-01&to=2026-11-02&group_by=agent").get_json()
    assert (answer["asked"], answer["answered"], answer["response_rate"], answer["score"]) == (4, 3, 0.75, 3.0)
    by_agent = {g["label"]: g for g in answer["groups"]}
    assert (by_agent["Ann"]["answered"], by_agent["Ann"]["score"], by_agent["Ann"]["satisfied"]) == (2, 3.0, 1)
    assert (by_agent["Bob"]["asked"], by_agent["Bob"]["response_rate"], by_agent["Bob"]["okay"]) == (2, 0.5, 1)
    by_channel = boss.get("/api/v1/csat?from=2026-11-01&to=2026-11-02&group_by=channel").get_json()
    assert [(g["key"], g["asked"]) for g in by_channel["groups"]] == [("portal", 4)]
    earlier = boss.get("/api/v1/csat?from=2026-10-01&to=2026-10-31").get_json()
    assert earlier["asked"] == 0
    assert earlier["response_rate"] is None


def test_csat_report_rejects_bad_queries_and_agents(make_user: Any, portal: Any) -> None:
    _, boss = make_user("supervisor")
    _, agent = make_user("agent")
    bad = boss.get("/api/v1/csat?group_by=weather")
    assert bad.status_code == 422
    assert "group_by" in bad.get_json()["error"]["fields"]
    assert boss.get("/api/v1/csat?from=yesterday").status_code == 422
    assert boss.get("/api/v1/csat?from=2026-11-05&to=2026-11-01").status_code == 422
    assert agent.get("/api/v1/csat").status_code == 403


def test_csat_report_is_per_tenant(
    browser: Any, tenant: Any, other_tenant: Any, portal: Any, make_user: Any, customer_ticket: Any
) -> None:
    portal(in_tenant=other_tenant)
    theirs = customer_ticket("buyer@example.com", in_tenant=other_tenant)
    tickets.transition(other_tenant, theirs, "resolved", Actor.system())
    _, boss = make_user("supervisor")
    assert boss.get("/api/v1/csat").get_json()["asked"] == 0


def test_console_ticket_page_shows_the_rating(
    app: Any, browser: Any, tenant: Any, make_user: Any, customer_ticket: Any
) -> None:
    ticket = customer_ticket("buyer@example.com")
    tickets.transition(tenant, ticket, "resolved", Actor.system())
    open_as_customer(browser, tenant, ticket)
    browser.get(f"/requests/{ticket.id}")
    browser.post(f"/requests/{ticket.id}/rate", {"rating": "satisfied", "comment": "谢谢小王"})
    admin, _ = make_user("admin")
    console = app.test_client()
    login = console.get("/console/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login.get_data(as_text=True)).group(1)
    signed = console.post("/console/login", data={"email": admin.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert signed.status_code == 302
    html = console.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert "Customer satisfaction" in html
    assert "Satisfied" in html
    assert "谢谢小王" in html


def test_the_customer_card_shows_their_ratings(browser: Any, tenant: Any, customer_ticket: Any, make_user: Any) -> None:
    """`gongdan_customer_ratings`: the answers of this customer only, newest first, in words."""
    _, api = make_user("agent")
    ticket = customer_ticket("buyer@example.com")
    other = customer_ticket("someone-else@example.com")
    for rated, words in ((ticket, "unsatisfied"), (other, "satisfied")):
        tickets.transition(tenant, Ticket.get_by_id(rated.id), "resolved", Actor.system())
        open_as_customer(browser, tenant, rated)
        browser.get(f"/requests/{rated.id}")
        assert browser.post(f"/requests/{rated.id}/rate", {"rating": words, "comment": "太慢"}).status_code == 302
    card = api.get(f"/api/v1/customers/{ticket.customer_id}/card", headers={"Accept-Language": "zh-CN"}).get_json()
    assert [(r["ticket_id"], r["score"], r["words"], r["comment"]) for r in card["ratings"]] == [
        (ticket.id, 1, "不满意", "太慢")
    ]
    assert card["average_score"] == 1.0


def test_the_demo_history_comes_with_ratings(tenant: Any, portal: Any, make_user: Any) -> None:
    """`gongdan_demo_history_built`: most past resolutions are rated, dated after them, mixed."""
    from gongdan import demo_history, hooks

    agents = [make_user("agent", name=f"客服{n}")[0] for n in range(2)]
    demo_history.build(tenant, agents, days=20)
    hooks.demo_history_built(tenant, list(Ticket.of(tenant)))
    asked = list(Survey.select())
    rated = [s for s in asked if s.score is not None]
    assert len(asked) >= 10
    assert 0.4 <= len(rated) / len(asked) <= 0.9
    assert {s.score for s in rated} >= {5, 3}
    assert all(s.resolved_at < s.rated_at for s in rated)
    events = TicketEvent.select().where(TicketEvent.kind == "portal.csat")
    assert {e.ticket_id for e in events} == {s.ticket_id for s in rated}
