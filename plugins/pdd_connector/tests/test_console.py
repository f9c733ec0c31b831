"""Console pages: shops, quarantine, and the ticket panel's confirmed actions."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from gongdan_pdd_connector import mapping, shops, store, sync
from gongdan_pdd_connector.models import PddQuarantine, PddRefund, PddShop
from gongdan_pdd_connector.protocol import MERCHANT_TO_ACT
from gongdan_pdd_connector.testing import connect_all, truth

from gongdan import actions as ticket_actions
from gongdan import clock
from gongdan.actors import Actor
from gongdan.models import Ticket, TicketEvent
from gongdan.testing import ConsoleClient


def test_shops_and_quarantine_pages(synced, app, make_user):
    sim, shop = synced
    supervisor, _ = make_user("supervisor")
    browser = ConsoleClient(app, supervisor)
    page = browser.text("/console/pdd-shops/")
    assert shop.owner_id in page
    assert "authorized" in page
    assert sim.client_secret not in page
    assert 'name="since"' not in page  # supervisors see the state; admins start syncs
    assert "pdd-quarantined" not in browser.text("/console/pdd-quarantine/")
    chinese = ConsoleClient(app, supervisor, language="zh_CN").text("/console/pdd-shops/")
    assert "已授权" in chinese  # words and local times, not `authorized` and ISO text in UTC
    assert "+00:00" not in chinese
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", chinese)
    admin, _ = make_user("admin")
    assert 'name="since"' in ConsoleClient(app, admin).text("/console/pdd-shops/")
    agent, _ = make_user("agent")
    assert ConsoleClient(app, agent).get("/console/pdd-shops/").status_code == 403


def test_ticket_panel_actions_need_confirmation(synced, app, make_user, pdd_tenant):
    sim, _shop = synced
    waiting = next(r for r in truth(sim) if r["status"] == 2)
    ticket = PddRefund.get(PddRefund.after_sales_id == str(waiting["id"])).ticket
    agent, _ = make_user("agent")
    browser = ConsoleClient(app, agent)
    page = browser.text(f"/console/tickets/{ticket.id}")
    assert "panel-pdd_connector" in page
    assert f"/console/pdd-actions/{ticket.id}/agree-refund" in page
    assert 'data-confirm="Agree to this refund on Pinduoduo?"' in page  # asked by console.js, no inline script
    assert "onsubmit" not in page

    browser.post(f"/console/pdd-actions/{ticket.id}/agree-refund", {})
    assert (
        not TicketEvent.select()
        .where((TicketEvent.ticket == ticket.id) & TicketEvent.kind.in_(("pdd_connector.refund_agreed", "action.run")))
        .exists()
    )

    done = browser.post(f"/console/pdd-actions/{ticket.id}/agree-refund", {"confirm": "yes"})
    assert done.status_code == 302
    kinds = [e.kind for e in TicketEvent.select().where(TicketEvent.ticket == ticket)]
    assert "pdd_connector.refund_agreed" in kinds
    assert {str(r["id"]): r["status"] for r in truth(sim)}[str(waiting["id"])] == 4

    order = browser.text(f"/console/pdd-actions/{ticket.id}/order")
    assert "receiver_phone_mask" in order
    assert 'id="pdd-addresses"' in order


def test_resolving_while_the_platform_waits_asks_first_and_refund_is_offered_only_where_accepted(
    synced, app, make_user, pdd_tenant
):
    """Issue 16 bug 3: no warning before resolving a case the platform still waits on; 同意退款
    was offered in statuses where Pinduoduo refuses it."""
    sim, _shop = synced
    records = truth(sim)
    waiting = next(r for r in records if r["status"] == 2)
    other = next(r for r in records if r["status"] in (14, 21, 32, 33))
    agent, _ = make_user("agent")
    browser = ConsoleClient(app, agent, language="zh_CN")
    ticket = PddRefund.get(PddRefund.after_sales_id == str(waiting["id"])).ticket
    page = html.unescape(browser.text(f"/console/tickets/{ticket.id}"))
    assert "拼多多仍在等待商家处理（买家申请退款，待商家处理" in page
    resolve_form = page[: page.index('id="to-resolved"')].rsplit("<form", 1)[1]
    assert "data-confirm=" in resolve_form
    elsewhere = PddRefund.get(PddRefund.after_sales_id == str(other["id"])).ticket
    panel = browser.text(f"/console/tickets/{elsewhere.id}")
    assert f"/console/pdd-actions/{elsewhere.id}/agree-refund" not in panel
    offered = {a.name for a in ticket_actions.available(pdd_tenant, elsewhere, Actor.of(agent))}
    assert "pdd_connector.agree_refund" not in offered
    assert "pdd_connector.agree_refund" in {
        a.name for a in ticket_actions.available(pdd_tenant, ticket, Actor.of(agent))
    }


def test_the_deadline_queue_lists_waiting_cases_soonest_first(synced, app, make_user, pdd_tenant):
    """Issue 16 bug 3: nothing sorted by the platform's deadline (处理截止)."""
    agent, _ = make_user("agent")
    page = ConsoleClient(app, agent, language="zh_CN").text("/console/pdd-deadlines/")
    assert "待商家处理（按处理截止排序）" in page
    waiting = (
        PddRefund.select()
        .join(Ticket, on=(PddRefund.ticket == Ticket.id))
        .where(PddRefund.status.in_(sorted(MERCHANT_TO_ACT)) & Ticket.status.in_(("new", "open", "pending")))
        .order_by(PddRefund.expire_time.asc(nulls="LAST"), PddRefund.id)
    )
    expected = [f"/console/tickets/{r.ticket_id}" for r in waiting]
    assert len(expected) >= 2
    shown = re.findall(r'<a href="(/console/tickets/\d+)">', page[page.index('id="pdd-deadlines"') :])
    assert shown == expected


def test_the_settings_form_reads_in_words_not_codes(console_client, enable_plugin):
    enable_plugin("pdd_connector")
    chinese = console_client("admin", language="zh_CN").text("/console/plugins/pdd_connector/settings")
    assert "售后类型对应的分类" in chinese
    assert "同步间隔（秒）" in chinese
    assert re.search(r'<option value="refund_only"[^>]*>仅退款</option>', chinese)
    english = console_client("admin", language="en").text("/console/plugins/pdd_connector/settings")
    assert "Category per after-sales type" in english
    assert re.search(r'<option value="return_refund"[^>]*>Return and refund</option>', english)
    for page in (chinese, english):
        assert not re.search(r">\s*(refund_only|return_refund|sync_interval_seconds)\s*<", page)


def _outside_details(page: str) -> str:
    """The page's HTML without its closed `<details>` (what a person reads before opening one)."""
    return re.sub(r"<details.*?</details>", "", page, flags=re.S)


def test_sync_errors_and_quarantine_read_as_sentences_in_the_page_language(pdd_tenant, start_sim, console_client):
    """The platform's code is kept with the failure; the console says what it means in zh and
    en, and keeps the gateway's own (English) text only as a detail for an integrator."""
    sim = start_sim(shops=1, records=4, no_rate_limit=True)
    (shop,) = connect_all(pdd_tenant, sim)
    sim.control("POST", "faults", {"error_code": 20031, "rate": 1.0, "apis": ["pdd.refund.information.get"]})
    since = clock.now() - timedelta(days=0.2)
    run = sync.sync_shop(shop, since=since, client=shops.client_for(shop, limiter=None))
    assert run.status == "done"
    assert run.quarantined >= 1
    assert {q.error_code for q in PddQuarantine.select()} == {20031}
    store.quarantine(store.Context.of(shop), {"item": {"id": 1}, "detail": None}, _malformed({"id": 1}))
    sim.control("POST", "faults", {"error_code": 20031, "rate": 1.0, "apis": ["pdd.refund.list.increment.get"]})
    run = sync.sync_shop(shop, since=since, client=shops.client_for(shop, limiter=None))
    assert run.status == "failed"
    assert run.error_code == 20031
    assert PddShop.get_by_id(shop.id).last_error_code == 20031
    chinese = console_client("supervisor", language="zh_CN")
    shops_zh = _outside_details(chinese.text("/console/pdd-shops/"))
    assert "应用没有调用该接口的权限：请在拼多多开放平台申请。" in shops_zh
    quarantine_zh = _outside_details(chinese.text("/console/pdd-quarantine/"))
    assert "无法读取该记录的详情：应用没有调用该接口的权限" in quarantine_zh
    assert "记录缺少订单号。" in quarantine_zh
    english = console_client("supervisor", language="en")
    assert "The app lacks the permission for this interface" in _outside_details(english.text("/console/pdd-shops/"))
    quarantine_en = _outside_details(english.text("/console/pdd-quarantine/"))
    assert "The record lacks the order number." in quarantine_en
    for page in (shops_zh, quarantine_zh):
        for raw in ("20031", "permission package", "detail unavailable", "order_sn"):
            assert raw not in page
    assert "permission package" in chinese.text("/console/pdd-shops/")  # the raw text, for an integrator


def _malformed(item: dict) -> mapping.Malformed:
    try:
        mapping.normalize(item)
    except mapping.Malformed as problem:
        return problem
    raise AssertionError("the record is well formed")


def test_a_backfill_start_is_read_as_a_person_writes_it_and_refused_in_words(pdd_tenant, console_client, frozen_clock):
    """The shops page's "backfill from" said "7d, 12h or an ISO date" and flashed the API's English
    ("use 7d, 12h, 90m or an ISO 8601 time …") on a Chinese page, with a redirect (302)."""
    from gongdan_pdd_connector.console import backfill_start

    for text in ("2026-11-01", "2026年11月1日", "2026/11/1", "1 Nov 2026"):
        assert backfill_start(text).isoformat() == "2026-11-01T00:00:00+08:00", text
    assert backfill_start("7d") == clock.now() - timedelta(days=7)
    assert backfill_start("2026-11-01T09:30:00+08:00").isoformat() == "2026-11-01T09:30:00+08:00"
    assert backfill_start("11/01/2026") is None
    shop = PddShop.create(
        tenant=pdd_tenant, owner_id="9001", client_id="c", client_secret="s", access_token="t", gateway_url="http://x"
    )
    chinese = console_client("admin", language="zh_CN")
    answer = chinese.post(f"/console/pdd-shops/{shop.id}/sync", {"since": "11/01/2026"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "回补起点：请填写 7d（7 天前）、12h（12 小时前）或日期，如 2026-11-01。" in page
    assert "ISO" not in page
    english = console_client("admin", language="en").post(f"/console/pdd-shops/{shop.id}/sync", {"since": "soon"})
    assert english.status_code == 422
    assert "Backfill from: write 7d (7 days ago), 12h (12 hours ago) or a date such as 2026-11-01." in html.unescape(
        english.get_data(as_text=True)
    )
