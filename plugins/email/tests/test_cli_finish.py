"""`gongdan email fetch` with no worker running (issue 12's loop after ingestion moved the hooks to
the worker): before the command exits, the mail's ticket is assigned, its SLA clock runs, a
trigger answered it and both the acknowledgement and that reply reached the customer's SMTP
server — the command fires the plugins' work itself (`gongdan.dispatcher.finish`). Real Dovecot
and aiosmtpd; SQLite and PostgreSQL."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

from click.testing import CliRunner
from gongdan_email.cli import email
from gongdan_sla.models import SlaTicket
from gongdan_sla.policies import save_calendars, save_policies

from gongdan import dispatcher
from gongdan.models import Ticket

MAIL = (
    "From: =?utf-8?B?5byg5LiJ?= <zhangsan@qq.com>\r\nTo: support@acme.example\r\n"
    "Subject: =?utf-8?B?5pS25Yiw55qE5ZWG5ZOB56C05o2f?=\r\nMessage-ID: <cli-first@qq.com>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n箱子压坏了，怎么办？\r\n"
)
WEEK = {str(d): [["00:00", "23:59"]] for d in range(7)}


def test_fetch_on_the_command_line_leaves_nothing_to_a_worker(
    make_mailbox: Any, dovecot: Any, smtp_sink: Any, tenant: Any, enable_plugin: Any, make_user: Any
) -> None:
    for name in ("assignment", "sla", "automation"):
        enable_plugin(name)
    save_calendars(tenant, {"items": [{"name": "default", "weekly": WEEK}]})
    save_policies(tenant, {"items": [{"name": "All", "first_response": 60, "resolution": 600}]})
    agent, _ = make_user("agent")
    _, supervisor = make_user("supervisor")
    online = supervisor.put(f"/api/v1/agents/{agent.id}/availability", json={"status": "online", "capacity": 5})
    assert online.status_code == 200, online.get_json()
    _, admin = make_user("admin")
    rule = {
        "kind": "trigger",
        "name": "破损先回复",
        "event": "created",
        "conditions": [{"field": "text", "op": "contains", "value": "破损"}],
        "actions": [{"action": "send_reply", "inputs": {"body": "请拍下破损处的照片发给我们。"}}],
    }
    assert admin.post("/api/v1/automation/rules", json=rule).status_code == 201
    box = make_mailbox()
    dovecot.deliver(MAIL.encode())

    result = CliRunner().invoke(email, ["fetch", "--mailbox", str(box.id)])

    assert result.exit_code == 0, result.output
    assert "1 mailboxes, 1 messages, 0 with errors" in result.output
    assert "fired the plugins' work for 1 tickets" in result.output
    assert "sent 2 messages" in result.output
    ticket = Ticket.get(Ticket.tenant == tenant)
    assert ticket.assignee_id == agent.id
    clocks = SlaTicket.get(SlaTicket.ticket == ticket)
    assert (clocks.policy_name, clocks.resolution_due is not None) == ("All", True)  # the reply met the first response
    assert dispatcher.pending_count(tenant.id) == 0
    sent = [message_from_bytes(e.original_content, policy=policy.default) for e in smtp_sink.messages]
    assert [m["To"] for m in sent] == ["zhangsan@qq.com"] * 2
    assert sorted(m.get("Auto-Submitted") or "" for m in sent) == ["", "auto-replied"]  # acknowledgement, reply
    reply = next(m for m in sent if m.get("Auto-Submitted") is None)
    assert reply.get_body(("plain",)).get_content().startswith("请拍下破损处的照片")
    assert reply["In-Reply-To"] == "<cli-first@qq.com>"
