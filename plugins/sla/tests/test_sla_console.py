"""The console: the policies and calendars pages (validation shown), and the ticket panel."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

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


def test_admins_edit_policies_and_see_why_a_save_is_refused(browser: Any) -> None:
    admin = browser("admin", language="zh_CN")
    page = admin.get("/console/sla/policies/")
    assert page.status_code == 200
    assert "SLA 策略" in page.get_data(as_text=True)
    policies = [{"name": "VIP", "conditions": {"tier": ["vip"]}, "first_response": 15}]
    saved = admin.post("/console/sla/policies/", {"items": json.dumps(policies)})
    assert saved.status_code == 302
    assert "VIP" in admin.get("/console/sla/policies/").get_data(as_text=True)
    bad = [{"name": "VIP", "first_response": 0, "colour": "red"}]
    refused = admin.post("/console/sla/policies/", {"items": json.dumps(bad)})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "items.0.first_response" in html
    assert "items.0.colour" in html
    assert admin.post("/console/sla/policies/", {"items": "{not json"}).status_code == 422


def test_calendar_overlaps_are_refused_and_holiday_years_shown(browser: Any) -> None:
    admin = browser("admin")
    html = admin.get("/console/sla/calendars/").get_data(as_text=True)
    assert 'id="holiday-years"' in html
    overlapping = [{"name": "default", "weekly": {"0": [["09:00", "12:00"], ["11:00", "14:00"]]}}]
    refused = admin.post("/console/sla/calendars/", {"items": json.dumps(overlapping)})
    assert refused.status_code == 422
    assert "intervals overlap" in refused.get_data(as_text=True)
    good = [{"name": "default", "weekly": WEEK}]
    assert admin.post("/console/sla/calendars/", {"items": json.dumps(good)}).status_code == 302


def test_supervisors_read_agents_cannot_and_only_admins_save(browser: Any) -> None:
    supervisor = browser("supervisor")
    assert supervisor.get("/console/sla/policies/").status_code == 200
    assert supervisor.post("/console/sla/policies/", {"items": "[]"}).status_code == 403
    assert browser("agent").get("/console/sla/policies/").status_code == 403


def test_the_ticket_page_shows_the_sla_panel(browser: Any, tenant: Any, frozen_clock: Any) -> None:
    admin = browser("admin")
    admin.post("/console/sla/policies/", {"items": json.dumps([{"name": "Std", "first_response": 60}])})
    ticket, _ = tickets.create(tenant, {"subject": "<b>破损</b>"}, Actor.system("channel:api"))
    html = admin.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert "sla-panel" in html
    assert "Std" in html
    assert "2026-11-02 11:00" in html  # due in an hour, shown in the tenant's time (Asia/Shanghai)


def test_the_month_page_shows_holidays_and_admins_set_a_date(browser: Any, frozen_clock: Any) -> None:
    admin = browser("admin", language="zh_CN")
    assert admin.post("/console/sla/calendars/", {"items": json.dumps([{"name": "default", "weekly": WEEK}])})
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


def test_the_month_page_is_read_only_for_supervisors(browser: Any) -> None:
    admin = browser("admin")
    admin.post("/console/sla/calendars/", {"items": json.dumps([{"name": "default", "weekly": WEEK}])})
    supervisor = browser("supervisor")
    page = supervisor.get("/console/sla/month/?calendar=default&month=2026-05").get_data(as_text=True)
    assert "month-grid" in page
    assert 'id="day-form"' not in page
    refused = supervisor.post("/console/sla/month/", {"calendar": "default", "day": "2026-05-06", "kind": "closed"})
    assert refused.status_code == 403


def test_the_console_warns_sixty_days_before_the_holiday_schedule_runs_out(
    browser: Any, frozen_clock: Any, look: Any
) -> None:
    from gongdan_sla.calendars import CN_YEARS

    admin = browser("admin")
    admin.post("/console/sla/calendars/", {"items": json.dumps([{"name": "default", "weekly": WEEK}])})
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
