"""Stamping, pausing, meeting and re-matching, end to end through the ticket service and the API.

The clock is frozen at Monday 2026-11-02 10:00 Shanghai; the default calendar opens
09:00–12:00 and 13:30–18:00 on weekdays with China's holidays.
"""

from __future__ import annotations

from typing import Any

from gongdan_sla.calendars import CN_YEARS
from gongdan_sla.models import SlaTicket

from gongdan import reconcile, tickets
from gongdan.actors import Actor
from gongdan.plugins import get_host

STANDARD = {"name": "Standard", "first_response": 60, "next_response": 120, "resolution": 480}
AGENT = Actor.system("agent")


def test_a_new_ticket_is_stamped_and_the_api_shows_the_block(configure: Any, admin_api: Any, look: Any) -> None:
    configure([STANDARD])
    created = admin_api.post("/api/v1/tickets", json={"subject": "破损"})
    assert created.status_code == 201, created.get_json()
    for block in (
        created.get_json()["sla"],
        admin_api.get(f"/api/v1/tickets/{created.get_json()['id']}").get_json()["sla"],
        admin_api.get("/api/v1/tickets").get_json()["items"][0]["sla"],
    ):
        assert block["policy"] == "Standard"
        assert block["state"] == "ok"
        assert block["first_response_due"] == look.utc(2026, 11, 2, 11, 0)
        # 480 business minutes: Monday 10:00–12:00, 13:30–18:00 (390), Tuesday 09:00–10:30 (90)
        assert block["resolution_due"] == look.utc(2026, 11, 3, 10, 30)
        assert block["next_response_due"] is None
        assert block["remaining_minutes"] == 60


def test_first_matching_policy_wins_on_tier_priority_channel_category_and_tags(
    configure: Any, new_ticket: Any, look: Any
) -> None:
    configure(
        [
            {"name": "VIP", "conditions": {"tier": ["vip"]}, "first_response": 15},
            {
                "name": "Urgent refunds",
                "conditions": {"priority": ["urgent"], "category": "售后"},
                "first_response": 20,
            },
            {"name": "Phone", "conditions": {"channel": ["phone"]}, "first_response": 25},
            {"name": "Broken", "conditions": {"tags": ["破损", "少件"]}, "first_response": 30},
            STANDARD,
        ]
    )
    vip = new_ticket(customer={"name": "王", "tier": "vip"}, priority="urgent", category="售后/退款/质量")
    refund = new_ticket(priority="urgent", category="售后/退款/质量")
    presale = new_ticket(priority="urgent", category="售前/咨询/尺码")
    phone = new_ticket(channel="phone", tags=["破损"])
    broken = new_ticket(tags=["少件"])
    plain = new_ticket()
    names = [look.row(t).policy_name for t in (vip, refund, presale, phone, broken, plain)]
    assert names == ["VIP", "Urgent refunds", "Standard", "Phone", "Broken", "Standard"]


def test_no_matching_policy_means_no_clocks(configure: Any, new_ticket: Any, look: Any) -> None:
    configure([{"name": "VIP", "conditions": {"tier": ["vip"]}, "first_response": 15}])
    sla_row = look.row(new_ticket())
    assert sla_row.policy_id is None
    assert sla_row.clocks == {}
    assert sla_row.next_check_at is None


def test_pending_pauses_and_open_resumes_with_the_time_left(
    configure: Any, tenant: Any, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    configure([STANDARD])
    ticket = new_ticket()
    frozen_clock.advance(minutes=30)  # 10:30: 30 of 60 first-response minutes spent
    tickets.transition(tenant, ticket, "open", AGENT)
    tickets.transition(tenant, ticket, "pending", AGENT)
    paused = look.row(ticket)
    assert paused.paused
    assert paused.state == "paused"
    assert paused.first_response_due is None
    assert paused.resolution_due is None
    assert paused.next_check_at is None
    assert look.events(ticket, "sla.paused")[0]["remaining_minutes"] == {"first_response": 30.0, "resolution": 450.0}
    frozen_clock.set(look.sh(2026, 11, 4, 9, 0))  # two days later the customer answers
    tickets.comment(tenant, ticket, "照片发您了", CUSTOMER_ACTOR, from_customer=True)
    resumed = look.row(ticket)
    assert not resumed.paused
    assert look.events(ticket, "sla.resumed")
    assert resumed.first_response_due == look.sh(2026, 11, 4, 9, 30)
    # 450 left from Wednesday 09:00: 180 before lunch, 270 after: exactly 18:00
    assert resumed.resolution_due == look.sh(2026, 11, 4, 18, 0)


def test_public_reply_meets_first_response_and_a_customer_reply_starts_next_response(
    configure: Any, tenant: Any, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    configure([STANDARD])
    ticket = new_ticket()
    frozen_clock.advance(minutes=20)
    tickets.comment(tenant, ticket, "内部备注", AGENT, internal=True)
    assert look.row(ticket).clocks["first_response"]["status"] == "running"
    tickets.comment(tenant, ticket, "您好，马上处理", AGENT)
    met = look.row(ticket)
    assert met.clocks["first_response"]["status"] == "met"
    assert met.clocks["first_response"]["breached"] is False
    assert met.first_response_due is None
    frozen_clock.advance(minutes=40)  # 11:00
    tickets.comment(tenant, ticket, "还没收到退款", CUSTOMER_ACTOR, from_customer=True)
    waiting = look.row(ticket)
    # 120 business minutes from 11:00: 60 before lunch, 60 after 13:30
    assert waiting.next_response_due == look.sh(2026, 11, 2, 14, 30)
    assert waiting.clocks["next_response"]["cycle"] == 1
    frozen_clock.set(look.sh(2026, 11, 2, 15, 0))
    tickets.comment(tenant, ticket, "已退款", AGENT)
    late = look.row(ticket).clocks["next_response"]
    assert late["status"] == "met"
    assert late["breached"] is True
    tickets.comment(tenant, ticket, "谢谢", CUSTOMER_ACTOR, from_customer=True)
    assert look.row(ticket).clocks["next_response"]["cycle"] == 2


def test_resolving_meets_everything_and_reopening_resumes_resolution(
    configure: Any, tenant: Any, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    configure([STANDARD])
    ticket = new_ticket()
    frozen_clock.advance(minutes=90)  # 11:30: first response (60) is late, resolution fine
    tickets.transition(tenant, ticket, "resolved", AGENT)
    done = look.row(ticket)
    assert done.clocks["first_response"]["breached"] is True
    assert done.clocks["resolution"]["status"] == "met"
    assert not done.clocks["resolution"]["breached"]
    assert done.state == "breached"
    assert done.next_check_at is None
    frozen_clock.set(look.sh(2026, 11, 5, 9, 0))
    tickets.transition(tenant, ticket, "open", AGENT)
    again = look.row(ticket)
    # 90 spent, 390 left from Thursday 09:00: 180 + 210 -> 17:00
    assert again.resolution_due == look.sh(2026, 11, 5, 17, 0)
    assert look.events(ticket, "sla.reopened")


def test_a_priority_change_picks_another_policy_and_keeps_the_time_spent(
    configure: Any, admin_api: Any, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    configure([{"name": "Urgent", "conditions": {"priority": ["urgent"]}, "first_response": 30}, STANDARD])
    ticket = new_ticket()
    assert look.row(ticket).policy_name == "Standard"
    frozen_clock.advance(minutes=10)
    answer = admin_api.patch(f"/api/v1/tickets/{ticket.id}", json={"priority": "urgent"})
    assert answer.status_code == 200, answer.get_json()
    switched = look.row(ticket)
    assert switched.policy_name == "Urgent"
    assert switched.first_response_due == look.sh(2026, 11, 2, 10, 30)
    assert "resolution" not in switched.clocks or switched.resolution_due is None
    assert look.events(ticket, "sla.policy_changed") == [{"from": "Standard", "to": "Urgent"}]


def test_a_marketplace_deadline_tightens_only_when_earlier(
    configure: Any, tenant: Any, new_ticket: Any, look: Any
) -> None:
    configure([STANDARD])
    ticket = new_ticket()
    later = look.sh(2026, 11, 9, 10, 0)
    tickets.announce_deadline(tenant, ticket, "resolution", later, "pdd_connector")
    assert look.row(ticket).resolution_due == look.sh(2026, 11, 3, 10, 30)
    earlier = look.sh(2026, 11, 2, 20, 0)
    tickets.announce_deadline(tenant, ticket, "resolution", earlier, "pdd_connector")
    assert look.row(ticket).resolution_due == earlier
    assert [e["tightened"] for e in look.events(ticket, "sla.deadline")] == [False, True]
    tickets.transition(tenant, ticket, "open", AGENT)
    tickets.transition(tenant, ticket, "pending", AGENT)
    assert look.row(ticket).resolution_due == earlier  # the platform's clock does not pause


def test_a_deadline_on_a_ticket_without_policy_still_gets_a_clock(
    sla: Any, tenant: Any, new_ticket: Any, look: Any
) -> None:
    ticket = new_ticket()
    deadline = look.sh(2026, 11, 3, 10, 0)
    tickets.announce_deadline(tenant, ticket, "resolution", deadline, "pdd_connector")
    sla_row = look.row(ticket)
    assert sla_row.resolution_due == deadline
    assert sla_row.next_check_at is not None
    assert sla_row.next_check_at < deadline


def test_saving_the_first_policies_gives_waiting_tickets_one(
    configure: Any, tenant: Any, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    configure([])
    early = new_ticket()
    assert look.row(early).policy_id is None
    frozen_clock.advance(minutes=20)
    configure([STANDARD])
    assert look.row(early).policy_name == "Standard"
    assert look.row(early).first_response_due == look.sh(2026, 11, 2, 11, 0)  # counted from creation


def test_reconcile_stamps_tickets_that_have_no_row(
    enable_plugin: Any, tenant: Any, new_ticket: Any, configure: Any, look: Any
) -> None:
    get_host().set_enabled(tenant, "sla", enabled=False)
    before = new_ticket()
    assert not SlaTicket.select().where(SlaTicket.ticket == before.id).exists()
    enable_plugin("sla")
    configure([STANDARD])
    reconcile.reconcile_tenant(tenant)
    assert look.row(before).first_response_due == look.sh(2026, 11, 2, 11, 0)
    reconcile.reconcile_tenant(tenant)
    assert SlaTicket.select().where(SlaTicket.ticket == before.id).count() == 1


CUSTOMER_ACTOR = Actor.system("channel:api")


def test_a_due_time_past_the_holiday_data_carries_a_warning(
    configure: Any, admin_api: Any, frozen_clock: Any, look: Any
) -> None:
    configure([{"name": "Slow", "resolution": 600}])
    frozen_clock.set(look.sh(CN_YEARS[1], 12, 31, 17, 0))
    created = admin_api.post("/api/v1/tickets", json={"subject": "年底的单"}).get_json()
    assert created["sla"]["resolution_due"].startswith(str(CN_YEARS[1] + 1))
    assert str(CN_YEARS[1] + 1) in created["sla"]["warnings"][0]


def test_the_demo_gets_a_calendar_policies_and_stamped_tickets(
    sla: Any, tenant: Any, new_ticket: Any, look: Any
) -> None:
    from gongdan_sla.plugin import gongdan_demo_prepared

    vip = new_ticket(customer={"name": "王女士", "tier": "vip"})
    gongdan_demo_prepared(tenant)
    assert look.row(vip).policy_name == "VIP"
    assert look.row(vip).first_response_due == look.sh(2026, 11, 2, 10, 30)


def test_resolving_without_a_reply_never_counts_a_response_target_met(
    configure: Any, tenant: Any, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    """Issue 16 bug 2: no reply → not applicable (in time) or missed (late), never met."""
    configure([STANDARD])
    quick, slow = new_ticket("一"), new_ticket("二")
    tickets.comment(tenant, quick, "内部备注", AGENT, internal=True)  # a note is not a response
    frozen_clock.advance(minutes=30)
    tickets.transition(tenant, quick, "resolved", AGENT)
    frozen_clock.advance(minutes=60)  # 11:30: slow's first response (60) is now late
    tickets.transition(tenant, slow, "resolved", AGENT)
    in_time, late = look.row(quick), look.row(slow)
    assert in_time.clocks["first_response"]["status"] == "not_applicable"
    assert in_time.clocks["first_response"]["met_at"] is None
    assert in_time.clocks["resolution"]["status"] == "met"
    assert late.clocks["first_response"]["status"] == "missed"
    assert late.clocks["first_response"]["breached"] is True
    assert look.events(quick, "sla.closed_unmet") == [{"targets": {"first_response": {"outcome": "not_applicable"}}}]


def test_a_case_a_connector_reports_already_finished_has_no_sla_outcome(
    configure: Any, tenant: Any, new_ticket: Any, look: Any
) -> None:
    """Issue 16 bug 2: a marketplace case that arrived resolved is neither met nor a success rate of 100%."""
    configure([STANDARD])
    ticket = new_ticket("退款成功")
    tickets.transition(tenant, ticket, "resolved", Actor.system("plugin:pdd_connector"))
    row = look.row(ticket)
    assert {s["status"] for s in row.clocks.values()} == {"not_applicable"}
    assert row.state == "not_applicable"
