"""The demo's history: eight weeks of arrivals, promotions, a forecast that shows the coming 双12."""

from __future__ import annotations

from datetime import date
from typing import Any

from gongdan_analytics import demo, reports, scheduled, service
from gongdan_analytics.periods import Period

from gongdan import accounts
from gongdan.actors import Actor


def test_demo_history_feeds_the_charts_and_the_forecast(analytics: Any, tenant: Any, at: Any) -> None:
    at(2026, 12, 1, 9, 0)
    admin = accounts.create_user(tenant, "boss@acme.example.com", "admin", "店长", "pw-123456789")
    demo.prepare(tenant, admin)
    assert [p["name"] for p in service.promotions(tenant)] == ["双11", "双12", "年货节", "618"]
    (sample,) = scheduled.listing(tenant, Actor.of(admin))
    assert (sample.recipients, sample.active, sample.frequency) == ([admin.email], False, "weekly")
    week = reports.summary(tenant, Period(date(2026, 11, 24), date(2026, 11, 30)), "channel")
    assert {row["value"] for row in week["items"]} == {"web", "email", "phone", "api"}
    assert 250 < week["total"]["created"] < 600
    plan = service.run(tenant, "forecast", {"start": date(2026, 12, 1)})
    days = {item["date"]: item for item in plan["items"]}
    ordinary = days["2026-12-09"]["expected"]  # a Wednesday
    assert 40 < ordinary < 90
    assert days["2026-12-12"]["kind"] == "promo"
    assert days["2026-12-12"]["expected"] > 2 * ordinary  # learnt from 双11 in the history
    heat = reports.heatmap(tenant, Period(date(2026, 11, 24), date(2026, 11, 30)))["grid"]
    assert max(heat[0]) == max(heat[0][19:23])  # the evening peak
