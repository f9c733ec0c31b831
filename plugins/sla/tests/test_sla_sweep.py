"""The sweep: warnings, breaches and every escalation level, each exactly once, with a moving clock."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner
from gongdan_sla.cli import sla as sla_cli
from gongdan_sla.models import Notification, SlaFired
from gongdan_sla.sweep import sweep_tenant

from gongdan import accounts, tickets
from gongdan.actors import Actor
from gongdan.models import Ticket, TicketEvent

AGENT = Actor.system("agent")
ESCALATING = {
    "name": "Escalating",
    "first_response": 60,
    "warning_percent": 80,
    "escalations": [
        {"after": 0, "actions": ["notify_supervisor"]},
        {"after": 30, "actions": ["raise_priority", "notify_admin"]},
        {"after": 60, "actions": ["reassign", "notify_assignee"]},
    ],
}


@pytest.fixture
def people(tenant: Any) -> dict[str, Any]:
    """An agent, a supervisor and an admin (no passwords: the sweep needs none)."""
    return {
        role: accounts.create_user(tenant, f"{role}@acme.example.com", role, role, None)
        for role in ("agent", "supervisor", "admin")
    }


def inbox(user: Any) -> list[str]:
    """The kinds of `user`'s in-app notifications, oldest first."""
    return [n.kind for n in Notification.select().where(Notification.user == user.id).order_by(Notification.id)]


def kinds(firings: list[Any]) -> list[str]:
    return [f"{f.kind}:{f.level}" if f.kind == "escalation" else f.kind for f in firings]


def test_warning_breach_and_every_escalation_level_fire_once(
    configure: Any, tenant: Any, people: dict, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    configure([ESCALATING])
    ticket = new_ticket()
    tickets.assign(tenant, ticket, people["agent"].id, AGENT)

    frozen_clock.set(look.sh(2026, 11, 2, 10, 47))
    assert sweep_tenant(tenant) == []
    frozen_clock.set(look.sh(2026, 11, 2, 10, 48))  # 80% of 60 minutes
    assert kinds(sweep_tenant(tenant)) == ["warning"]
    assert inbox(people["agent"]) == ["sla.warning"]
    assert look.row(ticket).state == "warning"

    frozen_clock.set(look.sh(2026, 11, 2, 11, 0))
    assert kinds(sweep_tenant(tenant)) == ["breach", "escalation:1"]
    assert look.row(ticket).state == "breached"
    assert inbox(people["supervisor"]) == ["sla.breach", "sla.escalation"]

    frozen_clock.set(look.sh(2026, 11, 2, 11, 29))
    assert sweep_tenant(tenant) == []
    frozen_clock.set(look.sh(2026, 11, 2, 11, 30))
    assert kinds(sweep_tenant(tenant)) == ["escalation:2"]
    assert Ticket.get_by_id(ticket.id).priority == "high"
    assert inbox(people["admin"]) == ["sla.escalation"]

    # level 3 is 60 business minutes after the 11:00 breach: 12:00, just before lunch
    frozen_clock.set(look.sh(2026, 11, 2, 11, 59))
    assert sweep_tenant(tenant) == []
    frozen_clock.set(look.sh(2026, 11, 2, 13, 0))
    assert kinds(sweep_tenant(tenant)) == ["escalation:3"]
    assert look.events(ticket, "sla.action_skipped") == [{"action": "reassign", "reason": "assignment plugin disabled"}]
    assert inbox(people["agent"]) == ["sla.warning", "sla.breach", "sla.escalation"]

    frozen_clock.set(look.sh(2026, 11, 9, 9, 0))
    assert sweep_tenant(tenant) == []
    assert SlaFired.select().where(SlaFired.ticket == ticket.id).count() == 5
    assert look.row(ticket).next_check_at is None
    assert [e["level"] for e in look.events(ticket, "sla.escalation")] == [1, 2, 3]
    assert len(look.events(ticket, "sla.breach")) == 1


def test_escalation_delays_count_business_minutes_not_nights(
    configure: Any, tenant: Any, people: dict, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    configure([{"name": "Late", "resolution": 420, "escalations": [{"after": 60, "actions": ["notify_admin"]}]}])
    frozen_clock.set(look.sh(2026, 11, 2, 9, 0))
    new_ticket()
    # 420 business minutes from 09:00 is 17:30; one more business hour ends at Tuesday 09:30
    frozen_clock.set(look.sh(2026, 11, 2, 23, 59))
    assert kinds(sweep_tenant(tenant)) == ["warning", "breach"]
    frozen_clock.set(look.sh(2026, 11, 3, 9, 29))
    assert sweep_tenant(tenant) == []
    frozen_clock.set(look.sh(2026, 11, 3, 9, 30))
    assert kinds(sweep_tenant(tenant)) == ["escalation:1"]


def test_a_paused_ticket_neither_warns_nor_breaches(
    configure: Any, tenant: Any, people: dict, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    configure([ESCALATING])
    ticket = new_ticket()
    tickets.transition(tenant, ticket, "open", AGENT)
    frozen_clock.set(look.sh(2026, 11, 2, 10, 30))
    tickets.transition(tenant, ticket, "pending", AGENT)
    frozen_clock.set(look.sh(2026, 11, 3, 17, 0))
    assert sweep_tenant(tenant) == []
    tickets.transition(tenant, ticket, "open", AGENT)
    # 30 of 60 minutes were spent: the warning (48 spent) comes 18 minutes on, the breach at 17:30
    frozen_clock.set(look.sh(2026, 11, 3, 17, 17))
    assert sweep_tenant(tenant) == []
    frozen_clock.set(look.sh(2026, 11, 3, 17, 18))
    assert kinds(sweep_tenant(tenant)) == ["warning"]
    frozen_clock.set(look.sh(2026, 11, 3, 17, 30))
    assert kinds(sweep_tenant(tenant)) == ["breach", "escalation:1"]


def test_meeting_the_target_cancels_what_would_have_fired(
    configure: Any, tenant: Any, people: dict, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    configure([ESCALATING])
    ticket = new_ticket()
    frozen_clock.set(look.sh(2026, 11, 2, 10, 50))
    tickets.comment(tenant, ticket, "您好", AGENT)
    frozen_clock.set(look.sh(2026, 11, 3, 10, 0))
    assert sweep_tenant(tenant) == []
    assert look.row(ticket).state == "met"


def test_dry_run_lists_what_would_fire_by_then_and_changes_nothing(
    configure: Any, tenant: Any, people: dict, new_ticket: Any
) -> None:
    configure([ESCALATING])
    ticket = new_ticket()
    runner = CliRunner()
    result = runner.invoke(sla_cli, ["sweep", "--dry-run", "--at", "2026-11-02T11:45:00+08:00"])
    assert result.exit_code == 0, result.output
    assert f"acme #{ticket.number} first_response escalation level 2" in result.output
    assert result.output.strip().endswith("4 would fire")
    assert SlaFired.select().count() == 0
    assert not TicketEvent.select().where(TicketEvent.kind.startswith("sla.w")).exists()
    result = runner.invoke(sla_cli, ["sweep", "--at", "2026-11-02T03:45:00"])  # naive means UTC
    assert result.output.strip().endswith("4 fired"), result.output
    assert runner.invoke(sla_cli, ["sweep", "--at", "2026-11-02T03:45:00"]).output.strip().endswith("0 fired")
    bad = runner.invoke(sla_cli, ["sweep", "--at", "next tuesday"])
    assert bad.exit_code == 2


WAIT_THEN_RUN = """
import os, sys, time
from gongdan.cli import main
from gongdan.plugins import get_host
get_host()  # discover and import every plugin before the start signal
while not os.path.exists(sys.argv[1]):
    time.sleep(0.005)
main(sys.argv[2:])
"""


@pytest.mark.slow
def test_two_worker_processes_fire_each_threshold_exactly_once(
    configure: Any, tenant: Any, people: dict, new_ticket: Any, gongdan_database_url: str, tmp_path: Any
) -> None:
    configure([{**ESCALATING, "escalations": ESCALATING["escalations"][:1]}])
    count = 40
    for n in range(count):
        new_ticket(subject=f"工单 {n}")
    env = {**os.environ, "GONGDAN_DATABASE_URL": gongdan_database_url}
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WAIT_THEN_RUN, str(go), "sla", "sweep", "--at", "2026-11-02T12:00:00+08:00"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()  # both have imported everything by now or soon: they start sweeping together
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    fired = [int(out.strip().splitlines()[-1].split()[0]) for out, _ in outputs]
    assert sum(fired) == 3 * count, fired  # warning, breach, level 1 for each ticket
    assert SlaFired.select().count() == 3 * count
    assert TicketEvent.select().where(TicketEvent.kind.in_(["sla.warning", "sla.breach"])).count() == 2 * count
    assert TicketEvent.select().where(TicketEvent.kind == "sla.escalation").count() == count
    # unassigned: the supervisor hears of the warning, the breach and level 1, once each
    assert len(inbox(people["supervisor"])) == 3 * count


def test_reassign_asks_the_assignment_plugin_when_it_is_enabled(
    configure: Any, enable_plugin: Any, tenant: Any, make_user: Any, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    enable_plugin("assignment")
    configure([{"name": "R", "first_response": 30, "escalations": [{"after": 0, "actions": ["reassign"]}]}])
    _, supervisor_api = make_user("supervisor")
    agents = [make_user("agent")[0] for _ in range(2)]
    for agent in agents:
        answer = supervisor_api.put(f"/api/v1/agents/{agent.id}/availability", json={"status": "online", "capacity": 8})
        assert answer.status_code == 200, answer.get_json()
    ticket = new_ticket()
    tickets.assign(tenant, ticket, agents[0].id, AGENT)
    frozen_clock.set(look.sh(2026, 11, 2, 10, 31))
    assert kinds(sweep_tenant(tenant)) == ["warning", "breach", "escalation:1"]
    assert look.events(ticket, "sla.action_skipped") == []
    moved = TicketEvent.select().where(
        (TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "assigned") & (TicketEvent.actor_label == "plugin:sla")
    )
    assert [(e.data["from"], e.data["to"]) for e in moved] == [(agents[0].id, agents[1].id)]
    assert Ticket.get_by_id(ticket.id).assignee_id == agents[1].id
