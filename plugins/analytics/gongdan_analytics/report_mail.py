"""The e-mail of a scheduled report: headline figures and the report's first rows in HTML (and
plain text), in the subscription's language, dates and times in the tenant's zone, the whole
report attached as CSV or Excel.

Rendered with a Jinja environment of its own (autoescaped), so the worker needs no Flask request.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from gongdan import outbound
from gongdan.models import Tenant
from gongdan.plugins import get_host

from . import exports, reports, service
from .models import Subscription
from .periods import Period
from .rollup import tz_of

SHOWN_ROWS = 15
# per report: the columns the e-mail's table shows (the attachment has them all)
SHOWN = {
    "summary": ("label", "created", "created_change", "resolved", "first_response.avg_minutes", "sla.attainment"),
    "daily": ("label", "created", "resolved", "first_response.avg_minutes", "sla.attainment"),
    "top_problems": ("label", "created", "share", "previous_created", "created_change"),
    "backlog": ("label", "open", "avg_age_days", "lt_1d", "d1_3", "d3_7", "ge_7d"),
}
RATIOS = {"created_change", "share", "sla.attainment", "reopen_rate"}
WORDS = {
    "title": ("Scheduled report", "定时报表"),
    "summary": ("Figures by group", "分组数据"),
    "daily": ("Figures per day", "每日数据"),
    "top_problems": ("Top problems", "热点问题"),
    "backlog": ("Open tickets and their age", "积压工单及时长"),
    "period": ("Period", "统计周期"),
    "generated": ("Generated", "生成时间"),
    "to": ("to", "至"),
    "created": ("New tickets", "新建工单"),
    "vs_previous": ("vs previous period", "较上期"),
    "resolved": ("Resolved", "已解决"),
    "first_response": ("First response, mean", "平均首次响应"),
    "resolution": ("Resolution, mean", "平均解决时长"),
    "sla": ("SLA attainment", "SLA 达成率"),
    "csat": ("Satisfaction (1-5)", "满意度（1-5）"),
    "deflected": ("Answered by articles", "文章自助解决"),
    "open": ("Open now", "当前未关闭"),
    "hours": ("h", "小时"),
    "attached": ("The whole report is attached", "完整报表见附件"),
    "more": ("rows more in the attachment", "行见附件"),
    "open_console": ("Open in the console", "在控制台查看"),
    "why": (
        "You receive this because you are on the recipient list of this scheduled report.",
        "您收到此邮件，是因为您在该定时报表的收件人名单中。",
    ),
    "group": ("Grouped by", "分组方式"),
    "none": ("(none)", "（无）"),
    "colon": (": ", "："),
    "stop": (".", "。"),
}
GROUPS = {
    "channel": ("Channel", "渠道"),
    "appeal": ("Appeal", "诉求"),
    "scene": ("Scene", "场景"),
    "problem": ("Problem", "问题"),
    "tag": ("Tag", "标签"),
    "team": ("Team", "团队"),
    "agent": ("Agent", "客服"),
    "tier": ("Customer tier", "客户等级"),
    "priority": ("Priority", "优先级"),
}

_env = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "templates" / "analytics" / "mail")),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)


def words(language: str) -> dict[str, str]:
    """The e-mail's words in `language` (`zh` or `en`)."""
    pick = 1 if language == "zh" else 0
    return {key: pair[pick] for key, pair in WORDS.items()}


def cell(key: str, value: Any) -> str:
    """One table cell as text: ratios as percentages, minutes with one decimal, empty as a dash."""
    if value is None or value == "":
        return "—"
    if key in RATIOS:
        sign = "+" if key == "created_change" and value > 0 else ""
        return f"{sign}{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _hours(figure: dict[str, Any] | None, unit: str) -> str:
    minutes = (figure or {}).get("avg_minutes")
    return "—" if minutes is None else f"{minutes / 60:.1f} {unit}"


def headline(tenant: Tenant, span: Period, language: str) -> list[tuple[str, str, str]]:
    """`(label, value, note)` of the period's key figures for every ticket."""
    w = words(language)
    total = reports.summary(tenant, span, "channel")["total"]
    open_now = sum(item["open"] for item in reports.backlog(tenant, "channel")["items"])
    deflection = total.get("deflection") or {}
    rows = [
        (w["created"], str(total["created"]), f"{w['vs_previous']} {cell('created_change', total['created_change'])}"),
        (w["resolved"], str(total["resolved"]), ""),
        (w["first_response"], _hours(total["first_response"], w["hours"]), ""),
        (w["resolution"], _hours(total["resolution"], w["hours"]), ""),
        (w["sla"], cell("sla.attainment", total["sla"]["attainment"]), ""),
        (w["csat"], cell("csat", total["csat"]["avg_score"]), f"n = {total['csat']['responses']}"),
        (w["open"], str(open_now), ""),
    ]
    if deflection.get("deflected") is not None:
        rows.append((w["deflected"], str(deflection["deflected"]), cell("share", deflection.get("rate"))))
    return rows


def compose(tenant: Tenant, row: Subscription, span: Period, sender: str, now: datetime) -> tuple[EmailMessage, int]:
    """The message of one run of `row` over `span` from `sender`, and the attachment's size."""
    language = row.language
    w = words(language)
    report = service.run(
        tenant,
        row.report,
        {"start": span.start, "end": span.end, "group_by": row.group_by, "limit": 20, "lang": language},
    )
    header, body_rows = exports.report_table(report, language)
    attached = exports.file_bytes(row.format, header, body_rows, row.report)
    keys = SHOWN[row.report]
    items = report.get("items") or []
    table = [[cell(key, exports.dig(item, key)) if key != "label" or item.get("label") is not None
              else w["none"] for key in keys] for item in items[:SHOWN_ROWS]]  # fmt: skip
    pick = 1 if language == "zh" else 0
    settings = get_host().settings(tenant, "analytics")
    base = (settings.get("console_url") or "").rstrip("/")
    context = {
        "w": w,
        "lang": language,
        "tenant": tenant.name,
        "name": row.name,
        "report_title": w[row.report],
        "group": GROUPS[row.group_by][pick] if row.report in ("summary", "backlog") else None,
        "start": span.start.isoformat(),
        "end": span.end.isoformat(),
        "generated": now.astimezone(tz_of(tenant)).strftime("%Y-%m-%d %H:%M"),
        "zone": tenant.timezone or "Asia/Shanghai",
        "headline": headline(tenant, span, language),
        "columns": [exports.REPORT_COLUMNS[key][pick] for key in keys],
        "rows": table,
        "more": max(0, len(items) - SHOWN_ROWS),
        "link": f"{base}/console/analytics/reports/?from={span.start}&to={span.end}&group_by={row.group_by}"
        if base
        else None,
    }
    subject = (
        f"【{w['title']}】{row.name}：{span.start} {w['to']} {span.end}"
        if language == "zh"
        else f"{w['title']}: {row.name}, {span.start} {w['to']} {span.end}"
    )
    message = EmailMessage()
    message["From"] = formataddr((outbound.header_text(tenant.name), sender))
    message["To"] = ", ".join(row.recipients)
    message["Subject"] = outbound.header_text(subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "zh-CN" if language == "zh" else "en"
    message.set_content(_env.get_template("report.txt").render(context))
    message.add_alternative(_env.get_template("report.html").render(context), subtype="html")
    media, ext = exports.FORMATS[row.format]
    maintype, subtype = media.split("/", 1)
    filename = f"{row.report}-{span.start}-{span.end}.{ext}"
    charset = {"charset": "utf-8"} if row.format == "csv" else {}
    message.add_attachment(attached, maintype=maintype, subtype=subtype, filename=filename, params=charset)
    return message, len(attached)
