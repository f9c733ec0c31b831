"""API errors in the caller's language: Chinese when `Accept-Language` prefers it, English otherwise."""

from __future__ import annotations

import re

from gongdan.api.error_language import BY_CODE, in_chinese

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_a_validation_error_names_each_field_in_chinese_and_keeps_the_english(agent_api):
    body = {"subject": "", "priority": "whenever", "channel": "web", "junk": 1}
    english = agent_api.post("/api/v1/tickets", json=body).get_json()["error"]
    chinese = agent_api.post("/api/v1/tickets", json=body, headers=ZH).get_json()["error"]
    assert chinese["code"] == english["code"] == "validation_error"
    assert set(chinese["fields"]) == set(english["fields"]) >= {"priority", "junk"}
    assert chinese["fields"]["junk"] == ["未知字段。"]
    assert chinese["fields"]["priority"][0].startswith("必须是以下之一：")
    assert chinese["fields_detail"] == english["fields"]
    assert all(HAN.search(reason) for reasons in chinese["fields"].values() for reason in reasons)
    assert "detail" not in english
    assert "fields_detail" not in english
    assert not HAN.search(english["message"])


def test_not_found_forbidden_and_unauthorized_read_in_chinese(client, agent_api, make_user):
    missing = agent_api.get("/api/v1/tickets/999999", headers=ZH).get_json()["error"]
    assert missing["code"] == "not_found"
    assert missing["message"] == "找不到该工单。"
    assert missing["detail"] == agent_api.get("/api/v1/tickets/999999").get_json()["error"]["message"]
    refused = agent_api.get("/api/v1/users", headers=ZH)
    assert refused.status_code == 403
    assert HAN.search(refused.get_json()["error"]["message"])
    anonymous = client.get("/api/v1/tickets", headers=ZH).get_json()["error"]
    assert anonymous["message"] == BY_CODE["unauthorized"]
    assert client.get("/api/v1/tickets", headers={"Accept-Language": "en"}).get_json()["error"]["message"].isascii()


def test_the_shapes_services_use_are_worded_and_unknown_ones_are_not_guessed():
    assert in_chinese("no such article") == "找不到该文章。"
    assert in_chinese("unknown team 'night'") == "未知的团队。"
    assert in_chinese("invalid rule: conditions.0.field") == "规则无效。"
    assert in_chinese("Longer than maximum length 200.") == "最多 200 个字符。"
    assert in_chinese("Must be greater than or equal to 1 and less than or equal to 100.") == "必须在 1 到 100 之间。"
    assert in_chinese("该店铺已接入") == "该店铺已接入"
    assert in_chinese("the moon is not made of cheese") is None
