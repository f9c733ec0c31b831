"""Erlang C against published values, the forecast model on synthetic history (beats the
seasonal-naive baseline, knows holidays and promotions, gives intervals), and the API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from gongdan_analytics import erlang
from gongdan_analytics.forecast import backtest, fit, predict_day
from gongdan_analytics.synthetic import arrivals

from gongdan import tickets
from gongdan.actors import Actor


@pytest.mark.parametrize(
    ("agents", "per_hour", "handle_s", "answer_s", "expected"),
    [
        # al911.org, "Application note - Erlang C Call Calc": 2 call takers, 30 calls an hour of
        # 60 s: "fewer than 8 percent of callers will wait more than 10 seconds"; of 80 s: "14 percent"
        (2, 30, 60, 10, 0.0779),
        (2, 30, 80, 10, 0.1411),
    ],
)
def test_chance_to_wait_longer_than_published(
    agents: int, per_hour: float, handle_s: float, answer_s: float, expected: float
) -> None:
    load = per_hour * handle_s / 3600
    assert 1 - erlang.service_level(agents, load, handle_s, answer_s) == pytest.approx(expected, abs=5e-4)


def test_required_agents_as_published() -> None:
    # pyworkforce's README (ErlangC(transactions=100, aht=3, interval=30, asa=20/60)) and the R
    # package ErlangC: 100 calls in 30 min of 180 s, 80 % in 20 s → 10 erlangs, 14 agents,
    # wait probability 0.1741319, service level 0.88835; with 11 agents the wait probability is 0.6821182
    assert erlang.erlang_c(14, 10.0) == pytest.approx(0.1741319, abs=1e-7)
    assert erlang.erlang_c(11, 10.0) == pytest.approx(0.6821182, abs=1e-7)
    assert erlang.service_level(14, 10.0, 3.0, 20 / 60) == pytest.approx(0.88835, abs=1e-5)
    assert erlang.required_agents(200, 3.0, 0.8, 20 / 60) == 14
    assert erlang.required_agents(0, 3.0, 0.8, 0.5) == 0


SINGLES = ("双11", date(2025, 11, 10), date(2025, 11, 11), 3.0)
AUTUMN = ("秋季大促", date(2025, 9, 20), date(2025, 9, 21), None)


def test_model_beats_seasonal_naive_and_knows_promotions_and_holidays() -> None:
    history, marks = arrivals(date(2025, 8, 1), 120, 300, [SINGLES, AUTUMN], seed=3)
    result = backtest(history, date(2025, 11, 1), marks)
    assert result["days"] == 28
    assert result["mape"] < 0.8 * result["naive_mape"]
    model = fit({d: v for d, v in history.items() if d < date(2025, 11, 1)}, marks)
    ordinary, _ = predict_day(model, date(2025, 11, 12), marks.get(date(2025, 11, 12)))
    promo, hours = predict_day(model, date(2025, 11, 11), marks[date(2025, 11, 11)])
    assert promo == pytest.approx(3.0 * ordinary / model.weekday[2] * model.weekday[1], rel=1e-9)
    assert hours.index(max(hours)) == 0  # the promotion's midnight rush, learnt from its own days
    national_day, _ = predict_day(model, date(2025, 10, 2), marks[date(2025, 10, 2)])
    assert national_day < 0.8 * model.level * model.weekday[3]


def test_forecast_and_staffing_api(
    analytics: Any, tenant: Any, make_user: Any, new_ticket: Any, at: Any, counted: Any
) -> None:
    agent, supervisor = make_user("agent")[0], make_user("supervisor")[1]
    admin = make_user("admin")[1]
    for n in range(14):  # two weeks of a ticket at 10:00 each day, answered in 20 min
        day = date(2026, 10, 19) + timedelta(days=n)
        at(day.year, day.month, day.day, 10, 0)
        ticket = new_ticket(f"第 {n} 天", channel="web")
        at(day.year, day.month, day.day, 10, 20)
        tickets.comment(tenant, ticket, "已处理", Actor.of(agent))
        at(day.year, day.month, day.day, 10, 30)
        tickets.comment(tenant, ticket, "还有别的吗", Actor.of(agent))
    at(2026, 11, 2, 9, 0)
    counted()
    saved = admin.put(
        "/api/v1/reports/promotions",
        json={"items": [{"name": "双11", "start": "2026-11-11", "end": "2026-11-11", "uplift": 4}]},
    )
    assert saved.status_code == 200
    bad = admin.put(
        "/api/v1/reports/promotions", json={"items": [{"name": "x", "start": "2026-11-12", "end": "2026-11-11"}]}
    )
    assert bad.status_code == 422
    assert "items.0.end" in bad.json["error"]["fields"]
    plan = supervisor.get("/api/v1/reports/forecast?from=2026-11-02&days=14").json
    days = {item["date"]: item for item in plan["items"]}
    assert days["2026-11-03"]["expected"] == pytest.approx(1.0, abs=0.01)
    assert days["2026-11-11"]["kind"] == "promo"
    assert days["2026-11-11"]["expected"] == pytest.approx(4.0, abs=0.05)
    assert days["2026-11-03"]["lower"] <= days["2026-11-03"]["expected"] <= days["2026-11-03"]["upper"]
    assert max(days["2026-11-03"]["hours"], key=lambda h: h["expected"])["hour"] == 10
    staffing = supervisor.get("/api/v1/reports/staffing?date=2026-11-03").json
    assert staffing["handle_source"] == "measured"
    assert staffing["handle_minutes"] == pytest.approx(10.0)  # one 10-minute reply per ticket
    assert staffing["hours"][10]["agents"] == 1
    assert staffing["hours"][3]["agents"] == 0


def test_history_lands_on_local_hours_across_summer_time(analytics: Any, tenant: Any) -> None:
    from datetime import UTC, datetime

    from gongdan_analytics.forecast import load_history
    from gongdan_analytics.models import Hourly

    tenant.timezone = "Europe/London"  # summer time ends at 01:00 UTC on Sunday 2026-10-25
    tenant.save()
    stamps = {
        datetime(2026, 10, 24, 23, 0, tzinfo=UTC): 1,  # Sunday 00:00 BST (UTC+1)
        datetime(2026, 10, 25, 0, 0, tzinfo=UTC): 2,  # Sunday 01:00 BST
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC): 4,  # Sunday 01:00 GMT: the hour repeats
        datetime(2026, 10, 25, 12, 0, tzinfo=UTC): 8,  # Sunday 12:00 GMT
        datetime(2026, 10, 26, 23, 30, tzinfo=UTC): 16,  # not an hour boundary: 23:30 Monday, hour 23
    }
    for at, count in stamps.items():
        for channel, part in (("web", count), ("email", count)):
            Hourly.create(tenant=tenant, hour=at, channel=channel, metric="created", count=part)
    history = load_history(tenant, date(2026, 10, 27), days=3)
    assert sorted(history) == [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
    sunday, monday = history[date(2026, 10, 25)], history[date(2026, 10, 26)]
    assert (sunday[0], sunday[1], sunday[12]) == (2, 4 + 8, 16)
    assert sum(sunday) == 2 + 4 + 8 + 16
    assert monday[23] == 32
    assert load_history(tenant, date(2026, 10, 27), "web", days=3)[date(2026, 10, 25)][1] == 2 + 4


def test_staffing_never_plans_zero_agents_from_too_little_handling_data(
    analytics: Any, tenant: Any, make_user: Any, new_ticket: Any, at: Any, counted: Any
) -> None:
    """Imported arrivals (the demo's history) and two instant replies: the default handling time, not ~0 min."""
    from datetime import UTC, datetime

    from gongdan_analytics import rollup
    from gongdan_analytics.staffing import DEFAULT_HANDLE_MINUTES, staffing

    start = datetime(2026, 10, 12, tzinfo=UTC)
    rollup.import_arrivals(tenant, {(start + timedelta(hours=n), "web"): 5 for n in range(21 * 24)})
    agent = make_user("agent")[0]
    at(2026, 11, 1, 10, 0)
    ticket = new_ticket("一张", channel="web")
    at(2026, 11, 1, 10, 1)
    tickets.comment(tenant, ticket, "好的", Actor.of(agent))
    at(2026, 11, 1, 10, 2)
    tickets.comment(tenant, ticket, "还有吗", Actor.of(agent))  # one minute of work in 28 days
    at(2026, 11, 2, 9, 0)
    counted()
    plan = staffing(tenant, date(2026, 11, 3))
    assert (plan["handle_minutes"], plan["handle_source"]) == (DEFAULT_HANDLE_MINUTES, "default")
    assert max(hour["agents"] for hour in plan["hours"]) >= 1  # five tickets an hour need someone
