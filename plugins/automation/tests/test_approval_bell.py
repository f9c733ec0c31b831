"""Approvals reach their approvers through the console's bell, approvers can be a team's, and the
approval chain reads in words on the timeline (zh and en)."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from gongdan_automation.models import Approval

from gongdan import inbox
from gongdan.admin.timeline import _Names, describe
from gongdan.models import InboxItem, Team, TicketEvent
from gongdan.testing import ConsoleClient

from .test_approvals import _with_balance


@pytest.fixture
def teams(auto_tenant):
    """Two teams: 售后组 (after-sales) and 物流组 (logistics)."""
    return Team.create(tenant=auto_tenant, name="售后组"), Team.create(tenant=auto_tenant, name="物流组")


@pytest.fixture
def team_rule(rule_api, refund_rules, teams):
    """The refund approval rule, now for 售后组's supervisors: the rule as the API answers it."""
    (held,) = [r for r in rule_api.get("/api/v1/automation/rules").get_json()["items"] if r["kind"] == "approval"]
    changed = rule_api.patch(f"/api/v1/automation/rules/{held['id']}", json={"approver_team": teams[0].id})
    assert changed.status_code == 200, changed.get_json()
    return changed.get_json()


def _person(make_user, role, team=None, language=None):
    user, api = make_user(role)
    user.team, user.language = team, language
    user.save()
    return user, api


def _bell(tenant, user):
    return [i.text for i in inbox.latest(tenant, user) if i.kind == "approval"]


def test_team_approvers_hear_of_it_in_their_language_and_only_they_may_decide(
    auto_tenant, team_rule, refund_rules, teams, make_user
):
    after_sales, logistics = teams
    assert team_rule["approver_team"] == after_sales.id
    zh_lead, zh_api = _person(make_user, "supervisor", after_sales, "zh_CN")
    en_lead, _ = _person(make_user, "supervisor", after_sales, "en")
    other_lead, other_api = _person(make_user, "supervisor", logistics)
    agent, _ = _person(make_user, "agent", after_sales)
    admin, _ = _person(make_user, "admin")

    ticket = _with_balance(auto_tenant, refund_rules, 8000)
    approval = Approval.get(Approval.ticket == ticket.id)
    assert approval.approver_team_id == after_sales.id
    (zh_text,) = _bell(auto_tenant, zh_lead)
    assert zh_text.startswith("待您审批")
    assert f"#{ticket.number}" in zh_text
    (en_text,) = _bell(auto_tenant, en_lead)
    assert en_text.startswith("Approval needed")
    assert f"#{ticket.number}" in en_text
    assert _bell(auto_tenant, admin), "an admin decides any approval and hears of it"
    assert _bell(auto_tenant, other_lead) == []
    assert _bell(auto_tenant, agent) == []

    url = f"/api/v1/automation/approvals/{approval.id}/approve"
    refused = other_api.post(url, json={"reason": "不是我组"})
    assert refused.status_code == 403
    assert "team" in refused.get_json()["error"]["message"]
    assert zh_api.post(url, json={"reason": "已核实"}).get_json()["status"] == "approved"


def test_an_unknown_team_is_refused_with_the_field(auto_tenant, rule_api, refund_rules, teams, make_user):
    (held,) = [r for r in rule_api.get("/api/v1/automation/rules").get_json()["items"] if r["kind"] == "approval"]
    bad = rule_api.patch(f"/api/v1/automation/rules/{held['id']}", json={"approver_team": 999999})
    assert bad.status_code == 422
    assert "approver_team" in bad.get_json()["error"]["fields"]
    ticket = _with_balance(auto_tenant, refund_rules, 100)
    body = {"ticket_id": ticket.id, "action": "wallet.refund", "inputs": {}, "approver_team": 999999}
    asked = make_user("agent")[1].post("/api/v1/automation/approvals", json=body)
    assert asked.status_code == 422
    assert "approver_team" in asked.get_json()["error"]["fields"]


def test_the_asker_hears_of_the_decision(auto_tenant, refund_rules, teams, make_user):
    asker, asker_api = _person(make_user, "agent", language="zh_CN")
    _, lead_api = _person(make_user, "supervisor", teams[1])
    ticket = _with_balance(auto_tenant, refund_rules, 100)
    body = {"ticket_id": ticket.id, "action": "wallet.refund", "inputs": {"note": "手动"}, "reason": "客户要求"}
    created = asker_api.post("/api/v1/automation/approvals", json={**body, "approver_team": teams[1].id})
    assert created.status_code == 201, created.get_json()
    assert _bell(auto_tenant, asker) == []  # the asker is not an approver
    lead_api.post(f"/api/v1/automation/approvals/{created.get_json()['id']}/reject", json={"reason": "金额不符"})
    (told,) = _bell(auto_tenant, asker)
    assert told.startswith("审批被拒绝")
    assert f"#{ticket.number}" in told


def test_from_the_bell_to_the_ticket_page_and_approve(app, auto_tenant, team_rule, refund_rules, teams, make_user):
    lead, _ = _person(make_user, "supervisor", teams[0], "zh_CN")
    ticket = _with_balance(auto_tenant, refund_rules, 6000)
    console = ConsoleClient(app, lead, language="zh_CN")
    page = console.text("/console/inbox/")
    assert 'data-kind="approval"' in page
    assert "审批" in page
    (item,) = InboxItem.select().where((InboxItem.user == lead.id) & (InboxItem.kind == "approval"))
    opened = console.post(f"/console/inbox/{item.id}/open")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/tickets/{ticket.id}")
    ticket_page = console.text(opened.headers["Location"])
    (action,) = re.findall(
        r'<form method="post" action="([^"]+)" class="form-inline mt-1 approval-decide"', ticket_page
    )
    decided = console.post(action.replace("&amp;", "&"), {"decision": "approve", "reason": "可以"})
    assert decided.status_code == 302
    assert Approval.get(Approval.ticket == ticket.id).status == "approved"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh", ("申请了审批", "退回余额", "主管", "售后组")),
        ("en", ("asked for approval", "Refund the balance", "supervisor")),
    ],
)
def test_the_approval_chain_reads_in_words_on_the_timeline(
    app, auto_tenant, team_rule, refund_rules, teams, language, words
):
    ticket = _with_balance(auto_tenant, refund_rules, 7000)
    event = TicketEvent.get((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "automation.approval_requested"))
    with app.test_request_context(headers={"Accept-Language": "zh-CN" if language == "zh" else "en"}):
        shown = describe(event, _Names(auto_tenant))
    text = repr(shown)
    for word in words:
        assert word in text, (word, text)
    assert "wallet.refund" not in text
    held = TicketEvent.get((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "action.run"))
    assert held.data["action"] == "wallet.refund"
    with app.test_request_context(headers={"Accept-Language": "zh-CN" if language == "zh" else "en"}):
        ran = repr(describe(held, _Names(auto_tenant)))
    assert words[1] in ran, ran  # the core's "ran an action" names the action by its label too
    assert "wallet.refund" not in ran


class _Received:
    """An aiosmtpd handler keeping `(recipients, message)` of every message."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp(outbound_loopback):
    """A real SMTP server on 127.0.0.1: `(received, port)`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    received = _Received()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    yield received, port
    controller.stop()


def test_approvers_also_get_an_email_through_the_core_email_transport(
    auto_tenant, team_rule, refund_rules, teams, make_user, enable_plugin, smtp
):
    from gongdan_sla.notify import retry_due

    received, port = smtp
    enable_plugin("sla", settings={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False})
    lead, _ = _person(make_user, "supervisor", teams[0], "zh_CN")
    elsewhere, _ = _person(make_user, "supervisor", teams[1], "zh_CN")
    ticket = _with_balance(auto_tenant, refund_rules, 9000)
    retry_due(auto_tenant)
    got = {
        to: str(make_header(decode_header(message["Subject"]))) for rcpt, message in received.messages for to in rcpt
    }
    assert lead.email in got
    assert elsewhere.email not in got  # another team's supervisor
    assert got[lead.email] == f"待您审批：退回余额 · #{ticket.number} 退款 9000 · 自动化 · 自动退款"
