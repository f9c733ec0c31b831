"""Console pages: reports with drill-down links and exports, the week at a glance, forecast and
staffing with the promotions form; roles; both languages."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gongdan.models import Ticket, TicketEvent


def test_reports_page_links_each_figure_to_its_tickets(
    analytics: Any, console_client: Any, new_ticket: Any, app: Any, counted: Any
) -> None:
    new_ticket("破损", channel="web", category="售后/退货退款/质量问题")
    new_ticket("催单", channel="email", customer={"name": "VIP 客户", "tier": "vip"})
    counted()
    page = console_client("supervisor", language="en")
    vip = page.text("/console/tickets/?tier=vip")
    assert "催单" in vip
    assert "破损" not in vip
    html = page.text("/console/analytics/reports/?from=2026-11-01&to=2026-11-02&group_by=problem")
    assert "Top problems" in html
    row = re.search(r'data-value="售后/退货退款/质量问题">.*?<a href="([^"]+)" class="drill">1</a>', html, re.S)
    link = row.group(1)
    args = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert args == {
        "created_from": ["2026-11-01"],
        "created_to": ["2026-11-02"],
        "category": ["售后/退货退款/质量问题"],
    }
    listed = page.text(link.replace("&amp;", "&"))
    assert "破损" in listed
    assert "催单" not in listed
    other_day = page.text("/console/tickets/?created_from=2026-11-03&created_to=2026-11-04")
    assert "破损" not in other_day
    assert Ticket.select().count() == 2


def test_pages_in_chinese_and_roles(analytics: Any, console_client: Any, new_ticket: Any, counted: Any) -> None:
    new_ticket("一", channel="web")
    page = console_client("supervisor", language="zh_CN")
    assert "尚未统计：新工单和变更每 60 秒统计一次。" in page.text("/console/analytics/week/")
    counted()
    week = page.text("/console/analytics/week/")
    assert "本周概览" in week
    assert "统计于 2026-11-02 10:00。新工单和变更每 60 秒统计一次" in week
    english = console_client("supervisor", language="en").text("/console/analytics/reports/")
    assert "Counted at 2026-11-02 10:00. New tickets and changes are counted every 60 seconds" in english
    assert "报表" in page.text("/console/analytics/reports/")
    forecast = page.text("/console/analytics/forecast/")
    assert "预测与排班" in forecast
    assert 'name="name"' in forecast
    assert console_client("agent").get("/console/analytics/reports/").status_code == 403
    bad = page.get("/console/analytics/reports/?from=2026-11-09&to=2026-11-01")
    assert bad.status_code == 422
    assert "report-errors" in bad.get_data(as_text=True)


def test_console_exports_are_audited(analytics: Any, console_client: Any, new_ticket: Any) -> None:
    new_ticket("退款", channel="web", customer={"name": "钱女士", "phone": "13900001111", "tier": "vip"})
    page = console_client("supervisor", language="zh_CN")
    answer = page.get("/console/analytics/reports/export?report=tickets&format=csv&column=number&column=customer_phone")
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert rows == [["编号", "客户电话"], ["1", "139****1111"]]
    summary = page.get("/console/analytics/reports/export?report=summary&format=xlsx&group_by=channel")
    assert summary.status_code == 200
    assert summary.get_data()[:2] == b"PK"
    refused = page.get("/console/analytics/reports/export?report=summary&format=pdf")
    assert refused.status_code == 422
    assert "format" in refused.get_data(as_text=True)
    kinds = [e.data["what"] for e in TicketEvent.select().where(TicketEvent.kind == "export.created")]
    assert kinds == ["tickets", "report:summary"]


def test_promotions_form(analytics: Any, console_client: Any) -> None:
    admin = console_client("admin", language="en")
    saved = admin.post(
        "/console/analytics/forecast/",
        {"name": ["双11", ""], "start": ["2026-11-11", ""], "end": ["2026-11-11", ""], "uplift": ["3", ""]},
    )
    assert saved.status_code == 302
    assert "双11" in admin.text("/console/analytics/forecast/")
    wrong = admin.post(
        "/console/analytics/forecast/", {"name": "618", "start": "2027-06-18", "end": "2027-06-01", "uplift": ""}
    )
    assert wrong.status_code == 422
    assert "items.0.end" in wrong.get_data(as_text=True)
    supervisor = console_client("supervisor")
    assert (
        supervisor.post(
            "/console/analytics/forecast/", {"name": "x", "start": "2027-01-01", "end": "2027-01-02"}
        ).status_code
        == 403
    )


def test_settings_form_reads_in_chinese(analytics: Any, console_client: Any) -> None:
    page = console_client("admin", language="zh_CN").text("/console/plugins/analytics/settings")
    assert "钉钉机器人" in page
    assert "钉钉加签密钥" in page
    assert "排班：服务水平" in page
