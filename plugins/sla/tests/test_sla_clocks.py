"""Stamping, pausing, meeting and re-matching, end to end through the ticket service and the API."""

from __future__ import annotations

from typing import Any

STANDARD = {"name": "Standard", "first_response": 60, "next_response": 120, "resolution": 480}


def test_a_new_ticket_is_stamped_and_the_api_shows_the_block(configure: Any, admin_api: Any, look: Any) -> None:
    configure([STANDARD])
    answer = admin_api.post("/api/v1/tickets", json={"subject": "破损"})
    assert answer.status_code == 201, answer.get_json()
    print(answer.get_json())
    block = admin_api.get(f"/api/v1/tickets/{answer.get_json()['id']}").get_json()["sla"]
    print(block)
