"""The ticket service: validation, idempotent create, the state machine, comments, assignment."""

import pytest

from gongdan import categories, clock, tickets
from gongdan.actors import Actor
from gongdan.errors import Conflict, InvalidTransition, NotFound, ValidationError
from gongdan.models import Customer, Ticket, TicketEvent

SYSTEM = Actor.system("test")


def make(tenant, **fields):
    data = {"subject": "收到的商品破损", **fields}
    return tickets.create(tenant, data, SYSTEM)[0]


def kinds(ticket):
    return [e.kind for e in TicketEvent.select().where(TicketEvent.ticket == ticket).order_by(TicketEvent.id)]


def test_numbers_are_per_tenant(tenant, other_tenant):
    assert [make(tenant).number for _ in range(3)] == [1, 2, 3]
    assert make(other_tenant).number == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "subject"),
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": "ok", "priority": "asap"}, "priority"),
        ({"subject": "ok", "channel": "carrier-pigeon"}, "channel"),
        ({"subject": "ok", "category": "售后/不存在"}, "category"),
        ({"subject": "ok", "customer": {"email": "not-an-email"}}, "customer.email"),
        ({"subject": "ok", "external_ref": {"system": "pdd"}}, "external_ref.id"),
        ({"subject": "ok", "surprise": 1}, "surprise"),
    ],
)
def test_create_rejects_bad_input_naming_the_field(tenant, data, field):
    with pytest.raises(ValidationError) as caught:
        tickets.create(tenant, data, SYSTEM)
    assert field in caught.value.fields
    assert Ticket.select().count() == 0


def test_create_with_category_customer_and_tags(tenant):
    categories.ensure(tenant, "售后/退货退款/质量问题")
    ticket = make(
        tenant,
        category="售后/退货退款/质量问题",
        tags=["破损", "破损", " 加急 "],
        customer={"name": "赵先生", "email": "zhao@example.com", "tier": "vip", "external_id": "u1"},
    )
    assert ticket.category.path == "售后/退货退款/质量问题"
    assert ticket.tags == ["破损", "加急"]
    assert ticket.customer.tier == "vip"
    again = make(tenant, customer={"external_id": "u1", "name": "赵先生"})
    assert again.customer_id == ticket.customer_id
    assert Customer.select().count() == 1


def test_same_external_ref_updates_instead_of_duplicating(tenant, hook_recorder):
    ref = {"system": "pdd", "id": "7381745730"}
    first, created = tickets.create(tenant, {"subject": "退款申请", "external_ref": ref}, SYSTEM)
    second, created_again = tickets.create(tenant, {"subject": "退款申请（已修改）", "external_ref": ref}, SYSTEM)
    assert created
    assert not created_again
    assert second.id == first.id
    assert Ticket.select().count() == 1
    assert tickets.get(tenant, first.id).subject == "退款申请（已修改）"
    assert kinds(first) == ["created", "updated"]
    assert hook_recorder.calls("gongdan_ticket_updated")[0]["changes"]["subject"] == ["退款申请", "退款申请（已修改）"]


def test_external_ref_is_unique_per_tenant_only(tenant, other_tenant):
    ref = {"system": "pdd", "id": "1"}
    a, _ = tickets.create(tenant, {"subject": "a", "external_ref": ref}, SYSTEM)
    b, created = tickets.create(other_tenant, {"subject": "b", "external_ref": ref}, SYSTEM)
    assert created
    assert a.id != b.id


def test_other_tenants_ticket_is_not_found(tenant, other_tenant):
    ticket = make(tenant)
    with pytest.raises(NotFound):
        tickets.get(other_tenant, ticket.id)
    with pytest.raises(NotFound):
        tickets.get(tenant, "abc")


ALLOWED = [
    ("new", "open"),
    ("open", "pending"),
    ("pending", "open"),
    ("resolved", "open"),
    ("new", "resolved"),
    ("open", "resolved"),
    ("pending", "resolved"),
    ("resolved", "closed"),
]
PATHS = {
    "new": [],
    "open": ["open"],
    "pending": ["open", "pending"],
    "resolved": ["resolved"],
    "closed": ["resolved", "closed"],
}


def ticket_in(tenant, status):
    ticket = make(tenant)
    for step in PATHS[status]:
        ticket = tickets.transition(tenant, ticket, step, SYSTEM)
    assert ticket.status == status
    return ticket


@pytest.mark.parametrize(("start", "to"), ALLOWED)
def test_allowed_transitions(tenant, start, to, hook_recorder):
    ticket = tickets.transition(tenant, ticket_in(tenant, start), to, SYSTEM)
    assert ticket.status == to
    last = hook_recorder.calls("gongdan_ticket_status_changed")[-1]
    assert (last["old"], last["new"]) == (start, to)


@pytest.mark.parametrize(
    ("start", "to"),
    [(s, t) for s in PATHS for t in PATHS if s != t and (s, t) not in ALLOWED],
)
def test_illegal_transitions_are_refused(tenant, start, to):
    ticket = ticket_in(tenant, start)
    with pytest.raises(InvalidTransition):
        tickets.transition(tenant, ticket, to, SYSTEM)
    assert tickets.get(tenant, ticket.id).status == start


def test_resolve_and_reopen_stamp_times(tenant, frozen_clock):
    ticket = tickets.transition(tenant, make(tenant), "resolved", SYSTEM)
    assert ticket.resolved_at == clock.now()
    ticket = tickets.transition(tenant, ticket, "open", SYSTEM)
    assert ticket.resolved_at is None
    ticket = tickets.transition(tenant, tickets.transition(tenant, ticket, "resolved", SYSTEM), "closed", SYSTEM)
    assert ticket.closed_at == clock.now()


def test_first_public_reply_stamps_first_response_and_opens(tenant, make_user, frozen_clock):
    agent, _ = make_user("agent")
    ticket = make(tenant)
    tickets.comment(tenant, ticket, "内部备注", Actor.of(agent), internal=True)
    assert tickets.get(tenant, ticket.id).first_response_at is None
    frozen_clock.advance(minutes=5)
    tickets.comment(tenant, ticket, "您好，我们马上处理", Actor.of(agent))
    ticket = tickets.get(tenant, ticket.id)
    first = clock.now()
    assert ticket.first_response_at == first
    assert ticket.status == "open"
    frozen_clock.advance(minutes=5)
    tickets.comment(tenant, ticket, "补充说明", Actor.of(agent))
    assert tickets.get(tenant, ticket.id).first_response_at == first


def test_customer_reply_reopens_pending(tenant):
    ticket = tickets.transition(tenant, ticket_in(tenant, "open"), "pending", SYSTEM)
    tickets.comment(tenant, ticket, "我已经寄回了", Actor.system("customer"), from_customer=True)
    assert tickets.get(tenant, ticket.id).status == "open"


def test_comment_rules(tenant, other_tenant, make_user):
    ticket = make(tenant)
    stranger, _ = make_user("agent", in_tenant=other_tenant)
    with pytest.raises(ValidationError) as caught:
        tickets.comment(tenant, ticket, "看一下", SYSTEM, mentions=[stranger.id])
    assert "mentions" in caught.value.fields
    with pytest.raises(ValidationError):
        tickets.comment(tenant, ticket, "  ", SYSTEM)
    closed = ticket_in(tenant, "closed")
    with pytest.raises(Conflict):
        tickets.comment(tenant, closed, "还在吗", SYSTEM)


def test_assign_checks_the_tenant_and_records_why(tenant, other_tenant, make_user, hook_recorder):
    agent, _ = make_user("agent")
    stranger, _ = make_user("agent", in_tenant=other_tenant)
    ticket = make(tenant)
    with pytest.raises(ValidationError):
        tickets.assign(tenant, ticket, stranger.id, SYSTEM)
    ticket = tickets.assign(tenant, ticket, agent.id, SYSTEM, reason="manual pick", strategy="manual")
    assert ticket.assignee_id == agent.id
    event = TicketEvent.get(TicketEvent.kind == "assigned")
    assert event.data["reason"] == "manual pick"
    assert hook_recorder.calls("gongdan_ticket_assigned")[0]["assignee"].id == agent.id


def test_update_changes_fields_and_records_them(tenant, hook_recorder):
    categories.ensure(tenant, "物流/配送/物流停滞")
    ticket = make(tenant)
    ticket = tickets.update(tenant, ticket, {"priority": "urgent", "category": "物流/配送/物流停滞"}, SYSTEM)
    assert ticket.priority == "urgent"
    changes = hook_recorder.calls("gongdan_ticket_updated")[0]["changes"]
    assert changes == {"priority": ["normal", "urgent"], "category": [None, "物流/配送/物流停滞"]}
    with pytest.raises(ValidationError):
        tickets.update(tenant, ticket, {"status": "closed"}, SYSTEM)


def test_link_creates_a_followup(tenant, hook_recorder):
    parent = make(tenant)
    child = tickets.link(tenant, parent, {"subject": "联系仓库补发"}, SYSTEM)
    assert child.parent_id == parent.id
    assert "linked" in kinds(parent)
    linked = hook_recorder.calls("gongdan_ticket_linked")[0]
    assert (linked["parent"].id, linked["child"].id) == (parent.id, child.id)


def test_announce_deadline_reaches_plugins_and_the_trail(tenant, hook_recorder, frozen_clock):
    ticket = make(tenant)
    due = frozen_clock.now()
    tickets.announce_deadline(tenant, ticket, "resolution", due, "pdd_connector")
    call = hook_recorder.calls("gongdan_deadline_announced")[0]
    assert (call["kind"], call["due_at"], call["source"]) == ("resolution", due, "pdd_connector")
    assert "deadline.announced" in kinds(ticket)


def test_record_event_refuses_service_kinds(tenant):
    with pytest.raises(ValueError, match="reserved"):
        tickets.record_event(tenant, make(tenant), "created", {}, SYSTEM)


@pytest.mark.parametrize("team", ["²", "9" * 20, "售后组X"])
def test_unknown_team_names_are_a_validation_error(tenant, team):
    with pytest.raises(ValidationError) as caught:
        tickets.create(tenant, {"subject": "x", "team": team}, SYSTEM)
    assert "team" in caught.value.fields


def test_team_by_name_or_id(tenant):
    from gongdan.models import Team

    team = Team.create(tenant=tenant, name="售后组")
    assert make(tenant, team="售后组").team_id == team.id
    assert make(tenant, team=str(team.id)).team_id == team.id


def test_ensuring_a_category_path_twice_creates_it_once(tenant):
    leaf, created = categories.ensure(tenant, "售后/换货/尺码不合适")
    again, created_again = categories.ensure(tenant, "售后 / 换货 / 尺码不合适")
    assert created
    assert not created_again
    assert again.id == leaf.id
    assert [c["path"] for c in categories.tree(tenant)] == ["售后"]
    assert categories.tree(tenant)[0]["children"][0]["children"][0]["name"] == "尺码不合适"
