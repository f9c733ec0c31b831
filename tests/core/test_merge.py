"""Merging duplicate tickets and undoing it (`gongdan.merge`), through the service and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gongdan import audit, clock, merge, search, tickets, watchers
from gongdan.actors import Actor
from gongdan.errors import Conflict, Forbidden, ValidationError
from gongdan.models import Attachment, Comment, Ticket, TicketEvent, TicketMerge, TicketTerm, TicketWatcher

SYSTEM = Actor.system("test")


def _ticket(tenant, subject: str, **extra) -> Ticket:
    ticket, _ = tickets.create(tenant, {"subject": subject, "channel": "web", **extra}, SYSTEM)
    return ticket


def _file(tenant, ticket, comment=None, name="photo.png") -> Attachment:
    return Attachment.create(
        tenant=tenant,
        ticket=ticket,
        comment=comment,
        filename=name,
        content_type="image/png",
        size=10,
        sha256="0" * 64,
        storage_key=f"k/{name}",
    )


def test_merge_moves_the_conversation_closes_the_duplicate_and_undo_restores_both(tenant, make_user):
    lead, _ = make_user("supervisor", name="主管")
    follower, _ = make_user("agent", name="王伟")
    keeper = _ticket(tenant, "快递一直没到")
    duplicate = _ticket(
        tenant, "物流停了三天", external_ref={"system": "pdd", "id": "AS-1001"}, description="拼多多售后"
    )
    asked = tickets.comment(tenant, duplicate, "请问包裹到哪了 蓝色围巾", SYSTEM, from_customer=True)
    noted = tickets.comment(tenant, duplicate, "已催快递", Actor.of(lead), internal=True)
    on_note = _file(tenant, duplicate, asked, "a.png")
    loose = _file(tenant, duplicate, None, "b.png")
    keeper_note = tickets.comment(tenant, keeper, "先安抚", Actor.of(lead), internal=True)
    watchers.follow(tenant, duplicate, follower)
    watchers.follow(tenant, duplicate, lead)
    watchers.follow(tenant, keeper, lead)

    record = merge.merge(tenant, duplicate, keeper, Actor.of(lead))

    survivor, merged = Ticket.get_by_id(keeper.id), Ticket.get_by_id(duplicate.id)
    assert merged.status == "closed"
    assert merged.closed_at is not None
    assert (merged.external_system, merged.external_id) == ("pdd", "AS-1001")  # the platform's case stays bound
    assert tickets.by_external_ref(tenant, "pdd", "AS-1001").id == duplicate.id
    moved = {c.id for c in Comment.select().where(Comment.ticket == keeper.id)}
    assert moved == {asked.id, noted.id, keeper_note.id}
    assert {a.id for a in Attachment.select().where(Attachment.ticket == keeper.id)} == {on_note.id, loose.id}
    assert watchers.watcher_ids(tenant, survivor) == sorted([lead.id, follower.id])
    scarf = search.ticket_terms("围巾")
    indexed = {(t.ticket_id, t.term) for t in TicketTerm.select().where(TicketTerm.term.in_(list(scarf)))}
    assert {(keeper.id, term) for term in scarf} <= indexed  # the survivor is found by the moved replies
    assert not {(duplicate.id, term) for term in scarf} & indexed
    kinds = {(e.ticket_id, e.kind) for e in TicketEvent.select().where(TicketEvent.tenant == tenant)}
    assert {(duplicate.id, "merged"), (keeper.id, "merged_in"), (duplicate.id, "status_changed")} <= kinds
    trail = [e for e in audit.events(tenant, kind="ticket.merged")]
    assert len(trail) == 1
    assert trail[0].data["into_number"] == keeper.number
    assert trail[0].actor_id == lead.id
    assert merge.merged_into(tenant, merged).target_id == keeper.id
    assert [r.id for r in merge.merged_here(tenant, survivor)] == [record.id]

    later = tickets.comment(tenant, survivor, "已补发", Actor.of(lead))  # written after the merge: it stays
    merge.undo(tenant, record.id, Actor.of(lead))

    restored = Ticket.get_by_id(duplicate.id)
    assert restored.status == "new"
    assert restored.closed_at is None
    assert {c.id for c in Comment.select().where(Comment.ticket == duplicate.id)} == {asked.id, noted.id}
    assert {c.id for c in Comment.select().where(Comment.ticket == keeper.id)} == {keeper_note.id, later.id}
    assert {a.id for a in Attachment.select().where(Attachment.ticket == duplicate.id)} == {on_note.id, loose.id}
    assert watchers.watcher_ids(tenant, Ticket.get_by_id(keeper.id)) == [lead.id]
    assert watchers.watcher_ids(tenant, restored) == sorted([lead.id, follower.id])
    assert merge.merged_into(tenant, restored) is None
    assert len(list(audit.events(tenant, kind="ticket.merge_undone"))) == 1
    with pytest.raises(Conflict):
        merge.undo(tenant, record.id, Actor.of(lead))


def test_undo_only_within_the_tenants_window(tenant, make_user):
    admin, _ = make_user("admin")
    merge.set_undo_window(tenant, 10, Actor.of(admin))
    keeper, duplicate = _ticket(tenant, "A"), _ticket(tenant, "B")
    clock.freeze(clock.now())
    record = merge.merge(tenant, duplicate, keeper, Actor.of(admin))
    assert record.undo_until - record.merged_at == timedelta(minutes=10)
    clock.advance(timedelta(minutes=11))
    with pytest.raises(Conflict, match="passed"):
        merge.undo(tenant, record.id, Actor.of(admin))
    assert Ticket.get_by_id(duplicate.id).status == "closed"
    with pytest.raises(ValidationError):
        merge.set_undo_window(tenant, -1, Actor.of(admin))
    agent, _ = make_user("agent")
    with pytest.raises(Forbidden):
        merge.set_undo_window(tenant, 5, Actor.of(agent))


def test_who_may_merge_and_what_is_refused(tenant, make_user):
    alice, _ = make_user("agent", name="李娜")
    bob, _ = make_user("agent", name="王伟")
    mine, theirs, free = _ticket(tenant, "mine"), _ticket(tenant, "theirs"), _ticket(tenant, "free")
    tickets.assign(tenant, mine, alice.id, SYSTEM)
    tickets.assign(tenant, theirs, bob.id, SYSTEM)
    with pytest.raises(Forbidden):
        merge.merge(tenant, theirs, mine, Actor.of(alice))  # a colleague's ticket: a supervisor's call
    assert Ticket.get_by_id(theirs.id).status == "new"
    with pytest.raises(ValidationError):
        merge.merge(tenant, mine, mine, Actor.of(alice))
    with pytest.raises(ValidationError):
        merge.merge(tenant, mine, 999_999, Actor.of(alice))
    merge.merge(tenant, free, mine, Actor.of(alice))
    with pytest.raises(Conflict):
        merge.merge(tenant, free, mine, Actor.of(alice))  # merged (closed) already
    with pytest.raises(Conflict):
        merge.merge(tenant, mine, free, Actor.of(alice))  # into a closed one


def test_merge_over_the_api(tenant, make_user, other_tenant):
    _, lead = make_user("supervisor")
    keeper, duplicate = _ticket(tenant, "A"), _ticket(tenant, "B")
    tickets.comment(tenant, duplicate, "hello", SYSTEM, from_customer=True)
    answer = lead.post(f"/api/v1/tickets/{duplicate.id}/merge", json={"into_id": keeper.id})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["comments"] == 1
    assert body["target_id"] == keeper.id
    assert body["can_undo"] is True
    seen = lead.get(f"/api/v1/tickets/{keeper.id}/merges").get_json()
    assert [m["id"] for m in seen["merged_here"]] == [body["id"]]
    assert lead.get(f"/api/v1/tickets/{duplicate.id}/merges").get_json()["merged_into"]["id"] == body["id"]
    again = lead.post(f"/api/v1/tickets/{duplicate.id}/merge", json={"into_id": keeper.id})
    assert again.status_code == 409
    bad = lead.post(f"/api/v1/tickets/{keeper.id}/merge", json={"into_id": "x"})
    assert bad.status_code == 422
    assert "into_id" in bad.get_json()["error"]["fields"]
    foreign = _ticket(other_tenant, "elsewhere")
    assert lead.post(f"/api/v1/tickets/{keeper.id}/merge", json={"into_id": foreign.id}).status_code == 422
    undone = lead.post(f"/api/v1/merges/{body['id']}/undo")
    assert undone.status_code == 200
    assert undone.get_json()["undone_at"]
    assert lead.post(f"/api/v1/merges/{body['id']}/undo").status_code == 409
    assert Ticket.get_by_id(duplicate.id).status == "new"


def test_follow_over_the_api(tenant, make_user):
    user, api = make_user("agent")
    ticket = _ticket(tenant, "A")
    assert api.put(f"/api/v1/tickets/{ticket.id}/follow").get_json() == {"following": True, "watcher_ids": [user.id]}
    assert TicketWatcher.select().count() == 1
    assert api.delete(f"/api/v1/tickets/{ticket.id}/follow").get_json()["following"] is False


def test_the_undo_window_over_the_api(tenant, make_user):
    _, admin = make_user("admin")
    _, agent = make_user("agent")
    assert agent.get("/api/v1/merges/window").get_json() == {"merge_undo_minutes": 60}
    assert agent.put("/api/v1/merges/window", json={"merge_undo_minutes": 5}).status_code == 403
    assert admin.put("/api/v1/merges/window", json={"merge_undo_minutes": 5}).get_json() == {"merge_undo_minutes": 5}
    too_long = admin.put("/api/v1/merges/window", json={"merge_undo_minutes": 10081})
    assert too_long.status_code == 422
    assert "merge_undo_minutes" in too_long.get_json()["error"]["fields"]
    assert len(list(audit.events(tenant, kind="tenant.settings_changed"))) == 1


def test_crossed_merges_at_the_same_moment_one_wins(tenant, make_user):
    """A into B and B into A at once (two agents on the same pair): one merge, one refusal, no deadlock."""
    import threading

    from gongdan.db import db

    lead, _ = make_user("supervisor")
    first, second = _ticket(tenant, "A"), _ticket(tenant, "B")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run(source: Ticket, target: Ticket) -> None:
        try:
            start.wait()
            merge.merge(tenant, source.id, target.id, Actor.of(lead))
            outcomes.append("merged")
        except Conflict:
            outcomes.append("refused")
        except Exception as exc:  # any other answer is the failure this test looks for
            outcomes.append(repr(exc))
        finally:
            db.close()

    threads = [threading.Thread(target=run, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["merged", "refused"]
    statuses = sorted(Ticket.get_by_id(t.id).status for t in (first, second))
    assert statuses == ["closed", "new"]
    assert TicketMerge.select().count() == 1
