"""Each built-in strategy, and a third party's, deciding through the tenant's rules."""

from collections import Counter

from gongdan.contributions import AssignmentStrategy
from gongdan.hookspecs import hookimpl
from gongdan.models import Ticket


def test_least_loaded_weighs_load_against_capacity(agent, new_ticket, look):
    small = agent(capacity=2)
    big = agent(capacity=6)
    holders = [look.holder(new_ticket()) for _ in range(8)]
    assert Counter(holders) == {small.id: 2, big.id: 6}
    first = look.events(Ticket.select().order_by(Ticket.id).first(), "assigned")[0]
    assert first["strategy"] == "least_loaded"
    assert first["reason"] in ("least_loaded: load 0/2", "least_loaded: load 0/6")


def test_round_robin_takes_turns(agent, new_ticket, look, set_rules):
    set_rules([], {"strategy": "round_robin"})
    agents = [agent(capacity=10) for _ in range(3)]
    holders = [look.holder(new_ticket()) for _ in range(6)]
    assert holders[:3] == [a.id for a in agents]
    assert holders[3:] == holders[:3]
    reason = look.events(Ticket.select().order_by(Ticket.id).first(), "assigned")[0]["reason"]
    assert reason.startswith("round_robin: longest without a new ticket")


def test_weighted_splits_sixty_forty(agent, new_ticket, look, set_rules):
    set_rules([], {"strategy": "weighted"})
    promo = agent(capacity=50, weight=60)
    regular = agent(capacity=50, weight=40)
    holders = Counter(look.holder(new_ticket()) for _ in range(20))
    assert holders == {promo.id: 12, regular.id: 8}


def test_skills_best_match_then_load(agent, new_ticket, look, set_rules):
    set_rules([], {"strategy": "skills"})
    refunds = agent(skills={"退货退款": 3})
    junior = agent(skills={"退货退款": 1})
    logistics = agent(skills={"物流": 2})
    refund_ticket = new_ticket(category="售后/退货退款/质量问题")
    assert look.holder(refund_ticket) == refunds.id
    assert look.events(refund_ticket, "assigned")[0]["reason"] == "skills: 退货退款 level 3; load 0/8"
    assert look.holder(new_ticket(tags=["物流"])) == logistics.id
    # nobody has the skill: the least loaded agent takes it, and the reason says so
    other = new_ticket(category="售前/商品咨询")
    assert look.holder(other) == junior.id
    assert "no available agent has a skill" in look.events(other, "assigned")[0]["reason"]


def test_tier_routing_sends_vip_to_seniors_with_min_level(agent, new_ticket, look, set_rules, sup_api):
    senior = agent(team="资深组", skills={"退货退款": 4}, capacity=1)
    mid = agent(team="资深组", skills={"退货退款": 2})  # in the team but below the level
    newcomer = agent(team="新人组", capacity=5)
    set_rules(
        [{"when": {"customer_tier": "vip"}, "strategy": "tier", "team": "资深组", "min_level": 3}],
        {"strategy": "least_loaded"},
    )
    vip = new_ticket(tier="vip", category="售后/退货退款")
    assert look.holder(vip) == senior.id
    reason = look.events(vip, "assigned")[0]["reason"]
    assert reason == "tier: level 4; load 0/1 (rule 1)"
    assert look.holder(new_ticket(tier="normal")) in (mid.id, newcomer.id)
    # the only senior is full: the next VIP waits in 资深组's queue, not with a newcomer
    waiting = new_ticket(tier="vip", category="售后/退货退款")
    assert look.holder(waiting) is None
    assert waiting.team.name == "资深组"
    queue = sup_api.get("/api/v1/assignment/queue?team=资深组").get_json()
    assert [item["ticket"]["id"] for item in queue["items"]] == [waiting.id]
    assert queue["items"][0]["reason"] == "waiting: nobody available in 资深组 has skill level 3 or more"


class Newest:
    """A third party's strategy: the most recently created agent."""

    @hookimpl
    def gongdan_assignment_strategies(self):
        return [
            AssignmentStrategy("newest", lambda ticket, candidates, options: max(candidates, key=lambda c: c.user_id))
        ]


def test_third_party_strategy_is_picked_by_name(agent, new_ticket, look, set_rules, register_plugin, sup_api):
    first, last = agent(), agent()
    bad = sup_api.put("/api/v1/assignment/rules", json={"rules": [], "default": {"strategy": "newest"}})
    assert bad.status_code == 422
    assert "default.strategy" in bad.get_json()["error"]["fields"]
    register_plugin(Newest(), "newest-strategy")
    set_rules([], {"strategy": "newest"})
    ticket = new_ticket()
    assert look.holder(ticket) == last.id != first.id
    assert look.events(ticket, "assigned")[0] == {
        "from": None,
        "to": last.id,
        "strategy": "newest",
        "reason": "newest: load 0/8",
        "team": None,
    }
    names = [s["name"] for s in sup_api.get("/api/v1/assignment/strategies").get_json()["items"]]
    assert {"least_loaded", "round_robin", "weighted", "skills", "tier", "newest"} <= set(names)
