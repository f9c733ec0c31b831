"""My queue counts the unassigned tickets waiting as `unassigned_candidates` lists them (capped
at `CANDIDATES`), without reading them: team routing and statuses included, both databases."""

from __future__ import annotations

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.admin import workspace
from gongdan.models import Team, User

SYSTEM = Actor.system("test")


def test_waiting_counts_what_the_candidates_list(tenant, make_user, monkeypatch):
    agent = User.get_by_id(make_user("agent")[0].id)
    mine, other = Team.create(tenant=tenant, name="售后组"), Team.create(tenant=tenant, name="售前组")
    User.update(team=mine.id).where(User.id == agent.id).execute()
    agent = User.get_by_id(agent.id)
    for n in range(9):
        team = (mine, other, None)[n % 3]
        ticket = tickets.create(tenant, {"subject": f"工单{n}", "team": str(team.id) if team else None}, SYSTEM)[0]
        if n % 4 == 0:
            tickets.transition(tenant, ticket, "open", SYSTEM)
        if n == 8:
            tickets.assign(tenant, ticket, agent.id, SYSTEM)
    listed = workspace.unassigned_candidates(tenant, agent)
    assert workspace.waiting_count(tenant, agent) == len(listed) == 5  # not the other team's, not assigned
    monkeypatch.setattr(workspace, "CANDIDATES", 3)
    assert workspace.waiting_count(tenant, agent) == len(workspace.unassigned_candidates(tenant, agent)) == 3
