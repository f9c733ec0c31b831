"""The audit log's SLA entries in the reader's language: a policy's and a calendar's fields read
"标准 · 首次响应: — → 60", "default · 营业时间: — → 周一 09:00–12:00…", not "first response",
"warning percent", "weekly: — → 0: 09:00, 12:00" or "region: CN"."""

from __future__ import annotations

import html
import re
from typing import Any

from gongdan_sla import policies

from gongdan.plugins import get_host


def _details(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_sla_changes_read_in_words_in_the_audit_log(tenant: Any, console_client: Any) -> None:
    get_host().set_enabled(tenant, "sla", enabled=True)
    week = {str(d): [["09:00", "12:00"], ["13:30", "18:00"]] for d in range(5)}
    policies.save_calendars(tenant, {"items": [{"name": "default", "weekly": week, "region": "CN"}]})
    policies.save_policies(tenant, {"items": [{"name": "标准", "first_response": 60, "resolution": 480}]})
    chinese = _details(console_client("supervisor", language="zh_CN").text("/console/audit/"))
    assert "标准 · 首次响应: — → 60" in chinese
    assert "标准 · 预警阈值（占目标时长的百分比）: — → 80" in chinese
    assert "default · 营业时间: — → 周一 09:00–12:00, 13:30–18:00; 周二 09:00–12:00" in chinese
    assert "default · 法定节假日: — → 中国大陆（含调休）" in chinese
    english = _details(console_client("supervisor", language="en").text("/console/audit/"))
    assert "default · Opening hours: — → Mon 09:00–12:00, 13:30–18:00; Tue" in english
    for words in (chinese, english):
        for code in ("first response", "warning percent", "weekly", "pause when pending", "region", " tz:", "0: 09:00"):
            assert code not in words
