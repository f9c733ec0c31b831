"""The console: the policies and calendars pages (validation shown), and the ticket panel."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from gongdan import accounts, tickets
from gongdan.actors import Actor

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
WEEK = {str(d): [["09:00", "12:00"], ["13:30", "18:00"]] for d in range(5)}


class Browser:
    """A signed-in console session (Flask's test client) that posts forms with the CSRF token."""

    def __init__(self, app: Any, email: str) -> None:
        self.client = app.test_client()
        self.token = self._token("/console/login")
        answer = self.client.post(
            "/console/login", data={"email": email, "password": "pw-123456", "csrf_token": self.token}
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)

    def _token(self, path: str) -> str:
        found = CSRF.search(self.client.get(path).get_data(as_text=True))
        assert found
        return found.group(1) or found.group(2)

    def get(self, path: str) -> Any:
        return self.client.get(path)

    def post(self, path: str, data: dict) -> Any:
        return self.client.post(path, data={**data, "csrf_token": self.token})


@pytest.fixture
def browser(app: Any, tenant: Any, enable_plugin: Any) -> Any:
    """`browser(role)` → a console session of a new user with that role, the plugin on."""
    enable_plugin("sla")

    def make(role: str, language: str | None = None) -> Browser:
        user = accounts.create_user(tenant, f"{role}@acme.example.com", role, role, "pw-123456")
        user.language = language
        user.save()
        return Browser(app, user.email)

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
