"""The analytics pages in a real Chromium under the console's CSP: the week at a glance, a report
grouped by problem with a drill-down click to its tickets, forecast and staffing charts; in
Chinese and English, on a desktop (1366 px) and a phone (390 px). Screenshots go to
GONGDAN_SHOTS or tmp_path."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import openpyxl
import pytest
from gongdan_analytics import demo
from gongdan_analytics.plugin import catch_up_job
from gongdan_assignment import availability
from gongdan_assignment.schemas import AvailabilitySchema

from gongdan import categories, tickets
from gongdan.actors import Actor
from gongdan.plugins import get_host
from gongdan.validation import load

from .conftest import wait_until
from .test_console_browser import sign_in

pytestmark = pytest.mark.browser
CHARTS = "(ids) => ids.every((id) => window.gongdanCharts && window.gongdanCharts[id])"


@pytest.mark.parametrize(("locale", "width"), [("zh-CN", 1366), ("en-US", 390)])
def test_a_manager_reads_the_week_drills_down_and_sees_tomorrow(
    chromium, app, live_server, tenant, make_user, tmp_path, locale, width
):
    admin, _ = make_user("admin", email="boss@acme.example.com", name="王店长")
    get_host().set_enabled(tenant, "analytics", enabled=True, actor=admin)
    demo.prepare(tenant, admin)
    categories.ensure(tenant, "售后/退货退款/质量问题")
    for subject in ("羽绒服有破洞", "杯子碎了"):
        tickets.create(
            tenant, {"subject": subject, "channel": "web", "category": "售后/退货退款/质量问题"}, Actor.system("t")
        )
    tickets.create(tenant, {"subject": "快递三天没更新", "channel": "email"}, Actor.system("t"))
    catch_up_job()  # the worker counts new tickets every minute
    get_host().set_enabled(tenant, "assignment", enabled=True, actor=admin)
    agent, _ = make_user("agent", name="小李")
    week = [{"day": day, "start": "09:00", "end": "18:00"} for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
    availability.update(tenant, agent, load(AvailabilitySchema(), {"shifts": week}), Actor.system("t"))
    shots = Path(os.environ.get("GONGDAN_SHOTS") or tmp_path)
    context = chromium.new_context(locale=locale, viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    zh = locale == "zh-CN"
    try:
        sign_in(page, live_server, admin.email)
        page.goto(f"{live_server}/console/analytics/week/")
        wait_until(page, CHARTS, ["chart-daily", "chart-channels"])
        assert ("本周概览" if zh else "Week at a glance") in page.inner_text("h4")
        assert page.locator("#heatmap td").count() == 7 * 24
        page.screenshot(path=str(shots / f"analytics-week-{locale}-{width}.png"), full_page=True)

        page.goto(f"{live_server}/console/analytics/reports/?group_by=problem")
        wait_until(page, CHARTS, ["chart-groups"])
        assert ("热点问题" if zh else "Top problems") in page.inner_text("body")
        page.screenshot(path=str(shots / f"analytics-reports-{locale}-{width}.png"), full_page=True)
        page.click("#report-table tr[data-value='售后/退货退款/质量问题'] a.drill")
        page.wait_for_url("**/console/tickets/**category=**")
        listed = page.inner_text("body")
        assert "羽绒服有破洞" in listed
        assert "杯子碎了" in listed
        assert "快递三天没更新" not in listed

        page.goto(f"{live_server}/console/analytics/reports/?group_by=channel")
        page.click("#report-presets a:nth-child(2)")  # 上周 / Last week: Monday to Sunday
        page.wait_for_url(re.compile(r"from=\d{4}-\d\d-\d\d&to="))
        assert page.locator("#report-presets a.active").inner_text() == ("上周" if zh else "Last week")
        with page.expect_download() as download:
            page.click("#export-xlsx")
        assert download.value.suggested_filename.endswith(".xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:3] == (("分组", "取值", "新建工单") if zh else ("Group", "Value", "New tickets"))
        assert ("网页" if zh else "Web") in {row[0] for row in rows[1:]}  # the demo's imported weeks, in words

        page.goto(f"{live_server}/console/analytics/forecast/")
        wait_until(page, CHARTS, ["chart-forecast", "chart-staffing"])
        assert "双12" in page.inner_text("#promotions-form") or "双12" in page.content()
        assert page.locator("#staffing-table tbody tr").count() == 3  # expected, needed, on the roster
        assert page.inner_text("#roster-row td:nth-child(11)") == "1"  # 09:00: the agent's shift
        page.screenshot(path=str(shots / f"analytics-forecast-{locale}-{width}.png"), full_page=True)

        page.goto(f"{live_server}/console/analytics/schedules/new")
        page.fill("#name", "每周数据" if zh else "Weekly figures")
        page.select_option("#group_by", "agent")
        page.select_option("#weekday", "0")
        page.select_option("#hour", "8")
        page.screenshot(path=str(shots / f"analytics-schedule-form-{locale}-{width}.png"), full_page=True)
        page.click("#schedule-form button")
        page.wait_for_url("**/console/analytics/schedules/")
        row = page.inner_text(f"#schedules tr.schedule:has-text('{'每周数据' if zh else 'Weekly figures'}')")
        assert ("每周一 08:00" if zh else "Every Monday at 08:00") in row
        assert admin.email in row
        page.screenshot(path=str(shots / f"analytics-schedules-{locale}-{width}.png"), full_page=True)
        if width == 390:
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1
        assert errors == []
    finally:
        context.close()
