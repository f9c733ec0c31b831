"""Issue 16's console bugs: bulk values and messages, the assignee menu, stale pages, capacity,
and a timeline without internals (registered event kinds, names, local times) in zh and en."""

from __future__ import annotations

import html
import re

from marshmallow import Schema, fields, validate

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.hookspecs import hookimpl
from gongdan.models import Comment, SavedView, User
from gongdan.testing import ConsoleClient

SYSTEM = Actor.system("test")


def _create(tenant, subject, **extra):
    return tickets.create(tenant, {"subject": subject, "channel": "web", **extra}, SYSTEM)[0]


def _flashes(page: str) -> str:
    return html.unescape(" ".join(re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S)))


def test_bulk_value_is_a_labelled_select_and_the_result_is_said(console_client, make_user, tenant):
    ticket = _create(tenant, "批量")
    agent, _ = make_user("agent", name="小王")
    browser = console_client("supervisor", language="zh_CN")
    page = browser.text("/console/tickets/")
    assert '<select name="value"' in page
    assert 'list="bulk-values"' not in page
    assert '<option value="resolved">已解决</option>' in page
    done = browser.post("/console/tickets/bulk", {"action": "status", "value": "resolved", "ids": [str(ticket.id)]})
    assert "1 / 1 个工单已改为 已解决" in _flashes(browser.text(done.headers["Location"]))
    done = browser.post("/console/tickets/bulk", {"action": "assign", "value": str(agent.id), "ids": [str(ticket.id)]})
    assert "小王" in _flashes(browser.text(done.headers["Location"]))


def test_assignee_menu_lists_each_person_once_and_single_actions_say_what_they_did(console_client, tenant):
    ticket = _create(tenant, "菜单")
    browser = console_client("admin", language="en")
    me = User.select().order_by(User.id.desc()).first()
    page = browser.text(f"/console/tickets/{ticket.id}")
    menu = page[page.index('id="assignee-select"') : page.index("</select>", page.index('id="assignee-select"'))]
    assert menu.count(f'value="{me.id}"') == 1
    back = browser.post(f"/console/tickets/{ticket.id}/transition", {"to": "open"})
    assert "Status changed to Open." in _flashes(browser.text(back.headers["Location"]))


def test_assigning_from_a_stale_page_is_refused(console_client, make_user, tenant):
    ticket = _create(tenant, "并发")
    colleague, _ = make_user("agent", name="同事")
    browser = console_client("supervisor", language="en")
    page = browser.text(f"/console/tickets/{ticket.id}")
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)
    tickets.assign(tenant, tickets.get(tenant, ticket.id), colleague.id, SYSTEM)  # a colleague meanwhile
    back = browser.post(f"/console/tickets/{ticket.id}/assign", {"assignee_id": "", "version": version})
    assert "Someone changed this ticket while you had it open" in _flashes(browser.text(back.headers["Location"]))
    assert tickets.get(tenant, ticket.id).assignee_id == colleague.id


def test_the_timeline_shows_labels_names_and_local_times_not_internals(console_client, tenant):
    ticket = _create(tenant, "时间线")
    tickets.update(tenant, ticket, {"priority": "high"}, SYSTEM)
    tickets.transition(tenant, ticket, "open", SYSTEM)
    tickets.announce_deadline(tenant, ticket, "resolution", ticket.created_at, "pdd_connector")
    zh = console_client("admin", language="zh_CN").text(f"/console/tickets/{ticket.id}")
    timeline = html.unescape(zh[zh.index('id="timeline"') : zh.index("</ul>", zh.index('id="timeline"'))])
    assert "优先级: 普通 → 高" in timeline
    assert "从: 新建" in timeline
    assert "到: 处理中" in timeline
    assert "目标: 解决" in timeline
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", timeline)  # no ISO text with microseconds
    assert "修改了 priority" not in timeline
    assert "due_at" not in timeline
    assert "None" not in timeline
    en = console_client("admin", language="en").text(f"/console/tickets/{ticket.id}")
    assert "priority: Normal → High" in html.unescape(en)


def test_console_and_api_refuse_the_same_over_long_reply(console_client, admin_api, tenant):
    """Issue 16 bug 6: a 100,001-character reply was taken by the console and refused by the API."""
    ticket = _create(tenant, "长回复")
    body = "字" * 100_001
    api = admin_api.post(f"/api/v1/tickets/{ticket.id}/comments", json={"body": body})
    assert api.status_code == 422
    assert "body" in api.get_json()["error"]["fields"]
    browser = console_client("agent", language="en")
    back = browser.post(f"/console/tickets/{ticket.id}/comment", {"body": body, "internal": "0"})
    assert "Longer than maximum length 100000" in _flashes(browser.text(back.headers["Location"]))
    assert Comment.select().where(Comment.ticket == ticket.id).count() == 0
    browser.post(f"/console/tickets/{ticket.id}/comment", {"body": "字" * 100_000, "internal": "1"})
    assert Comment.select().where(Comment.ticket == ticket.id).count() == 1


def test_search_boxes_say_what_they_search_never_none(console_client):
    """Issue 16 bug 9: the search boxes of Users, Customers and Audit showed the placeholder "None"."""
    zh = console_client("admin", language="zh_CN")
    for path in ("/console/users/", "/console/customers/", "/console/audit/"):
        page = zh.text(path)
        assert 'placeholder="None"' not in page, path
    assert "搜索：" in zh.text("/console/users/")
    assert "姓名，或完整的邮箱、电话" in zh.text("/console/customers/")


class JsonSettings(Schema):
    """A plugin's settings with a JSON field and a number."""

    mapping = fields.Dict(load_default=dict, metadata={"label_zh": "映射", "label_en": "Mapping"})
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=50))


class JsonPlugin:
    @hookimpl
    def gongdan_settings_schema(self):
        return JsonSettings


def test_a_settings_form_shows_every_error_at_once_in_the_console_language(register_plugin, console_client):
    """Issue 16 bug 7: a bad JSON field hid the other errors until the next save; messages were English."""
    register_plugin(JsonPlugin(), "jsonish")
    browser = console_client("admin", language="zh_CN")
    bad_row = {"mapping-0-key": "", "mapping-0-value": "x"}  # the mapping is rows now: a row without its key
    answer = browser.post("/console/plugins/jsonish/settings", {**bad_row, "limit": "lots"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="error-mapping"' in page
    assert 'id="error-limit"' in page
    assert "不是有效的整数。" in page
    assert "映射" in page
    answer = browser.post("/console/plugins/jsonish/settings", {**bad_row, "limit": "99"})
    assert "必须在 1 到 50 之间。" in answer.get_data(as_text=True)


def test_an_unknown_sla_transport_is_refused_and_the_form_speaks_chinese(enable_plugin, admin_api, console_client):
    """Issue 16 bug 7: transport `pigeon` was saved silently; labels were English in the Chinese console."""
    enable_plugin("sla")
    refused = admin_api.put("/api/v1/plugins/sla", json={"enabled": True, "settings": {"transports": ["pigeon"]}})
    assert refused.status_code == 422
    assert "pigeon" in str(refused.get_json()["error"]["fields"])
    page = console_client("admin", language="zh_CN").text("/console/plugins/sla/settings")
    assert "通知方式" in page
    assert "SMTP 服务器" in page


def test_a_new_ticket_from_the_console_with_a_customer_found_by_lookup(console_client, tenant):
    """What agents expect: a phone call becomes a ticket; the customer is found, not retyped."""
    known = _create(tenant, "旧工单", customer={"name": "赵先生", "email": "zhao@example.com", "phone": "13800138000"})
    browser = console_client("agent", language="zh_CN")
    assert "新建工单" in browser.text("/console/tickets/")
    found = browser.client.get("/console/tickets/customers?q=zhao@example.com", headers=browser.headers).get_json()
    assert [c["name"] for c in found["items"]] == ["赵先生"]
    assert "zhao@example.com" not in str(found)  # masked
    assert browser.client.get("/console/tickets/customers?q=赵", headers=browser.headers).get_json()["items"]
    refused = browser.post("/console/tickets/new", {"subject": "", "customer_id": str(known.customer_id)})
    assert refused.status_code == 422
    assert 'id="error-subject"' in refused.get_data(as_text=True)
    made = browser.post(
        "/console/tickets/new",
        {
            "subject": "电话：换货进度",
            "description": "客户来电询问",
            "channel": "phone",
            "customer_id": str(known.customer_id),
        },
    )
    assert made.status_code == 302
    ticket = tickets.get(tenant, int(made.headers["Location"].rstrip("/").split("/")[-1]))
    assert ticket.customer_id == known.customer_id
    assert ticket.channel == "phone"
    page = browser.text(f"/console/tickets/{ticket.id}")
    assert "旧工单" in page  # the customer's other tickets on the card


def test_subject_and_description_are_edited_on_the_ticket_page(console_client, tenant):
    ticket = _create(tenant, "错字的主题", description="旧描述")
    browser = console_client("agent", language="en")
    browser.post(
        f"/console/tickets/{ticket.id}/update", {"subject": "正确的主题", "description": "新描述", "priority": "normal"}
    )
    fresh = tickets.get(tenant, ticket.id)
    assert (fresh.subject, fresh.description) == ("正确的主题", "新描述")


def test_the_ticket_page_knows_who_else_is_there_and_when_it_changed(console_client, tenant):
    """Collision detection by short polling: colleagues viewing and typing, and a change since loading."""
    ticket = _create(tenant, "两人同时处理")
    first = console_client("agent", language="zh_CN")
    second = console_client("agent", language="zh_CN")
    page = first.text(f"/console/tickets/{ticket.id}")
    version = re.search(r'data-version="([^"]*)"', page).group(1)
    assert "也在查看" in page  # the page carries its labels for the script
    assert first.post(f"/console/tickets/{ticket.id}/presence", {"typing": "1"}).get_json()["others"] == []
    seen = second.post(f"/console/tickets/{ticket.id}/presence", {"typing": "0"}).get_json()
    assert len(seen["others"]) == 1
    assert seen["others"][0]["typing"] is True
    assert seen["version"] == version
    tickets.comment(tenant, ticket, "我来回复", SYSTEM)
    after = first.post(f"/console/tickets/{ticket.id}/presence", {"typing": "0"}).get_json()
    assert after["last_comment"] > 0
    assert after["version"] != version
    assert after["others"][0]["typing"] is False


def test_saved_views_personal_and_shared_with_counts_on_the_list_and_the_queue(console_client, make_user, tenant):
    """What agents expect: saved views (filters and ordering) with counts; the queue page lists them."""
    for n in range(3):
        _create(tenant, f"紧急{n}", priority="urgent")
    _create(tenant, "普通", priority="normal")
    lead = console_client("supervisor", language="zh_CN")
    lead.post(
        "/console/tickets/views", {"name": "紧急的", "query": "priority=urgent&sort=created_at&page=3", "shared": "1"}
    )
    lead.post("/console/tickets/views", {"name": "我的", "query": "assignee=me"})
    agent = console_client("agent", language="zh_CN")
    page = agent.text("/console/tickets/")
    assert re.search(r"紧急的 <span class=\"badge badge-light\">3</span>", page)
    assert "我的" not in page[page.index('id="saved-views"') : page.index('id="ticket-filters"')]  # personal
    assert "priority=urgent&amp;sort=created_at" in page
    assert "page=3" not in page[page.index('id="saved-views"') : page.index('id="ticket-filters"')]
    queue = agent.text("/console/workspace/")
    assert "紧急的" in queue
    mine = agent.post("/console/tickets/views", {"name": "共享试试", "query": "status=new", "shared": "1"})
    assert mine.status_code == 302
    assert SavedView.get(SavedView.name == "共享试试").shared is False  # agents keep views to themselves


def test_mentions_and_assignments_ring_the_bell_read_and_unread(console_client, make_user, tenant):
    """What agents expect: @name in a note notifies that colleague; an assignment by a person
    notifies the assignee; the bell counts unread ones; opening one marks it read."""
    colleague, _ = make_user("agent", name="王伟")
    ticket = _create(tenant, "需要帮忙")
    lead = console_client("supervisor", language="zh_CN")
    lead.post(f"/console/tickets/{ticket.id}/comment", {"body": "@王伟 帮忙看一下", "internal": "1"})
    note = Comment.select().where(Comment.ticket == ticket.id).get()
    assert note.mentions == [colleague.id]
    lead.post(f"/console/tickets/{ticket.id}/assign", {"assignee_id": str(colleague.id)})
    bell = ConsoleClient(lead.client.application, colleague, language="zh_CN")
    page = bell.text("/console/tickets/")
    assert re.search(r'id="bell-count">2<', page)
    inbox_page = bell.text("/console/inbox/")
    assert inbox_page.count("inbox-unread") == 2
    assert "提及" in inbox_page
    assert f"#{ticket.number} 需要帮忙" in inbox_page
    first = re.search(r'action="(/console/inbox/\d+/open)"', inbox_page).group(1)
    opened = bell.post(first)
    assert opened.headers["Location"].endswith(f"/console/tickets/{ticket.id}")
    assert re.search(r'id="bell-count">1<', bell.text("/console/tickets/"))
    bell.post("/console/inbox/read")
    assert 'id="bell-count"' not in bell.text("/console/tickets/")


def test_followers_hear_of_new_messages_and_status_changes_not_their_own(console_client, make_user, tenant):
    """What agents expect: follow a ticket (watchers) and see its news on the bell."""
    ticket = _create(tenant, "关注的工单")
    fan, _ = make_user("agent", name="关注者")
    browser = ConsoleClient(console_client("agent").client.application, fan, language="zh_CN")
    browser.post(f"/console/tickets/{ticket.id}/follow", {"follow": "1"})
    assert 'id="follow">已关注<' in browser.text(f"/console/tickets/{ticket.id}")
    browser.post(f"/console/tickets/{ticket.id}/comment", {"body": "我自己的备注", "internal": "1"})  # own: no bell
    tickets.comment(tenant, ticket, "客户追问", Actor.system("customer"), from_customer=True)
    tickets.transition(tenant, tickets.get(tenant, ticket.id), "resolved", SYSTEM)
    inbox_page = browser.text("/console/inbox/")
    assert inbox_page.count("inbox-unread") == 2
    browser.post(f"/console/tickets/{ticket.id}/follow", {"follow": "0"})
    tickets.transition(tenant, tickets.get(tenant, ticket.id), "open", SYSTEM)
    assert browser.text("/console/inbox/").count("inbox-item") == 2


def test_ticket_action_runs_read_as_words_on_the_timeline(console_client, tenant):
    """A ticket action's `action.run` event is labelled, its outcome translated."""
    ticket = _create(tenant, "操作记录")
    tickets.record_event(tenant, ticket, "action.run", {"action": "set_priority", "outcome": "ok"}, SYSTEM)
    page = html.unescape(console_client("agent", language="zh_CN").text(f"/console/tickets/{ticket.id}"))
    timeline = page[page.index('id="timeline"') :]
    assert "执行了操作" in timeline
    assert "结果: 成功" in timeline
