"""What a walk through the console in both languages found on screen (each a regression test)."""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points
from typing import Any

from gongdan import hooks, tickets
from gongdan.actors import Actor
from gongdan.contributions import Channel
from gongdan.hookspecs import hookimpl


class Marketplace:
    @hookimpl
    def gongdan_channels(self):
        return [Channel(name="shop", label="拼多多 Pinduoduo", label_zh="拼多多", label_en="Pinduoduo")]


def test_a_plugins_channel_is_named_in_the_consoles_language(tenant, console_client, register_plugin):
    """The portal's channel read "客户门户 Customer portal" on both pages: a channel may name
    itself per language (`label_zh`/`label_en`), and the list shows the one of the page."""
    register_plugin(Marketplace(), "marketplace")
    tickets.create(tenant, {"subject": "下单后没发货", "channel": "shop"}, Actor.system("t"))
    chinese = console_client("agent", language="zh_CN").text("/console/tickets/")
    english = console_client("agent", language="en").text("/console/tickets/")
    assert ">拼多多<" in chinese
    assert "Pinduoduo" not in chinese
    assert ">Pinduoduo<" in english
    assert "拼多多 Pinduoduo" not in english


def _hookimpls_defined_in(package: Any) -> set[str]:
    """Names of the hook implementations defined in `package`'s own modules (simulators and
    `__main__` modules, which start programs when imported, left out)."""
    found = set()
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if "simulator" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, item in vars(module).items():
            implemented = name.startswith("gongdan_") and getattr(item, "gongdan_impl", None) is not None
            if implemented and getattr(item, "__module__", "") == module.__name__:
                found.add(name)
    return found


def test_every_hook_a_plugin_implements_is_registered(gongdan_db):
    """The SLA and assignment plugins wrote `gongdan_event_kinds` in a submodule but the entry
    point's module did not re-export it, so the timeline showed `sla.policy_changed` and
    `assignment.waiting`: every hookimpl in a plugin's package is one the host registers."""
    for entry in entry_points(group="gongdan.plugins"):
        package = entry.load()
        if not hasattr(package, "__path__"):
            continue
        exported = {name for name in dir(package) if name.startswith("gongdan_")}
        assert _hookimpls_defined_in(package) - exported == set(), entry.name


def test_the_sla_and_assignment_events_read_as_words(gongdan_db):
    kinds = hooks.event_kinds()
    assert kinds["sla.policy_changed"].label_zh
    assert kinds["assignment.waiting"].label_en == "is waiting for an agent"


def test_an_assignment_reads_its_strategy_by_name(tenant, console_client, make_user):
    """The timeline read "方式: skills" and "原因: skills: 换货 level 3; load 0/8": a registered
    strategy is shown by its label, the plugin's reason in the page's language."""
    from gongdan_assignment.strategies import BUILTIN

    agent, _ = make_user("agent", name="王伟")
    ticket, _ = tickets.create(tenant, {"subject": "换尺码", "channel": "web"}, Actor.system("t"))
    reason = "skills: 换货 level 3; load 0/8 (rule 2)"
    tickets.assign(tenant, ticket, agent.id, Actor.system("plugin:assignment"), reason=reason, strategy="skills")
    assert "skills" in {s.name for s in BUILTIN}
    chinese = console_client("agent", language="zh_CN").text(f"/console/tickets/{ticket.id}")
    english = console_client("agent", language="en").text(f"/console/tickets/{ticket.id}")
    assert '<span class="event-field">方式: 按技能</span>' in chinese
    assert '<span class="event-field">by: Skills</span>' in english
    # the reason the plugin wrote reads in the page's language too (it read "skills: 换货 level 3; …")
    assert '<span class="event-field">原因: 按技能：换货 等级 3；负载 0/8（规则 2）</span>' in chinese
    assert '<span class="event-field">why: Skills: 换货 level 3; load 0/8 (rule 2)</span>' in english


def test_the_users_and_customers_lists_read_as_words_and_local_times(tenant, console_client, make_user):
    """The users list showed `agent`, the team's id and `2026-11-30 20:30:01.948825+00:00`; the
    customers list `vip` and UTC: roles and tiers in words, teams by name, times in the tenant's
    zone to the minute."""
    from gongdan.models import Customer, Team, User

    team = Team.create(tenant=tenant, name="售后组")
    agent, _ = make_user("agent", name="李娜")
    agent.team = team
    agent.save()
    Customer.create(tenant=tenant, name="王女士", tier="vip")
    admin = console_client("admin", language="zh_CN")
    users = admin.text("/console/users/")
    assert "+00:00" not in users
    assert ">售后组<" in users.replace("\n", "").replace(" ", "")
    assert "管理员" in users
    assert ">agent<" not in users.replace("\n", "").replace(" ", "")
    login = User.get_by_id(admin.user.id).last_login_at
    assert login is not None
    assert local_minute(login, tenant) in users
    customers = admin.text("/console/customers/")
    assert "+00:00" not in customers
    assert ">VIP<" in customers.replace("\n", "").replace(" ", "")
    assert ">vip<" not in customers.replace("\n", "").replace(" ", "")


def local_minute(value: Any, tenant: Any) -> str:
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(tenant.timezone or "Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def test_the_plugins_page_describes_each_plugin_in_the_pages_language(tenant, console_client):
    """The Chinese plugins page described every plugin in English (PluginSpec.description_zh)."""
    chinese = console_client("admin", language="zh_CN").text("/console/plugins/")
    english = console_client("admin", language="en").text("/console/plugins/")
    assert "按技能、负载和客户等级分配工单" in chinese
    assert "Assigns tickets by skill" not in chinese
    assert "Assigns tickets by skill" in english


def test_the_audit_log_reads_a_plugins_ticket_events_as_the_timeline_does(tenant, console_client):
    """The audit log showed `插件 pdd_connector`, `due at: 2026-12-02T19:49:52+00:00`,
    `outcome: not_applicable`: a registered ticket event reads as on the ticket's timeline."""
    from gongdan.models import Team

    team = Team.create(tenant=tenant, name="售后组")
    ticket, _ = tickets.create(tenant, {"subject": "等人接", "channel": "web"}, Actor.system("t"))
    tickets.record_event(
        tenant, ticket, "assignment.waiting", {"team": team.id, "reason": "满员"}, Actor.system("plugin:assignment")
    )
    page = console_client("supervisor", language="zh_CN").text("/console/audit/")
    assert "等待分配" in page
    assert "团队: 售后组" in page
    assert ">智能分配<" in page.replace("\n", "")
    assert "plugin assignment" not in page
    assert f"team: {team.id}" not in page


def test_on_a_phone_the_lists_facts_go_under_the_subject(tenant, console_client):
    """At 390 px the list squeezed subjects to two characters a line beside four narrow columns
    (and still ran 24 px past the screen in English): on a phone status, priority, assignee and
    SLA due read as one line under the subject, the columns from 576 px up."""
    tickets.create(tenant, {"subject": "快递一直没到", "channel": "web", "priority": "high"}, Actor.system("t"))
    page = console_client("agent", language="zh_CN").text("/console/tickets/")
    facts = page.split('class="d-sm-none small text-muted ticket-facts">', 1)[1].split("</div>", 1)[0]
    assert "新建" in facts
    assert "高" in facts
    assert "未分配" in facts
    assert '<th class="d-none d-sm-table-cell">状态</th>' in page


def test_the_sla_transports_are_ticked_not_typed_as_codes(tenant, console_client, enable_plugin):
    """The SLA settings asked for "in_app, email, webhook" typed as codes: each notification
    transport is a box to tick, in words, and what is ticked is saved."""
    from gongdan.plugins import get_host

    enable_plugin("sla", settings={"transports": ["in_app"]})
    admin = console_client("admin", language="zh_CN")
    page = admin.text("/console/plugins/sla/settings")
    assert "站内通知（铃铛）" in page
    assert 'name="transports" value="email"' in page
    assert 'value="in_app" id="in-transports-' in page
    assert "in_app 站内" not in page
    form = {"transports": ["in_app", "email"], "smtp_host": "", "smtp_port": "25"}
    saved = admin.post("/console/plugins/sla/settings", form)
    assert saved.status_code in (200, 302), saved.get_data(as_text=True)[:500]
    assert get_host().settings(tenant, "sla")["transports"] == ["in_app", "email"]


def test_a_refused_or_missing_console_page_speaks_the_users_language(tenant, console_client, agent_api):
    """An agent following a link to the audit log met Werkzeug's English "Forbidden" page."""
    agent = console_client("agent", language="zh_CN")
    refused = agent.get("/console/audit/")
    assert refused.status_code == 403
    assert "你的角色不能打开这个页面" in refused.get_data(as_text=True)
    missing = agent.get("/console/tickets/999999")
    assert missing.status_code == 404
    assert "不存在" in missing.get_data(as_text=True)
    english = console_client("agent", language="en").get("/console/audit/")
    assert "Your role does not open this page" in english.get_data(as_text=True)
    api = agent_api.get("/api/v1/tickets/999999")  # the API keeps its JSON envelope
    assert api.status_code == 404
    assert api.get_json()["error"]["code"] == "not_found"


def test_a_reassignment_the_first_response_job_skipped_reads_in_chinese(tenant, console_client, make_user):
    """The audit log read "原因: no first response from 刘洋 within 30 min; nobody else can take it
    now; it stays": the first-response job's reasons read in the page's language too."""
    agent, _ = make_user("agent", name="刘洋")
    ticket, _ = tickets.create(tenant, {"subject": "没人回", "channel": "web"}, Actor.system("t"))
    reason = "no first response from 刘洋 within 30 min; nobody else can take it now; it stays"
    data = {"reason": reason, "agent_id": agent.id}
    tickets.record_event(tenant, ticket, "assignment.reassign_skipped", data, Actor.system("plugin:assignment"))
    chinese = console_client("supervisor", language="zh_CN").text(f"/console/tickets/{ticket.id}")
    assert "刘洋 在 30 分钟内没有首次回复；现在没有其他人可以接手，工单保持原处理人" in chinese
    assert "no first response" not in chinese
    english = console_client("supervisor", language="en").text(f"/console/tickets/{ticket.id}")
    assert "No first response from 刘洋 within 30 min; nobody else can take it now; it stays" in english
