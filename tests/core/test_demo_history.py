"""Issue 16 bug 12: the demo's tickets all arrived "today"; its history now spans weeks, with
replies in time and late, resolutions and closures, made through the ticket service."""

from __future__ import annotations

from datetime import timedelta

from gongdan import clock, demo_history
from gongdan.models import Ticket


def test_history_spreads_over_the_days_with_varied_outcomes(tenant, make_user):
    agents = [make_user("agent", name=f"客服{n}")[0] for n in range(2)]
    count = demo_history.build(tenant, agents, days=12)
    made = list(Ticket.of(tenant))
    assert count == len(made) >= 12
    now = clock.now()
    days = {(now - t.created_at).days for t in made}
    assert len(days) >= 8, "arrivals spread over the days, not all today"
    assert max(days) >= 10
    assert {t.status for t in made} >= {"resolved", "closed"}
    answered = [t for t in made if t.first_response_at]
    waits = [t.first_response_at - t.created_at for t in answered]
    assert any(w < timedelta(hours=1) for w in waits)
    assert {t.assignee_id for t in answered} <= {a.id for a in agents}
    assert abs((clock.now() - now).total_seconds()) < 60, "the clock follows real time again"
