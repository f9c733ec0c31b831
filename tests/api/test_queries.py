"""`ShapedQuery` reads the same models peewee does, with the SQL compiled once per shape."""

from __future__ import annotations

from gongdan import accounts, categories, tickets
from gongdan.actors import Actor
from gongdan.models import Team, Ticket
from gongdan.queries import ShapedQuery
from gongdan.representation import with_relations


def _by_tenant(p, ordered):
    query = with_relations(Ticket.select()).where(Ticket.tenant == p("tenant"))
    return query.order_by(Ticket.id.desc() if ordered == "desc" else Ticket.id)


def test_rows_match_peewee_on_every_run(tenant, other_tenant):
    agent = accounts.create_user(tenant, "a@acme.example.com", "agent", "小王")
    team = Team.create(tenant=tenant, name="售后组")
    categories.ensure(tenant, "售后/物流")
    full = {"subject": "满", "category": "售后/物流", "team": "售后组", "tags": ["x"], "customer": {"name": "客"}}
    first, _ = tickets.create(tenant, full, Actor.of(agent))
    tickets.assign(tenant, first, agent.id, Actor.of(agent))
    tickets.create(tenant, {"subject": "空"}, Actor.system())
    tickets.create(other_tenant, {"subject": "别人的"}, Actor.system())
    shaped = ShapedQuery(_by_tenant)
    expected = list(with_relations(Ticket.select()).where(Ticket.tenant == tenant).order_by(Ticket.id.desc()))
    for _ in range(3):  # the first run goes through peewee's reader, later ones through the plan
        got = shaped.rows(("desc",), {"tenant": tenant.id})
        assert [t.__data__ for t in got] == [t.__data__ for t in expected]
        for mine, theirs in zip(got, expected, strict=True):
            for relation in ("category", "team", "customer", "assignee"):
                assert (relation in mine.__rel__) == (relation in theirs.__rel__)  # no lazy loads
                ours = getattr(mine, relation)
                assert (ours and ours.__data__) == (getattr(theirs, relation) and getattr(theirs, relation).__data__)
    assert got[1].team.id == team.id
    assert got[1].assignee.name == "小王"
    assert got[0].category is None
    assert [t.subject for t in shaped.rows(("asc",), {"tenant": other_tenant.id})] == ["别人的"]
    assert shaped.rows(("asc",), {"tenant": 424242}) == []
