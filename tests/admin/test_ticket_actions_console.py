"""The ticket page's actions section: forms built from each action's inputs, in Chinese and
English, with CSRF and `data-confirm` where declared; running one shows its result."""

from __future__ import annotations

from marshmallow import Schema, fields

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.contributions import TicketAction
from gongdan.hookspecs import hookimpl
from gongdan.models import Comment, TicketEvent


class RefundInputs(Schema):
    amount = fields.Integer(required=True, metadata={"label_zh": "金额", "label_en": "Amount"})
    urgent = fields.Boolean(load_default=False, metadata={"label_zh": "加急", "label_en": "Urgent"})


class Refunder:
    @hookimpl
    def gongdan_ticket_actions(self):
        def run(tenant, ticket, inputs, actor):
            tickets.comment(tenant, ticket, f"退款 {inputs['amount']} urgent={inputs['urgent']}", actor, internal=True)

        return [TicketAction("refunder.refund", "退款", "Refund", RefundInputs, run, needs_confirmation=True)]


def test_actions_render_as_forms_and_run(signed_in, tenant, register_plugin):
    register_plugin(Refunder(), "refunder")
    ticket, _ = tickets.create(tenant, {"subject": "要退款"}, Actor.system())
    page = f"/console/tickets/{ticket.id}"
    _, zh = signed_in("agent")
    zh.post("/console/language", {"lang": "zh_CN"})
    html = zh.text(page)
    assert 'id="ticket-actions"' in html
    assert "设置优先级" in html
    assert "退款" in html
    assert "金额" in html
    refund_form = html[html.index('id="action-refunder-refund"') :].split("</form>")[0]
    assert 'data-confirm="' in refund_form
    assert 'name="csrf_token"' in refund_form
    assert 'name="urgent" value="1"' in refund_form
    assert "data-confirm" not in html[html.index('id="action-set_priority"') :].split("</form>")[0]
    assert "Set priority" in signed_in("agent")[1].text(page)

    done = zh.post(f"{page}/actions/refunder.refund", {"amount": "6000", "urgent": "1"}, follow_redirects=True)
    assert "已完成：退款。" in done.get_data(as_text=True)
    assert Comment.get(Comment.ticket == ticket.id).body == "退款 6000 urgent=True"
    bad = zh.post(f"{page}/actions/refunder.refund", {"amount": "很多"}, follow_redirects=True)
    assert "amount" in bad.get_data(as_text=True)
    zh.post(f"{page}/actions/set_tags", {"tags": "物流，加急", "mode": "set"})
    assert tickets.get(tenant, ticket.id).tags == ["物流", "加急"]
    runs = TicketEvent.select().where((TicketEvent.ticket == ticket.id) & (TicketEvent.kind == "action.run"))
    assert [(e.data["action"], e.data["source"]) for e in runs] == [
        ("refunder.refund", "console"),
        ("set_tags", "console"),
    ]


def test_a_forged_post_without_csrf_runs_nothing(signed_in, tenant):
    ticket, _ = tickets.create(tenant, {"subject": "伪造"}, Actor.system())
    _, agent = signed_in("agent")
    agent.post(f"/console/tickets/{ticket.id}/actions/set_priority", {"priority": "urgent", "csrf_token": "forged"})
    assert tickets.get(tenant, ticket.id).priority == "normal"


def test_action_choices_read_as_words_not_codes(signed_in, tenant):
    """The status, priority and tag-mode selects of the ticket page's actions show words in the
    console's language (they showed `resolved`, `urgent`, `add`), their values stay the codes."""
    ticket, _ = tickets.create(tenant, {"subject": "选项"}, Actor.system())
    _, browser = signed_in("agent")
    browser.post("/console/language", {"lang": "zh_CN"})
    html = browser.text(f"/console/tickets/{ticket.id}")

    def form_of(name: str) -> str:
        return html[html.index(f'id="action-{name}"') :].split("</form>")[0]

    assert '<option value="resolved">已解决</option>' in form_of("set_status")
    assert '<option value="urgent">紧急</option>' in form_of("set_priority")
    assert '<option value="add">添加标签</option>' in form_of("set_tags")
    for code in (">resolved<", ">urgent<", ">add<"):
        assert code not in html
