"""One place decides who may do what (M2, M3), team visibility, and the audit trail (M5):
each security-relevant action recorded by its real actor with a diff, on a trail the
database keeps append-only. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import peewee
import pytest

from gongdan import accounts, audit, categories, permissions, tenant_settings, tickets, users
from gongdan.actors import Actor
from gongdan.db import db
from gongdan.errors import Forbidden, NotFound
from gongdan.models import Team, Ticket, TicketEvent, User
from gongdan.plugins import get_host

SYSTEM = Actor.system("channel:web")


def _events(kind: str) -> list[TicketEvent]:
    return list(TicketEvent.select().where(TicketEvent.kind == kind).order_by(TicketEvent.id))


# --- M2: the ticket service decides, whoever calls it --------------------------------------


def test_an_agent_cannot_reassign_or_unassign_a_colleagues_ticket_in_the_service(tenant, make_user):
    agent, _ = make_user("agent")
    colleague, _ = make_user("agent")
    supervisor, _ = make_user("supervisor")
    ticket, _ = tickets.create(tenant, {"subject": "破损"}, SYSTEM)
    tickets.assign(tenant, ticket, agent.id, Actor.of(agent))  # unassigned: anyone may take it
    tickets.assign(tenant, ticket, colleague.id, Actor.of(agent))  # their own: they may hand it on
    for target in (agent.id, None):
        with pytest.raises(Forbidden) as refused:
            tickets.assign(tenant, ticket, target, Actor.of(agent))
        assert refused.value.reason == "colleague_ticket"
    with pytest.raises(Forbidden):
        tickets.auto_assign(tenant, tickets.get(tenant, ticket.id), Actor.of(agent))
    assert Ticket.get_by_id(ticket.id).assignee_id == colleague.id
    tickets.assign(tenant, ticket, agent.id, Actor.of(supervisor))
    tickets.assign(tenant, ticket, None, Actor.system("plugin:assignment"))  # the system as today
    assert Ticket.get_by_id(ticket.id).assignee_id is None


def test_the_assign_check_asks_the_database_nothing_more(tenant, make_user):
    agent, _ = make_user("agent")
    ticket, _ = tickets.create(tenant, {"subject": "查询"}, SYSTEM)
    actor = Actor.of(agent)
    statements: list[str] = []
    original = db.obj.execute_sql

    def counting(sql: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(sql)
        return original(sql, *args, **kwargs)

    db.obj.execute_sql = counting
    try:
        permissions.require(actor, "ticket.assign", ticket)
        assert permissions.can_see(actor, ticket, tenant)
    finally:
        del db.obj.execute_sql
    assert statements == []


# --- M3: admins never reach superadmins -----------------------------------------------------


def test_an_admin_cannot_create_mint_tokens_for_or_promote_to_superadmin(tenant, make_user):
    admin, _ = make_user("admin")
    boss, _ = make_user("superadmin")
    agent, _ = make_user("agent")
    by_admin = Actor.of(admin)
    with pytest.raises(Forbidden):
        accounts.create_user(tenant, "new-boss@acme.example.com", "superadmin", actor=by_admin)
    with pytest.raises(Forbidden):
        accounts.create_token(boss, "backdoor", actor=by_admin)
    with pytest.raises(Forbidden):
        users.change_user(agent, {"role": "superadmin"}, by_admin)
    with pytest.raises(Forbidden):
        users.change_user(boss, {"is_active": False}, by_admin)

    assert [u.role for u in users.visible_users(by_admin, User.of(tenant))].count("superadmin") == 0
    assert accounts.create_token(agent, "script", actor=by_admin)[1].startswith("gd_")


# --- team visibility ------------------------------------------------------------------------


@pytest.fixture
def teams(tenant: Any, make_user: Any) -> dict[str, Any]:
    """Two teams, an agent in each, one ticket per team, one unrouted, one assigned across."""
    after_sales = Team.create(tenant=tenant, name="售后组")
    presales = Team.create(tenant=tenant, name="售前组")
    mine, _ = make_user("agent")
    mine.team = after_sales
    mine.save()
    theirs, _ = make_user("agent")
    theirs.team = presales
    theirs.save()
    own, _ = tickets.create(tenant, {"subject": "售后 退货", "team": "售后组"}, SYSTEM)
    other, _ = tickets.create(tenant, {"subject": "售前 咨询", "team": "售前组"}, SYSTEM)
    loose, _ = tickets.create(tenant, {"subject": "未分组"}, SYSTEM)
    lent, _ = tickets.create(tenant, {"subject": "售前 借调", "team": "售前组"}, SYSTEM)
    tickets.assign(tenant, lent, mine.id, Actor.system("plugin:assignment"))
    return {"mine": mine, "theirs": theirs, "own": own, "other": other, "loose": loose, "lent": lent}


def test_team_visibility_is_one_filter_for_lists_and_single_tickets(tenant, teams, make_user):
    supervisor, _ = make_user("supervisor")
    agent = Actor.of(teams["mine"])
    everything = {teams[k].id for k in ("own", "other", "loose", "lent")}
    assert {t.id for t in permissions.visible_tickets(agent, Ticket.of(tenant), tenant)} == everything
    tenant_settings.change(tenant, {"team_visibility": True}, Actor.system("cli"))
    seen = {t.id for t in permissions.visible_tickets(agent, Ticket.of(tenant), tenant)}
    assert seen == {teams["own"].id, teams["lent"].id}
    with pytest.raises(NotFound):
        tickets.get(tenant, teams["other"].id, agent)
    assert tickets.get(tenant, teams["lent"].id, agent).id == teams["lent"].id
    by_supervisor = permissions.visible_tickets(Actor.of(supervisor), Ticket.of(tenant), tenant)
    assert {t.id for t in by_supervisor} == everything
    assert tickets.get(tenant, teams["other"].id).id == teams["other"].id  # the system reads all


# --- M5: every action by its real actor, with a diff ----------------------------------------


def test_user_creation_and_role_team_active_password_changes_are_audited(tenant, make_user):
    admin, _ = make_user("admin")
    team = Team.create(tenant=tenant, name="售后组")
    by_admin = Actor.of(admin)
    user = accounts.create_user(tenant, "li@acme.example.com", "agent", "李雷", actor=by_admin)
    created = _events("user.created")[-1]
    assert (created.actor_id, created.data["user"], created.data["role"]) == (admin.id, user.email, "agent")
    users.change_user(user, {"role": "supervisor", "team": team, "is_active": False}, by_admin)
    changed = _events("user.changed")[-1]
    assert changed.actor_id == admin.id
    assert changed.data["changes"] == {
        "is_active": [True, False],
        "role": ["agent", "supervisor"],
        "team": [None, "售后组"],
    }
    users.change_user(user, {"password": "a-long-new-passphrase-7"}, by_admin)
    password = _events("auth.password_changed")[-1]
    assert password.actor_id == admin.id
    assert "a-long-new-passphrase-7" not in json.dumps([e.data for e in TicketEvent.select()])
    assert accounts.check_password(accounts.user_by_email(user.email), "a-long-new-passphrase-7")


def test_category_changes_are_audited_and_need_an_admin(tenant, make_user):
    admin, _ = make_user("admin")
    agent, _ = make_user("agent")
    with pytest.raises(Forbidden):
        categories.ensure(tenant, "售后/退货", Actor.of(agent))
    categories.ensure(tenant, "售后/退货/破损", Actor.of(admin))
    assert _events("category.created")[-1].data == {"path": "售后/退货/破损"}
    categories.remove(tenant, categories.find(tenant, "售后/退货"), Actor.of(admin))
    deleted = _events("category.deleted")[-1]
    assert deleted.actor_id == admin.id
    assert deleted.data["paths"] == ["售后/退货", "售后/退货/破损"]


def test_tenant_settings_changes_are_audited_and_need_an_admin(tenant, make_user):
    admin, _ = make_user("admin")
    supervisor, _ = make_user("supervisor")
    with pytest.raises(Forbidden):
        tenant_settings.change(tenant, {"team_visibility": True}, Actor.of(supervisor))
    tenant_settings.change(tenant, {"team_visibility": True}, Actor.of(admin))
    event = _events("tenant.settings_changed")[-1]
    assert (event.actor_id, event.data["changes"]) == (admin.id, {"team_visibility": [False, True]})


def test_plugin_toggles_and_settings_are_audited_with_a_diff_by_an_admin_only(tenant, make_user):
    admin, _ = make_user("admin")
    agent, _ = make_user("agent")
    host = get_host()
    with pytest.raises(Forbidden):
        host.set_enabled(tenant, "sla", enabled=True, actor=agent)
    host.set_enabled(tenant, "sla", enabled=True, actor=admin)
    host.set_enabled(tenant, "sla", settings={"max_attempts": 7}, actor=admin)
    event = _events("plugin.changed")[-1]
    assert event.actor_id == admin.id
    assert event.data["changes"]["max_attempts"][1] == 7


# --- append-only ----------------------------------------------------------------------------


def test_the_trail_refuses_updates_and_deletes_but_the_dispatch_stamp(tenant, make_user):
    admin, _ = make_user("admin")
    accounts.create_user(tenant, "han@acme.example.com", "agent", actor=Actor.of(admin))
    ticket, _ = tickets.create(tenant, {"subject": "审计"}, SYSTEM)
    event = _events("user.created")[-1]
    table, p = TicketEvent._meta.table_name, db.obj.param
    refusals = (
        (f'UPDATE "{table}" SET actor_label = {p} WHERE id = {p}', ("someone-else", event.id)),
        (f'UPDATE "{table}" SET data = {p} WHERE id = {p}', ('{"user": "x"}', event.id)),
        (f'UPDATE "{table}" SET at = at, kind = {p} WHERE id = {p}', ("user.changed", event.id)),
        (f'DELETE FROM "{table}" WHERE id = {p}', (event.id,)),
        (f'DELETE FROM "{table}" WHERE ticket_id = {p}', (ticket.id,)),
    )
    for sql, params in refusals:
        with pytest.raises(peewee.DatabaseError) as refused, db.atomic():
            db.execute_sql(sql, params)
        assert "append-only" in str(refused.value)
    with pytest.raises(peewee.DatabaseError), db.atomic():
        Ticket.delete().where(Ticket.id == ticket.id).execute()  # the cascade would delete its history
    db.execute_sql(f'UPDATE "{table}" SET dispatched_at = NULL WHERE id = {p}', (event.id,))
    assert TicketEvent.get_by_id(event.id).dispatched_at is None
    assert TicketEvent.get_by_id(event.id).actor_label == admin.email
    audit.protect()  # idempotent: upgrading again keeps the guard
    with pytest.raises(peewee.DatabaseError), db.atomic():
        TicketEvent.delete().execute()
    assert TicketEvent.select().count() >= 2
