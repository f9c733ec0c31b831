def test_new_ticket_goes_to_least_loaded(agent, new_ticket, look):
    a = agent(capacity=2)
    b = agent(capacity=2)
    t1 = new_ticket()
    t2 = new_ticket()
    assert {look.holder(t1), look.holder(t2)} == {a.id, b.id}
    t3 = new_ticket()
    t4 = new_ticket()
    t5 = new_ticket()
    assert look.holder(t5) is None
    assert [look.holder(t3), look.holder(t4)].count(a.id) == 1
    assert look.events(t5, "assignment.waiting")[0]["reason"].startswith("waiting: everyone online")
