"""Markup typed into any field a person later reads (a ticket's subject and text, a reply, a
customer's name, a category, a tag, a team, a user's name, a macro, a rule, an article, a saved
view, a scheduled report) is shown as text on every console and portal page and in the HTML part
of mail to the customer: the payload never reaches a page unescaped."""

from __future__ import annotations

from typing import Any

from gongdan import categories, delivery, tickets
from gongdan.actors import Actor
from gongdan.models import Team, User
from gongdan.testing import ConsoleClient

PAYLOAD = "\"'><img src=x onerror=alert(1)><script>alert(1)</script>"
RAW = ("<img src=x", "<script>alert(1)")


def _leaks(html: str) -> list[str]:
    return [raw for raw in RAW if raw in html]


def test_markup_in_every_field_is_shown_as_text(
    app: Any, tenant: Any, every_plugin: list[str], make_user: Any, outbound_loopback: str
) -> None:
    from gongdan_portal import identity

    admin, api = make_user("admin", name=PAYLOAD)
    team = Team.create(tenant=tenant, name=PAYLOAD[:60])
    User.update(team=team).where(User.id == admin.id).execute()
    categories.ensure(tenant, "售后/" + PAYLOAD[:60].replace("/", "|"))
    body = {
        "subject": PAYLOAD,
        "description": PAYLOAD,
        "channel": "portal",
        "tags": ["<img src=x>"],
        "customer": {"name": PAYLOAD, "email": "buyer@acme.example"},
    }
    ticket = api.post("/api/v1/tickets", json=body).get_json()
    assert "id" in ticket, ticket
    api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": PAYLOAD})
    api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": PAYLOAD, "internal": True})
    api.post("/api/v1/views", json={"name": PAYLOAD[:60], "query": "status=open"})
    api.post("/api/v1/automation/macros", json={"name": PAYLOAD, "body_zh": PAYLOAD, "shared": True})
    api.post("/api/v1/automation/rules", json={"kind": "trigger", "name": PAYLOAD, "event": "created"})
    article = api.post(
        "/api/v1/kb/articles",
        json={"title": PAYLOAD, "body": PAYLOAD, "status": "published", "visibility": "public"},
    ).get_json()
    api.post(
        "/api/v1/reports/subscriptions",
        json={"name": PAYLOAD[:100], "frequency": "daily", "hour": 9, "recipients": [admin.email]},
    )
    console = ConsoleClient(app, admin)
    pages = [
        "/console/",
        "/console/tickets/",
        f"/console/tickets/{ticket['id']}",
        "/console/workspace/",
        "/console/categories/",
        "/console/users/",
        "/console/teams/",
        "/console/customers/",
        "/console/audit/",
        "/console/inbox/",
        "/console/automation/macros/",
        "/console/automation/rules/",
        "/console/knowledge/",
        f"/console/knowledge/{article['id']}",
        "/console/analytics/schedules/",
        "/console/assignment_load/",
        "/console/assignment_availability/",
    ]
    failures = []
    for path in pages:
        answer = console.get(path)
        html = answer.get_data(as_text=True)
        if answer.status_code != 200 or _leaks(html):
            failures.append(f"{path} -> {answer.status_code} {_leaks(html)}")
    visitor = app.test_client()
    opened = visitor.get(f"/portal/acme/t/{identity.access_token(tenant.id, ticket['id'])}")
    assert opened.status_code in (200, 302, 303), opened.status_code
    for path in ("/", "/requests", f"/requests/{ticket['id']}", f"/articles/{article['id']}", "/search?q=alert"):
        answer = visitor.get(f"/portal/acme{path}", follow_redirects=True)
        html = answer.get_data(as_text=True)
        if answer.status_code != 200 or _leaks(html):
            failures.append(f"/portal/acme{path} -> {answer.status_code} {_leaks(html)}")
        if path.startswith("/requests/") and "&lt;img src=x" not in html:
            failures.append(f"/portal/acme{path} does not show the ticket (signed out?)")
    shown = console.get(f"/console/tickets/{ticket['id']}").get_data(as_text=True)
    assert shown.count("&lt;img src=x") >= 3  # subject, description, replies: shown, as text
    assert not failures, "\n".join(failures)


def test_markup_in_a_reply_is_text_in_the_mails_html_part(tenant: Any) -> None:
    ticket, _ = tickets.create(
        tenant, {"subject": PAYLOAD, "customer": {"name": PAYLOAD, "email": "b@acme.example"}}, Actor.system("t")
    )
    html = delivery._html(f"{PAYLOAD}\n\n{PAYLOAD}", [("<b>x</b>", "https://acme.example/?a=<script>")])
    assert _leaks(html) == []
    assert "&lt;img src=x" in html
    assert ticket.subject == PAYLOAD
