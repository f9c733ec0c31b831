"""Changing one's password through the API: the policy, and wrong guesses counted as failures."""

from __future__ import annotations

from gongdan.models import User
from gongdan.testing import TEST_PASSWORD


def test_the_api_changes_a_password_under_the_policy(make_user, expect_error):
    user, api = make_user("agent")
    wrong = api.post("/api/v1/users/me/password", json={"current_password": "nope", "new_password": "x" * 12})
    assert expect_error(wrong, 422, "validation_error")["fields"] == {"current_password": ["not your current password"]}
    assert User.get_by_id(user.id).failed_logins == 1  # a guess through a stolen token counts too
    weak = api.post("/api/v1/users/me/password", json={"current_password": TEST_PASSWORD, "new_password": "woaini1314"})
    assert expect_error(weak, 422, "validation_error")["fields"]["password"] == [
        "too common or too easy to guess: choose another"
    ]
    done = api.post(
        "/api/v1/users/me/password", json={"current_password": TEST_PASSWORD, "new_password": "amber-ferry-7"}
    )
    assert done.status_code == 200
    assert done.get_json() == {"changed": True}
    assert User.get_by_id(user.id).session_generation == 1
