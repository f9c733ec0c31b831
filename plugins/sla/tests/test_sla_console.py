"""The console: the policies and calendars pages (validation shown), and the ticket panel."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from gongdan_sla import policies
from gongdan_sla.models import SlaCalendar

from gongdan import accounts, tickets
from gongdan.actors import Actor
from gongdan.testing import TEST_PASSWORD, ConsoleClient

WEEK = {str(d): [["09:00", "12:00"], ["13:30", "18:00"]] for d in range(5)}


@pytest.fixture
def browser(app: Any, tenant: Any, enable_plugin: Any) -> Any:
    """`browser(role)` → a console session of a new user with that role, the plugin on."""
    enable_plugin("sla")

    def make(role: str, language: str | None = None) -> ConsoleClient:
        user = accounts.create_user(tenant, f"{role}@acme.example.com", role, role, TEST_PASSWORD)
        user.language = language
        user.save()
        return ConsoleClient(app, user)

    return make


def test_admins_edit_policies_in_a_form_and_see_why_a_save_is_refused(browser: Any, tenant: Any) -> None:
    admin = browser("admin", language="zh_CN")
    page = admin.get("/console/sla/policies/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "SLA 策略" in html
    assert "<textarea" not in html
    form = {
        "p-0-name": "VIP",
        "p-0-tier": "vip",
        "p-0-priority": ["high", "urgent"],
        "p-0-first_response": "15",
        "p-0-first_response_unit": "min",
        "p-0-resolution": "8",
        "p-0-resolution_unit": "h",
        "p-0-e-0-after": "30",
        "p-0-e-0-after_unit": "min",
        "p-0-e-0-actions": ["notify_supervisor", "raise_priority"],
        "p-1-name": "",  # the blank row offered for a new policy
        "p-1-calendar": "default",
        "p-1-first_response_unit": "h",
        "p-1-e-0-after_unit": "min",  # and its blank escalation level
    }
    assert admin.post("/console/sla/policies/", form).status_code == 302
    stored = [policies.policy_dict(p) for p in policies.policies_of(tenant)]
    assert [(p["name"], p["first_response"], p["resolution"]) for p in stored] == [("VIP", 15, 480)]
    assert stored[0]["conditions"] == {"priority": ["high", "urgent"], "tier": ["vip"]}
    assert stored[0]["escalations"] == [{"after": 30, "actions": ["notify_supervisor", "raise_priority"]}]
    html = admin.text("/console/sla/policies/")
    assert 'value="VIP"' in html
    assert 'name="p-0-resolution" id="p-0-resolution" value="8"' in html
    bad = {"p-0-name": "VIP", "p-0-first_response": "0", "p-0-warning_percent": "120", "p-1-name": "VIP"}
    refused = admin.post("/console/sla/policies/", {**bad, "p-1-resolution": "x"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    for name, message in (
        ("p-0-first_response", "不小于 1"),
        ("p-0-warning_percent", "1 到 99"),
        ("p-1-name", "同名"),
        ("p-1-resolution", "整数"),
    ):
        assert re.search(rf'data-for="{name}">[^<]*{message}', html), re.findall(r'data-for="[^"]*">[^<]*', html)
    assert 'value="120"' in html  # what was typed stays in the form
    assert "items." not in html
    assert "Must be" not in html
    assert [p.name for p in policies.policies_of(tenant)] == ["VIP"]


def test_a_policy_naming_an_unknown_calendar_is_refused_beside_the_field(browser: Any) -> None:
    admin = browser("admin")
    refused = admin.post(
        "/console/sla/policies/", {"p-0-name": "Std", "p-0-first_response": "1", "p-0-calendar": "weekend-team"}
    )
    assert refused.status_code == 422
    assert re.search(r'data-for="p-0-calendar">There is no calendar named weekend-team', refused.get_data(as_text=True))


def test_calendars_are_edited_as_weekly_hours_and_dates(browser: Any, tenant: Any) -> None:
    admin = browser("admin")
    html = admin.get("/console/sla/calendars/").get_data(as_text=True)
    assert 'id="holiday-years"' in html
    assert "<textarea" not in html
    overlapping = {"c-0-name": "default", "c-0-w0-0-start": "09:00", "c-0-w0-0-end": "12:00"}
    overlapping |= {"c-0-w0-1-start": "11:00", "c-0-w0-1-end": "14:00"}
    refused = admin.post("/console/sla/calendars/", overlapping)
    assert refused.status_code == 422
    assert re.search(r'data-for="c-0-w0">The opening hours of this day overlap', refused.get_data(as_text=True))
    backwards = admin.post(
        "/console/sla/calendars/", {"c-0-name": "x", "c-0-w1-0-start": "18:00", "c-0-w1-0-end": "09:00"}
    )
    assert re.search(r'data-for="c-0-w1-0-end">The end must be after the start', backwards.get_data(as_text=True))
    good = {"c-0-name": "default", "c-0-tz": "Asia/Shanghai", "c-0-region": "CN"}
    for day in range(5):
        good |= {f"c-0-w{day}-0-start": "09:00", f"c-0-w{day}-0-end": "12:00"}
        good |= {f"c-0-w{day}-1-start": "13:30", f"c-0-w{day}-1-end": "18:00"}
    good |= {
        "c-0-d-0-date": "2026-12-24",
        "c-0-d-0-kind": "special",
        "c-0-d-0-start1": "10:00",
        "c-0-d-0-end1": "15:00",
    }
    good |= {"c-0-d-1-date": "2026-12-26", "c-0-d-1-kind": "open", "c-0-d-2-kind": "closed"}
    assert admin.post("/console/sla/calendars/", good).status_code == 302
    stored = policies.calendar_dict(SlaCalendar.of(tenant).get())
    assert stored["weekly"]["0"] == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert stored["weekly"].get("5", []) == []
    assert stored["special"] == {"2026-12-24": [["10:00", "15:00"]]}
    assert stored["open"] == ["2026-12-26"]
    html = admin.text("/console/sla/calendars/")
    assert 'name="c-0-w4-1-end" id="c-0-w4-1-end" value="18:00"' in html
    assert 'name="c-0-d-0-date" id="c-0-d-0-date" value="2026-12-24"' in html


def test_the_ticket_page_shows_the_sla_panel(browser: Any, tenant: Any, frozen_clock: Any) -> None:
    admin = browser("admin", language="zh_CN")
    admin.post("/console/sla/policies/", {"p-0-name": "Std", "p-0-first_response": "1", "p-0-first_response_unit": "h"})
    ticket, _ = tickets.create(tenant, {"subject": "<b>破损</b>"}, Actor.system("channel:api"))
    html = admin.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert "sla-panel" in html
    assert "Std" in html
    panel = html[html.index("sla-panel") :]
    panel = panel[: panel.index("</table>")]
    words = re.sub(r"<[^>]+>", " ", panel)  # what a person reads (codes stay in the classes)
    assert "首次响应" in words
    assert "计时中" in words
    assert "first_response" not in words
    assert "running" not in words
    assert "2026-11-02 11:00" in html  # due in an hour, shown in the tenant's time (Asia/Shanghai)


def test_the_month_page_shows_holidays_and_admins_set_a_date(browser: Any, tenant: Any, frozen_clock: Any) -> None:
    admin = browser("admin", language="zh_CN")
    policies.save_calendars(tenant, {"items": [{"name": "default", "weekly": WEEK}]})
    html = admin.get("/console/sla/month/?calendar=default&month=2026-10").get_data(as_text=True)
    assert re.search(r'day-holiday[^"]*" data-date="2026-10-01"', html)  # 国庆节
    assert re.search(r'day-makeup[^"]*" data-date="2026-10-10"', html)  # a Saturday worked (调休)
    assert "调休上班" in html
    saved = admin.post(
        "/console/sla/month/",
        {"calendar": "default", "day": "2026-10-12", "kind": "special", "start1": "10:00", "end1": "15:00"},
    )
    assert saved.status_code == 302
    assert "month=2026-10" in saved.headers["Location"]
    html = admin.get("/console/sla/month/?calendar=default&month=2026-10").get_data(as_text=True)
    assert re.search(r'day-special[^"]*" data-date="2026-10-12"', html)
    assert "10:00–15:00" in html
    closed = admin.post("/console/sla/month/", {"calendar": "default", "day": "2026-10-13", "kind": "closed"})
    assert closed.status_code == 302
    calendars = admin.get("/console/sla/calendars/").get_data(as_text=True)
    assert "2026-10-13" in calendars
    refused = admin.post("/console/sla/month/", {"calendar": "default", "day": "2026-10-14", "kind": "special"})
    assert refused.status_code == 422
    assert "month-errors" in refused.get_data(as_text=True)
    assert admin.post("/console/sla/month/", {"calendar": "default", "day": "not a date"}).status_code == 422


def test_the_month_page_is_read_only_for_supervisors(browser: Any, tenant: Any) -> None:
    policies.save_calendars(tenant, {"items": [{"name": "default", "weekly": WEEK}]})
    supervisor = browser("supervisor")
    page = supervisor.get("/console/sla/month/?calendar=default&month=2026-05").get_data(as_text=True)
    assert "month-grid" in page
    assert 'id="day-form"' not in page
    refused = supervisor.post("/console/sla/month/", {"calendar": "default", "day": "2026-05-06", "kind": "closed"})
    assert refused.status_code == 403


def test_the_console_warns_sixty_days_before_the_holiday_schedule_runs_out(
    browser: Any, tenant: Any, frozen_clock: Any, look: Any
) -> None:
    from gongdan_sla.calendars import CN_YEARS

    admin = browser("admin")
    policies.save_calendars(tenant, {"items": [{"name": "default", "weekly": WEEK}]})
    frozen_clock.set(look.sh(CN_YEARS[1], 9, 1, 10, 0))
    assert 'id="holiday-horizon"' not in admin.get("/console/sla/calendars/").get_data(as_text=True)
    frozen_clock.set(look.sh(CN_YEARS[1], 11, 30, 10, 0))
    supervisor = browser("supervisor")  # a new session: the admin's went idle meanwhile
    for page in ("/console/sla/calendars/", "/console/sla/month/"):
        html = supervisor.get(page).get_data(as_text=True)
        assert 'id="holiday-horizon"' in html
        assert str(CN_YEARS[1] + 1) in html
    nxt = supervisor.get(f"/console/sla/month/?calendar=default&month={CN_YEARS[1] + 1}-01").get_data(as_text=True)
    assert 'id="provisional"' in nxt
    assert re.search(rf'day-holiday[^"]*" data-date="{CN_YEARS[1] + 1}-01-01"', nxt)
    if CN_YEARS[1] + 1 == 2027:  # holidays 0.109: Spring Festival's days in lieu (9-10 Feb) are closed too
        february = supervisor.get("/console/sla/month/?calendar=default&month=2027-02").get_data(as_text=True)
        for day in ("2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10"):
            assert re.search(rf'day-holiday[^"]*" data-date="{day}"', february), day
        assert not re.search(r'day-holiday[^"]*" data-date="2027-02-11"', february)


def test_a_policy_can_keep_its_clocks_running_while_the_ticket_is_pending(
    browser: Any, tenant: Any, new_ticket: Any, frozen_clock: Any, look: Any
) -> None:
    admin = browser("admin")
    policies.save_calendars(tenant, {"items": [{"name": "default", "weekly": WEEK}]})
    form = {"p-0-name": "Nonstop", "p-0-first_response": "60", "p-0-first_response_unit": "min", "p-0-pause": "0"}
    assert admin.post("/console/sla/policies/", form).status_code == 302
    assert policies.policy_dict(policies.policies_of(tenant)[0])["pause_when_pending"] is False
    assert re.search(r'id="p-0-pause"\s*>', admin.text("/console/sla/policies/"))  # shown unticked
    ticket = new_ticket()
    tickets.transition(tenant, ticket, "open", Actor.system("agent"))
    tickets.transition(tenant, ticket, "pending", Actor.system("agent"))
    row = look.row(ticket)
    assert not row.paused
    assert row.first_response_due == look.sh(2026, 11, 2, 11, 0)  # still counting
    assert admin.post("/console/sla/policies/", {**form, "p-0-pause": ["0", "1"]}).status_code == 302
    paused = new_ticket()
    tickets.transition(tenant, paused, "open", Actor.system("agent"))
    tickets.transition(tenant, paused, "pending", Actor.system("agent"))
    assert look.row(paused).paused


def test_every_console_string_of_the_plugin_reads_in_chinese() -> None:
    import gongdan_sla

    from gongdan.admin.i18n import untranslated

    assert untranslated(Path(gongdan_sla.__file__).parent) == []


def test_sla_events_read_as_one_sentence_in_the_reader_language(
    browser: Any, tenant: Any, frozen_clock: Any, look: Any
) -> None:
    """The timeline said "SLA policies SLA breached" (the plugin's label glued to the event's)."""
    from gongdan_sla.sweep import sweep_tenant

    chinese, english = browser("admin", language="zh_CN"), browser("supervisor", language="en")
    chinese.post(
        "/console/sla/policies/", {"p-0-name": "标准", "p-0-first_response": "1", "p-0-first_response_unit": "h"}
    )
    ticket, _ = tickets.create(tenant, {"subject": "破损"}, Actor.system("channel:api"))
    frozen_clock.set(look.sh(2026, 11, 2, 11, 1))
    sweep_tenant(tenant)

    def timeline(client: ConsoleClient) -> str:
        html = client.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
        items = re.findall(r'<li class="plugin-event" data-kind="sla\.[a-z_]+">(.*?)</li>', html, flags=re.S)
        return " | ".join(" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items)

    zh = timeline(chinese)
    assert "首次响应已超时（SLA 策略：标准）" in zh
    assert "首次响应即将超时（SLA 策略：标准）" in zh
    assert "套用了 SLA 策略：标准" in zh
    en = timeline(english)
    assert "First response is late (SLA policy: 标准)" in en
    for words in (zh, en):
        assert "SLA policies" not in words
        assert "服务时效" not in words
        assert "first_response" not in words
