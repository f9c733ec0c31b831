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
    assert rows[1][1:6] == ["退款 138****5678", "赵磊", "138****5678", "z***@example.com", "vip"]
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
