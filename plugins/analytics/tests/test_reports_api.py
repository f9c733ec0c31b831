"""`/api/v1/reports/...`: roles, validation (422 with the field), the plugin's switch, OpenAPI,
SLA attainment that never counts an unanswered target as met, CSAT from the portal."""

from __future__ import annotations

from typing import Any

from gongdan_analytics import rollup
from gongdan_portal import csat
from gongdan_sla.policies import save_calendars, save_policies

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import Ticket
from gongdan.plugins import get_host

from .conftest import CUSTOMER

ALL_WEEK = {str(d): [["00:00", "23:59"]] for d in range(7)}


def test_roles_validation_and_switch(
    analytics: Any, make_user: Any, new_ticket: Any, client: Any, counted: Any
) -> None:
    _, supervisor = make_user("supervisor")
    _, agent = make_user("agent")
    new_ticket("一张", channel="web")
    counted()
    answer = supervisor.get("/api/v1/reports/summary?from=2026-11-02&to=2026-11-02&group_by=channel")
    assert answer.status_code == 200
    assert answer.json["items"][0]["value"] == "web"
    assert answer.json["items"][0]["created"] == 1
    assert answer.json["items"][0]["label"] == "Web"  # the channel in words
    chinese = supervisor.get(
        "/api/v1/reports/summary?from=2026-11-02&to=2026-11-02&group_by=channel", headers={"Accept-Language": "zh-CN"}
    )
    assert chinese.json["items"][0]["label"] == "网页"
    assert answer.json["counted"] == {"at": "2026-11-02T10:00:00+08:00", "every_seconds": 60}
    assert agent.get("/api/v1/reports/summary").status_code == 403
    bad = supervisor.get("/api/v1/reports/summary?group_by=colour")
    assert bad.status_code == 422
    assert "group_by" in bad.json["error"]["fields"]
    reversed_period = supervisor.get("/api/v1/reports/summary?from=2026-11-05&to=2026-11-01")
    assert reversed_period.status_code == 422
    assert "from" in reversed_period.json["error"]["fields"]
    not_a_date = supervisor.get("/api/v1/reports/daily?from=yesterday")
    assert not_a_date.status_code == 422
    assert "from" in not_a_date.json["error"]["fields"]
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/reports/summary", "/api/v1/reports/forecast", "/api/v1/reports/tickets/export"} <= set(paths)
    get_host().set_enabled(analytics, "analytics", enabled=False)
    assert supervisor.get("/api/v1/reports/summary").status_code == 404


def test_sla_attainment_counts_no_unanswered_target_as_met(
    analytics: Any, enable_plugin: Any, tenant: Any, make_user: Any, new_ticket: Any, at: Any
) -> None:
    enable_plugin("sla")
    save_calendars(tenant, {"items": [{"name": "default", "weekly": ALL_WEEK, "region": None}]})
    save_policies(tenant, {"items": [{"name": "all", "first_response": 60, "resolution": 600}]})
    agent, supervisor = make_user("agent")[0], make_user("supervisor")[1]
    answered = new_ticket("按时回复")
    silent = new_ticket("只写了内部备注")
    late = new_ticket("回复晚了")
    at(2026, 11, 2, 10, 30)
    tickets.comment(tenant, answered, "您好", Actor.of(agent))
    tickets.comment(tenant, silent, "内部备注", Actor.of(agent), internal=True)
    tickets.transition(tenant, Ticket.get_by_id(silent.id), "resolved", Actor.of(agent))
    at(2026, 11, 2, 12, 0)
    tickets.comment(tenant, Ticket.get_by_id(late.id), "抱歉久等", Actor.of(agent))
    rollup.catch_up(tenant)
    report = supervisor.get("/api/v1/reports/summary?from=2026-11-02&to=2026-11-02&group_by=channel").json
    first = report["total"]["sla"]["first_response"]
    assert first == {"met": 1, "missed": 1, "attainment": 0.5}  # the silent ticket is not applicable
    assert report["total"]["first_response_business"] == {"count": 2, "avg_minutes": 75.0}  # 30 and 120
    assert report["total"]["sla"]["resolution"] == {"met": 1, "missed": 0, "attainment": 1.0}


def test_csat_from_the_portal(
    analytics: Any, enable_plugin: Any, tenant: Any, make_user: Any, new_ticket: Any, at: Any
) -> None:
    enable_plugin("portal")
    agent, supervisor = make_user("agent")[0], make_user("supervisor")[1]
    for rating in ("satisfied", "okay"):
        ticket = new_ticket(f"评价 {rating}", channel="web")
        tickets.transition(tenant, ticket, "resolved", Actor.of(agent))
        csat.rate(tenant, Ticket.get_by_id(ticket.id), rating, "", CUSTOMER)
    rollup.catch_up(tenant)
    figures = supervisor.get("/api/v1/reports/summary?from=2026-11-02&to=2026-11-02").json["total"]["csat"]
    assert figures == {"responses": 2, "avg_score": 4.0, "satisfied_share": 0.5}


def test_knowledge_deflection_against_portal_tickets(
    analytics: Any,
    enable_plugin: Any,
    tenant: Any,
    make_user: Any,
    new_ticket: Any,
    at: Any,
    console_client: Any,
    counted: Any,
) -> None:
    from gongdan_portal.models import Deflection

    enable_plugin("portal")
    supervisor = make_user("supervisor")[1]
    for day, hour in ((1, 23), (2, 0), (2, 9), (3, 10)):  # local days: the 1st is before the period
        Deflection.create(tenant=tenant, article_id=1, subject="怎么退货", at=at(2026, 11, day, hour))
    at(2026, 11, 2, 11)
    new_ticket("还是要退货", channel="portal")
    new_ticket("邮件来的", channel="email")
    counted()
    total = supervisor.get("/api/v1/reports/summary?from=2026-11-02&to=2026-11-03").json["total"]
    assert total["deflection"] == {"deflected": 3, "portal_tickets": 1, "rate": 0.75}
    page = console_client("supervisor", language="zh_CN").text(
        "/console/analytics/reports/?from=2026-11-02&to=2026-11-03"
    )
    assert "门户中 3 个问题由文章解答，1 张工单经门户提交（文章解答占 75.0%）" in page
