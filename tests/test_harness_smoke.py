from gongdan import tickets
from gongdan.actors import Actor


def test_create_and_health(tenant, client, hook_recorder):
    ticket, created = tickets.create(tenant, {"subject": "收到的商品破损"}, Actor.system())
    assert created
    assert ticket.number == 1
    assert [c["ticket"].id for c in hook_recorder.calls("gongdan_ticket_created")] == [ticket.id]
    assert client.get("/api/v1/health").get_json()["status"] == "ok"
