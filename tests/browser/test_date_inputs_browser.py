"""Date, month and time inputs read in the page's language, not the browser's, in a real Chromium.

An English Chromium draws `<input type="date">` as mm/dd/yyyy and `type="time"` as "--:-- --" with
AM/PM, even on a Chinese page, and reads nothing written the Chinese way. The console's shared
`date-inputs.js` turns them into text inputs with the page's placeholder (年-月-日 / YYYY-MM-DD),
reads 2026年12月1日, 1 Dec 2026, 下午3点, and sends ISO; what it cannot read is refused with the
page's sentence. The browser here is English; the user reads Chinese or English.
"""

from __future__ import annotations

import pytest
from gongdan_sla import policies

from gongdan.plugins import get_host

from .conftest import wait_until
from .test_console_browser import sign_in

pytestmark = pytest.mark.browser

WORDS = {
    "zh_CN": {
        "date": "年-月-日",
        "month": "年-月",
        "time": "时:分",
        "bad": "请按 年-月-日 填写日期，例如 2026-12-01。",
        "typed": "2026年12月1日",
        "hour": "下午3点",
    },
    "en": {
        "date": "YYYY-MM-DD",
        "month": "YYYY-MM",
        "time": "HH:MM",
        "bad": "Write the date as year-month-day, for example 2026-12-01.",
        "typed": "1 Dec 2026",
        "hour": "3:00 pm",
    },
}
INPUT = "el => ({type: el.type, placeholder: el.placeholder, value: el.value, message: el.validationMessage})"


@pytest.mark.parametrize(("language", "width"), [("zh_CN", 390), ("en", 1366)])
def test_date_inputs_show_and_read_dates_the_way_the_page_writes_them(
    chromium, live_server, tenant, make_user, language, width
):
    admin, _ = make_user("admin", email="admin@acme.example.com", name="王店长")
    admin.language = language
    admin.save()
    get_host().set_enabled(tenant, "sla", enabled=True, actor=admin)
    week = {str(d): [["09:00", "18:00"]] for d in range(5)}
    policies.save_calendars(tenant, {"items": [{"name": "客服排班", "weekly": week}]})
    words = WORDS[language]
    context = chromium.new_context(locale="en-US", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        sign_in(page, live_server, admin.email)
        page.goto(f"{live_server}/console/audit/")
        start = page.locator("#audit-from")
        shown = start.evaluate(INPUT)
        assert shown["type"] == "text"  # not the browser's mm/dd/yyyy
        assert shown["placeholder"] == words["date"]

        start.fill("12/01/2026")  # the browser's own way: not a date the page writes
        assert start.evaluate(INPUT)["message"] == words["bad"]
        page.click("#audit-filters button[type=submit]")
        assert "from=" not in page.url  # refused before sending

        start.fill(words["typed"])
        start.blur()
        assert start.evaluate(INPUT) == {**shown, "value": "2026-12-01", "message": ""}
        page.click("#audit-filters button[type=submit]")
        page.wait_for_url("**from=2026-12-01**")
        assert page.locator("#audit-from").input_value() == "2026-12-01"

        reads = page.evaluate(
            """() => [gongdanDates.readDate('Dec 1, 2026'), gongdanDates.readDate('２０２６／１２／０１'),
                      gongdanDates.readDate('2026-02-30'), gongdanDates.readMonth('2026年12月'),
                      gongdanDates.readTime('9点半'), gongdanDates.readTime('12:30 am'), gongdanDates.readTime('25:00'),
                      gongdanDates.readDateTime('2026年12月1日 下午3点')]"""
        )
        assert reads == ["2026-12-01", "2026-12-01", None, "2026-12", "09:30", "00:30", None, "2026-12-01T15:00"]

        # an input added later, datetime-local: shown "2026-12-01 09:30", sent ISO by a hidden twin
        page.evaluate(
            """() => { const f = document.createElement('form'); f.id = 'later';
                       f.innerHTML = '<input type="datetime-local" id="at" name="at" value="2026-12-01T09:30">';
                       document.body.appendChild(f); }"""
        )
        wait_until(page, "() => document.querySelector('#at').type === 'text'")
        assert page.locator("#at").input_value() == "2026-12-01 09:30"
        page.fill("#at", words["typed"] + " 15:00")
        assert page.locator("#later input[type=hidden][name=at]").input_value() == "2026-12-01T15:00"

        page.goto(f"{live_server}/console/audit/?from=2026-13-45")  # the server still checks, naming the field
        assert page.locator("#audit-from.is-invalid").count() == 1
        assert words["bad"] in page.inner_text("#audit-filters")

        page.goto(f"{live_server}/console/sla/month/")
        month = page.locator("#month-pick input[name=month]").evaluate(INPUT)
        assert (month["type"], month["placeholder"]) == ("text", words["month"])
        start_time = page.locator("#start1")
        assert start_time.evaluate(INPUT)["placeholder"] == words["time"]
        start_time.fill(words["hour"])
        start_time.blur()
        assert start_time.input_value() == "15:00"
        assert page.locator("input[type=date], input[type=time], input[type=month]").count() == 0
        wide = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 1

        page.goto(f"{live_server}/console/sla/calendars/")  # a row added by "+ Add" reads the same
        before = page.locator("input[data-date-input=time]").count()
        page.locator("[data-add-row]").first.click()
        assert page.locator("input[data-date-input=time]").count() > before
        assert page.locator("input[type=date], input[type=time], input[type=month]").count() == 0
        wide = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 1
    finally:
        context.close()
