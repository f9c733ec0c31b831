"""Exports of reports and ticket lists as CSV or Excel, streamed, masked by role, audited.

CSV is written row by row into the response (UTF-8 with a byte-order mark, so Excel opens
Chinese text correctly). Excel files are written by xlsxwriter in its `constant_memory` mode
(each row flushed to a temporary file as it is written, so memory stays flat however many rows)
and the finished file is streamed in chunks and deleted. Customer e-mail and phone are masked
through `gongdan.masking` unless the caller may reveal contact details (`customer.reveal`) and
asked for them in clear. Every export is recorded with `gongdan.audit.record` as `export.created`.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import peewee as pw
import xlsxwriter
from flask import Response, stream_with_context

from gongdan import audit, masking, permissions
from gongdan.actors import Actor
from gongdan.models import Category, Customer, Team, Tenant, Ticket, User

from . import reports, service
from .rollup import tz_of

FORMATS = {
    "csv": ("text/csv", "csv"),  # Flask adds "; charset=utf-8"
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
CHUNK = 64 * 1024
PRODUCES = ",".join(media for media, _ in FORMATS.values())
BATCH = 1000

# column: (English, Chinese)
TICKET_COLUMNS: dict[str, tuple[str, str]] = {
    "number": ("Number", "编号"),
    "subject": ("Subject", "主题"),
    "status": ("Status", "状态"),
    "priority": ("Priority", "优先级"),
    "channel": ("Channel", "渠道"),
    "category": ("Category", "分类"),
    "tags": ("Tags", "标签"),
    "team": ("Team", "团队"),
    "assignee": ("Assignee", "处理人"),
    "customer_name": ("Customer", "客户"),
    "customer_email": ("Customer e-mail", "客户邮箱"),
    "customer_phone": ("Customer phone", "客户电话"),
    "customer_tier": ("Customer tier", "客户等级"),
    "created_at": ("Created", "创建时间"),
    "first_response_at": ("First response", "首次响应时间"),
    "resolved_at": ("Resolved", "解决时间"),
}
DEFAULT_TICKET_COLUMNS = ("number", "subject", "status", "priority", "channel", "category", "assignee", "created_at")
CONTACT_COLUMNS = {"customer_email": "email", "customer_phone": "phone"}

REPORT_COLUMNS: dict[str, tuple[str, str]] = {
    "label": ("Group", "分组"),
    "value": ("Value", "取值"),
    "created": ("New tickets", "新建工单"),
    "previous_created": ("New tickets, previous period", "上期新建"),
    "created_change": ("Change in new tickets", "新建环比"),
    "share": ("Share", "占比"),
    "first_response.avg_minutes": ("First response, mean minutes", "首次响应平均分钟"),
    "first_response_business.avg_minutes": ("First response, mean business minutes", "首次响应平均工作分钟"),
    "resolved": ("Resolved", "已解决"),
    "resolution.avg_minutes": ("Resolution, mean minutes", "解决平均分钟"),
    "resolution_business.avg_minutes": ("Resolution, mean business minutes", "解决平均工作分钟"),
    "reopen_rate": ("Reopen rate", "重开率"),
    "sla.first_response.attainment": ("SLA first response attainment", "首响SLA达成率"),
    "sla.resolution.attainment": ("SLA resolution attainment", "解决SLA达成率"),
    "sla.attainment": ("SLA attainment", "SLA达成率"),
    "csat.responses": ("Ratings", "评价数"),
    "csat.avg_score": ("Mean rating (1-5)", "平均评分"),
    "csat.satisfied_share": ("Satisfied share", "满意率"),
    "handling.avg_minutes": ("Handling per reply, mean minutes", "每次回复平均处理分钟"),
    "open": ("Open", "未关闭"),
    "avg_age_days": ("Mean age (days)", "平均时长(天)"),
    "lt_1d": ("Under 1 day", "1天内"),
    "d1_3": ("1-3 days", "1-3天"),
    "d3_7": ("3-7 days", "3-7天"),
    "ge_7d": ("7 days or more", "7天以上"),
}


def dig(row: dict[str, Any], path: str) -> Any:
    """The value at a dotted `path` of a report row (`sla.attainment`), or None."""
    value: Any = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def report_table(report: dict[str, Any], lang: str) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and rows of a report's items, with the columns the report has."""
    items = report.get("items") or []
    keys = [key for key in REPORT_COLUMNS if any(dig(item, key) is not None for item in items)] or ["value"]
    header = [REPORT_COLUMNS[key][1 if lang == "zh" else 0] for key in keys]
    none = "（无）" if lang == "zh" else "(none)"
    return header, (
        [none if key == "label" and item.get("value") == "" else dig(item, key) for key in keys] for item in items
    )


def may_unmask(actor: Actor) -> bool:
    """Whether `actor` may export customer contact details in clear."""
    return permissions.can(actor, "customer.reveal")


TICKET_FIELDS = (
    Ticket.id, Ticket.number, Ticket.subject, Ticket.status, Ticket.priority, Ticket.channel, Ticket.tags,
    Ticket.created_at, Ticket.first_response_at, Ticket.resolved_at, Ticket.category, Ticket.team,
    Ticket.assignee, Ticket.customer,
)  # fmt: skip


def ticket_query(tenant: Tenant, actor: Actor, filters: dict[str, Any], *, contact: bool = True) -> pw.ModelSelect:
    """The tickets an export lists: the caller's visible tickets matching the filters (only the
    columns an export shows; the customer's encrypted e-mail and phone only with `contact`)."""
    customer = (Customer.id, Customer.name, Customer.tier, *((Customer.email, Customer.phone) if contact else ()))
    query = (
        Ticket.select(*TICKET_FIELDS, Category.path, Team.name, User.name, User.email, *customer)
        .join(Category, pw.JOIN.LEFT_OUTER, on=(Ticket.category == Category.id))
        .join_from(Ticket, Team, pw.JOIN.LEFT_OUTER, on=(Ticket.team == Team.id))
        .join_from(Ticket, User, pw.JOIN.LEFT_OUTER, on=(Ticket.assignee == User.id))
        .join_from(Ticket, Customer, pw.JOIN.LEFT_OUTER, on=(Ticket.customer == Customer.id))
        .where(Ticket.tenant == tenant)
    )
    query = permissions.visible_tickets(actor, query, tenant)
    if filters.get("period") is not None:
        start, after = filters["period"].utc_bounds(tenant)
        query = query.where((Ticket.created_at >= start) & (Ticket.created_at < after))
    for name in ("channel", "status", "priority"):
        if filters.get(name):
            query = query.where(getattr(Ticket, name) == filters[name])
    if filters.get("team") is not None:
        query = query.where(Ticket.team == filters["team"])
    if filters.get("assignee") is not None:
        query = query.where(Ticket.assignee == filters["assignee"])
    if filters.get("category"):
        path = filters["category"]
        query = query.where((Category.path == path) | Category.path.startswith(path + "/"))
    if filters.get("tier"):
        query = query.where(Customer.tier == filters["tier"])
    return query.order_by(Ticket.number)


def _local(value: datetime | None, tenant: Tenant) -> str:
    return value.astimezone(tz_of(tenant)).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def ticket_rows(
    tenant: Tenant, query: pw.ModelSelect, columns: Sequence[str], masked: bool, lang: str = "en"
) -> Iterator[list[Any]]:
    """The cells of each ticket, in batches from the database; contact details masked when `masked`
    (each customer's details decrypted and masked once per export); status, priority, channel and
    customer tier in words of `lang`."""
    words = {dim: reports.code_words(dim, lang) for dim in ("status", "priority", "channel", "tier")}
    shown_of: dict[int, dict[str, Any]] = {}
    for ticket in query.iterator():
        category, team = getattr(ticket, "category", None), getattr(ticket, "team", None)
        assignee, customer = getattr(ticket, "assignee", None), getattr(ticket, "customer", None)
        shown = {}
        if customer is not None and customer.id:
            if customer.id not in shown_of:
                shown_of[customer.id] = masking.customer_dict(customer, revealed=not masked)
            shown = shown_of[customer.id]
        cells = {
            "number": ticket.number,
            "subject": masking.mask_text(ticket.subject) if masked else ticket.subject,
            "status": words["status"].get(ticket.status, ticket.status),
            "priority": words["priority"].get(ticket.priority, ticket.priority),
            "channel": words["channel"].get(ticket.channel, ticket.channel),
            "category": category.path if category and category.path else "",
            "tags": ",".join(ticket.tags or []),
            "team": team.name if team and team.name else "",
            "assignee": (assignee.name or assignee.email or "") if assignee else "",
            "customer_name": shown.get("name") or "",
            "customer_email": shown.get("email") or "",
            "customer_phone": shown.get("phone") or "",
            "customer_tier": words["tier"].get(shown.get("tier") or "", shown.get("tier") or ""),
            "created_at": _local(ticket.created_at, tenant),
            "first_response_at": _local(ticket.first_response_at, tenant),
            "resolved_at": _local(ticket.resolved_at, tenant),
        }
        yield [cells[name] for name in columns]


# a text cell starting so is read as a formula by Excel, WPS and LibreOffice (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(cell: Any) -> Any:
    """A cell as a CSV file carries it: text a spreadsheet would run as a formula (a subject or a
    customer's name starting with `=`, `+`, `-`, `@`, a tab or a return) gets a leading `'`, so it
    opens as the text it is; numbers and other text are left as they are."""
    if cell is None:
        return ""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield b"\xef\xbb\xbf" + _drain(buffer)
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(cell) for cell in row])
        if count % 200 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


def _xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str) -> Iterator[bytes]:
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        book = xlsxwriter.Workbook(
            path, {"constant_memory": True, "strings_to_urls": False, "strings_to_formulas": False}
        )
        page = book.add_worksheet(sheet[:31])
        bold = book.add_format({"bold": True})
        page.write_row(0, 0, list(header), bold)
        for number, row in enumerate(rows, start=1):
            page.write_row(number, 0, ["" if cell is None else cell for cell in row])
        book.close()
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def file_bytes(fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]], name: str) -> bytes:
    """`rows` as a whole CSV or Excel file in memory (for an e-mail attachment)."""
    body = _csv(header, rows) if fmt == "csv" else _xlsx(header, rows, name)
    return b"".join(body)


def response(fmt: str, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A streamed download of `rows` as CSV or Excel (`fmt`), named `name.<ext>`."""
    media, ext = FORMATS[fmt]
    body = _csv(header, rows) if fmt == "csv" else _xlsx(header, rows, name)
    answer = Response(stream_with_context(body), mimetype=media)
    answer.headers["Content-Disposition"] = f'attachment; filename="{name}.{ext}"'
    answer.headers["Cache-Control"] = "no-store"
    return answer


def record(tenant: Tenant, actor: Actor, what: str, fmt: str, data: dict[str, Any], ip: str | None) -> None:
    """Audit one export (`export.created`): what, in which format, with which filters and columns."""
    audit.record(tenant, "export.created", actor, data={"what": what, "format": fmt, **data}, ip=ip)


def export_report(tenant: Tenant, actor: Actor, name: str, args: dict[str, Any], ip: str | None) -> Response:
    """Report `name` for the loaded query `args` (with `format`, `lang`) as a file, audited."""
    report = service.run(tenant, name, args)
    header, rows = report_table(report, args["lang"])
    filters = {k: v for k, v in report.items() if k in ("from", "to", "group_by")}
    record(tenant, actor, f"report:{name}", args["format"], {"filters": filters}, ip)
    return response(args["format"], f"{name}-{report.get('from', report.get('as_of', ''))}", header, rows)


def export_tickets(
    tenant: Tenant,
    actor: Actor,
    columns: Sequence[str],
    filters: dict[str, Any],
    args: dict[str, Any],
    ip: str | None,
) -> Response:
    """The tickets matching `filters` (with a `period`) as a file with `columns`; contact details
    masked unless `args["unmasked"]` and the actor may reveal them; audited."""
    masked = not (args.get("unmasked") and may_unmask(actor))
    span = filters["period"]
    chosen = {k: v for k, v in filters.items() if v and k != "period"}
    data = {
        "filters": {"from": span.start.isoformat(), "to": span.end.isoformat(), **chosen},
        "columns": list(columns),
        "masked": masked,
    }
    record(tenant, actor, "tickets", args["format"], data, ip)
    header = [TICKET_COLUMNS[c][1 if args["lang"] == "zh" else 0] for c in columns]
    contact = bool(CONTACT_COLUMNS.keys() & set(columns))
    rows = ticket_rows(tenant, ticket_query(tenant, actor, filters, contact=contact), columns, masked, args["lang"])
    return response(args["format"], f"tickets-{span.start.isoformat()}", header, rows)
