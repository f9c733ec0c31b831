"""The console: rule builders as forms in Chinese (close 72 h after resolved; a trigger with a
condition), order by numbers, on/off, history and dry run; macros applied into a reply box;
approvals decided from the ticket page."""

from __future__ import annotations

from datetime import timedelta

from gongdan_automation import engine, webhooks
from gongdan_automation.models import Approval, Macro, Rule

from gongdan import clock, tickets
from gongdan.actors import Actor
from gongdan.testing import ConsoleClient


def _zh(app, make_user, role):
    user, _ = make_user(role, name=f"{role} 小王")
    client = ConsoleClient(app, user)
    client.post("/console/language", {"lang": "zh_CN"})
    return client


def test_an_admin_builds_close_72h_after_resolved_in_chinese(app, make_user, auto_tenant, frozen_clock):
    admin = _zh(app, make_user, "admin")
    page = admin.text("/console/automation/rules/")
    assert "触发器" in page
    assert "时间规则" in page
    form = admin.text("/console/automation/rules/new/time")
    assert "条件" in form
    assert 'name="cond_field_0"' in form
    assert '<option value="解决后小时数">' in form  # fields are offered by their words
    saved = admin.post(
        "/console/automation/rules/new/time",
        {
            "name": "解决 72 小时后关闭",
            "position": "10",
            "active": "1",
            "match": "all",
            "cond_field_0": "状态",  # picked by its words
            "cond_op_0": "is",
            "cond_value_0": "已解决",
            "cond_field_1": "hours_since_resolved",  # or typed by its name
            "cond_op_1": "gte",
            "cond_value_1": "72",
            "act-0-action": "set_status",
            "act-0-in-status": "closed",
        },
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    rule = Rule.get()
    assert rule.conditions == [
        {"field": "status", "op": "is", "value": "resolved"},
        {"field": "hours_since_resolved", "op": "gte", "value": "72"},
    ]
    shown = admin.text(f"/console/automation/rules/{rule.id}/edit")
    assert 'name="cond_field_0" list="automation-fields"' in shown
    assert 'value="状态"' in shown  # shown again in words, not `status`
    assert 'value="已解决"' in shown
    assert 'value="解决后小时数"' in shown
    assert rule.actions == [{"action": "set_status", "inputs": {"status": "closed"}}]
    ticket, _ = tickets.create(auto_tenant, {"subject": "已处理"}, Actor.system())
    tickets.transition(auto_tenant, ticket, "resolved", Actor.system())
    clock.advance(timedelta(hours=73))
    assert engine.run_time_rules(auto_tenant) == 1
    assert tickets.get(auto_tenant, ticket.id).status == "closed"
    admin = _zh(app, make_user, "admin")  # a new session: 73 hours passed the idle timeout
    history = admin.text(f"/console/automation/rules/{rule.id}")
    runs = history.split('id="rule-runs"', 1)[1]
    assert "设置状态: 成功" in runs  # words, not `set_status: ok`
    assert "set_status" not in runs
    assert f"#{ticket.number}</a>" in runs

    bad = admin.post(
        f"/console/automation/rules/{rule.id}/edit", {"name": "x", "cond_field_0": "status", "cond_op_0": "like"}
    )
    assert bad.status_code == 422
    assert "条件 1" in bad.get_data(as_text=True)  # the row, in words: no field paths on screen
    assert "conditions.0.op" not in bad.get_data(as_text=True)
    admin.post(f"/console/automation/rules/{rule.id}/switch", {"active": "0"})
    admin.post(f"/console/automation/rules/{rule.id}/switch", {"position": "3"})
    rule = Rule.get()
    assert (rule.active, rule.position) == (False, 3)


def test_a_trigger_from_the_builder_and_its_dry_run(app, make_user, auto_tenant):
    admin = _zh(app, make_user, "admin")
    admin.post(
        "/console/automation/rules/new/trigger",
        {
            "name": "加急标签",
            "active": "1",
            "match": "any",
            "event": "created",
            "cond_field_0": "subject",
            "cond_op_0": "contains",
            "cond_value_0": "投诉",
            "act-0-action": "set_tags",
            "act-0-in-tags": "投诉, 加急",
            "act-0-in-mode": "add",
        },
    )
    rule = Rule.get()
    assert rule.actions == [{"action": "set_tags", "inputs": {"tags": ["投诉", "加急"], "mode": "add"}}]
    ticket, _ = tickets.create(auto_tenant, {"subject": "我要投诉"}, Actor.system())
    assert tickets.get(auto_tenant, ticket.id).tags == ["投诉", "加急"]
    other, _ = tickets.create(auto_tenant, {"subject": "咨询"}, Actor.system())
    trial = admin.post(f"/console/automation/rules/{rule.id}", {"ticket_number": str(other.number)})
    text = trial.get_data(as_text=True)
    assert 'id="dry-run-result"' in text
    assert "不会触发" in text
    result = text.split('id="dry-run-result"', 1)[1].split("</div></div>", 1)[0]
    assert "主题 包含 投诉" in result  # the condition in words (it read `subject contains 投诉`)
    assert "设置标签" in result
    assert tickets.get(auto_tenant, other.id).tags == []
    assert admin.post(f"/console/automation/rules/{rule.id}", {"ticket_number": "999"}).status_code == 422


def test_a_macro_goes_into_the_reply_box_and_an_approval_is_decided_on_the_ticket_page(
    app, make_user, auto_tenant, rule_api
):
    supervisor = _zh(app, make_user, "supervisor")
    supervisor.post(
        "/console/automation/macros/",
        {"name": "物流", "body_zh": "{customer_name}您好，工单 #{ticket_number} 已处理。— {agent_name}", "shared": "1"},
    )
    ticket, _ = tickets.create(auto_tenant, {"subject": "到哪了", "customer": {"name": "王女士"}}, Actor.system())
    page = supervisor.text(f"/console/tickets/{ticket.id}")
    assert 'id="macro-apply"' in page
    macro_id = page.split('<select name="macro_id"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    done = supervisor.post(
        "/console/automation/macros/apply", {"ticket_id": str(ticket.id), "macro_id": macro_id}, follow_redirects=True
    )
    text = done.get_data(as_text=True)
    assert f"王女士您好，工单 #{ticket.number} 已处理。— supervisor 小王" in text
    assert 'id="macro-draft"' in text
    assert 'id="macro-draft"' not in supervisor.text(f"/console/tickets/{ticket.id}")  # used once

    rule_api.post(
        "/api/v1/automation/rules",
        json={
            "kind": "approval",
            "name": "紧急需审批",
            "action": "set_priority",
            "conditions": [{"field": "priority", "op": "is", "value": "normal"}],
        },
    )
    held = tickets.get(auto_tenant, ticket.id)
    from gongdan import actions

    assert actions.run(auto_tenant, held, "set_priority", {"priority": "urgent"}, Actor.system())["outcome"] == "held"
    page = supervisor.text(f"/console/tickets/{ticket.id}")
    assert "等待审批" in page
    assert "紧急需审批" in page
    approval = Approval.get()
    supervisor.post(
        f"/console/automation/approvals/{approval.id}/decide?next=/console/tickets/{ticket.id}",
        {"decision": "approve", "reason": "同意"},
    )
    assert tickets.get(auto_tenant, ticket.id).priority == "urgent"
    assert Approval.get().status == "approved"
    assert "同意" in supervisor.text("/console/automation/approvals/")


def test_webhooks_page_subscribes_shows_the_log_and_replays(
    app, make_user, auto_tenant, outbound_loopback, http_server
):
    receiver = http_server()
    admin = _zh(app, make_user, "admin")
    form = admin.text("/console/automation/webhooks/")
    assert "创建了工单" in form  # event kinds to tick, by their words
    refused = admin.post("/console/automation/webhooks/", {"url": "http://10.0.0.1/hook", "kinds": "created"})
    assert refused.status_code == 422
    refusal = refused.get_data(as_text=True)
    assert "地址: 该主机未解析到公网地址" in refusal  # the field by its label, the reason in Chinese
    assert 'value="created" id="kind-' in refusal
    assert refusal.split('value="created" id="kind-', 1)[1].split(">", 1)[0].endswith(" checked")  # kept ticked
    done = admin.post(
        "/console/automation/webhooks/", {"url": f"{receiver.base}/hook", "kinds": "created"}, follow_redirects=True
    )
    assert "签名密钥仅此一次显示" in done.get_data(as_text=True)
    webhooks.enqueue_new_events(auto_tenant)
    tickets.create(auto_tenant, {"subject": "推送"}, Actor.system())
    webhooks.enqueue_new_events(auto_tenant)
    assert webhooks.send_due(auto_tenant) == 1
    page = admin.text("/console/automation/webhooks/")
    assert "已送达" in page
    log = page.split('id="webhook-deliveries"', 1)[1]
    assert "创建了工单" in log
    assert ">created<" not in log
    delivery = page.split("/deliveries/", 1)[1].split("/replay", 1)[0]
    admin.post(f"/console/automation/webhooks/deliveries/{delivery}/replay")
    assert webhooks.send_due(auto_tenant) == 1
    assert len(receiver.seen) == 2
    supervisor, _ = make_user("supervisor")
    assert ConsoleClient(app, supervisor).get("/console/automation/webhooks/").status_code == 403


def _field_errors(page: str, name: str) -> list[str]:
    marker = f'<div class="field-error" data-for="{name}">'
    return [part.split("</div>", 1)[0] for part in page.split(marker)[1:]]


def test_macro_actions_are_rows_with_the_apis_checks_and_words_in_both_languages(app, make_user, auto_tenant):
    """A macro's actions are rows (an action, then its own fields; choices in words, not codes);
    a refused input is marked beside itself with the reason the API gives in that language."""
    supervisor, api = make_user("supervisor", name="主管")
    zh = ConsoleClient(app, supervisor, language="zh_CN")
    blank = zh.text("/console/automation/macros/")
    assert 'name="act-0-action"' in blank
    assert "name=value" not in blank
    assert "act_inputs" not in blank
    assert '<template id="action-inputs-set_status">' in blank
    status_fields = blank.split('<template id="action-inputs-set_status">', 1)[1].split("</template>", 1)[0]
    assert 'name="act-__row__-in-status"' in status_fields
    assert ">已解决</option>" in status_fields
    assert ">resolved</option>" not in status_fields

    too_long = "长" * 51
    form = {
        "name": "转人工并加标签",
        "body_zh": "已为你转人工。",
        "act-0-action": "set_status",
        "act-0-in-status": "pending",
        "act-1-action": "set_tags",
        "act-1-in-tags": f"加急, {too_long}",
        "act-1-in-mode": "add",
        "act-2-action": "set_assignee",
        "act-2-in-assignee_id": "abc",
    }
    refused = zh.post("/console/automation/macros/", form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    via_api = api.post(
        "/api/v1/automation/macros",
        json={
            "name": "转人工并加标签",
            "body_zh": "已为你转人工。",
            "actions": [
                {"action": "set_status", "inputs": {"status": "pending"}},
                {"action": "set_tags", "inputs": {"tags": ["加急", too_long], "mode": "add"}},
                {"action": "set_assignee", "inputs": {"assignee_id": "abc"}},
            ],
        },
        headers={"Accept-Language": "zh-CN"},
    )
    assert via_api.status_code == 422
    api_fields = via_api.get_json()["error"]["fields"]
    too_long_zh = ["长度须在 1 到 50 个字符之间。"]
    assert _field_errors(page, "act-1-in-tags") == api_fields["actions.1.inputs.tags.1"] == too_long_zh
    assert _field_errors(page, "act-2-in-assignee_id") == api_fields["actions.2.inputs.assignee_id"]
    assert _field_errors(page, "act-0-in-status") == []
    assert f'value="加急, {too_long}"' in page  # the form comes back as typed, row by row
    assert "{1: [" not in page  # no Python values
    assert "actions.1" not in page  # no field paths

    en = ConsoleClient(app, supervisor, language="en")
    english = en.post("/console/automation/macros/", form).get_data(as_text=True)
    assert _field_errors(english, "act-1-in-tags") == ["Length must be between 1 and 50."]
    assert ">Pending</option>" in english

    form["act-1-in-tags"], form["act-2-in-assignee_id"] = "加急, 转人工", str(supervisor.id)
    assert zh.post("/console/automation/macros/", form).status_code == 302
    (macro,) = Macro.select()
    assert macro.actions == [
        {"action": "set_status", "inputs": {"status": "pending"}},
        {"action": "set_tags", "inputs": {"tags": ["加急", "转人工"], "mode": "add"}},
        {"action": "set_assignee", "inputs": {"assignee_id": supervisor.id}},
    ]
    editing = zh.text(f"/console/automation/macros/?id={macro.id}")
    assert 'value="加急, 转人工"' in editing
    assert 'name="act-2-in-assignee_id"' in editing
    removed = {**form, "act-1-delete": "1"}
    assert zh.post(f"/console/automation/macros/?id={macro.id}", removed).status_code == 302
    assert [step["action"] for step in Macro.get_by_id(macro.id).actions] == ["set_status", "set_assignee"]


def test_a_trigger_can_listen_to_an_enabled_plugins_event_by_its_words(app, make_user, auto_tenant, enable_plugin):
    """The builder's "when" offers the event kinds of the tenant's plugins (收到拼多多售后申请),
    so the issue's Pinduoduo refund trigger can be built in the console."""
    admin = _zh(app, make_user, "admin")
    form = admin.get("/console/automation/rules/new/trigger").get_data(as_text=True)
    assert "pdd_connector.request_received" not in form  # the connector is off in this tenant
    enable_plugin("pdd_connector")
    form = admin.get("/console/automation/rules/new/trigger").get_data(as_text=True)
    assert '<option value="pdd_connector.request_received">收到拼多多售后申请</option>' in form
    assert "action.run" not in form  # the engine's own kinds are not events
    assert "automation.approval" not in form
    saved = admin.post(
        "/console/automation/rules/new/trigger",
        {
            "name": "拼多多退款：低于 ¥5,000 立即同意并备注",
            "active": "1",
            "match": "all",
            "event": "pdd_connector.request_received",
            "act-0-action": "pdd_connector.agree_refund",
            "act-1-action": "add_note",
            "act-1-in-body": "已按退款规则自动同意",
        },
    )
    assert saved.status_code == 302
    rule = Rule.get()
    assert (rule.event, [a["action"] for a in rule.actions]) == (
        "pdd_connector.request_received",
        ["pdd_connector.agree_refund", "add_note"],
    )
    rules_page = admin.get("/console/automation/rules/").get_data(as_text=True)
    assert "收到拼多多售后申请" in rules_page


def test_every_console_string_of_the_plugin_is_in_its_chinese_catalogue():
    from pathlib import Path

    import gongdan_automation

    from gongdan.admin.i18n import untranslated

    assert untranslated(Path(gongdan_automation.__file__).parent) == []


def test_refusals_on_the_console_read_in_chinese(app, make_user, auto_tenant, new_ticket):
    """A decided approval decided again, and a delivery's error, in words of the page's language."""
    from gongdan_automation import approvals
    from gongdan_automation.console import _delivery_error

    ticket = new_ticket()
    approval = approvals.request(auto_tenant, ticket, "set_priority", {"priority": "high"}, Actor.system())
    admin = _zh(app, make_user, "admin")
    waiting = admin.text("/console/automation/approvals/")
    assert "优先级：高" in waiting  # what the approver approves, in words
    assert "优先级：高" in admin.text(f"/console/tickets/{ticket.id}")
    url = f"/console/automation/approvals/{approval.id}/decide"
    admin.post(url, {"decision": "reject", "reason": "不需要"})
    again = admin.post(url, {"decision": "approve"}, follow_redirects=True).get_data(as_text=True)
    assert "此审批已被处理或已过期" in again
    assert "already" not in again
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert _delivery_error("no usable answer from the address (refused, timed out or failed TLS)").startswith(
            "对方地址没有可用的应答"
        )
        assert _delivery_error("the remote side answered HTTP 503") == "对方返回 HTTP 503"
