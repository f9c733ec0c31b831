"""The portal's settings form: public categories and the follow-up team are picked from the
tenant's own categories and teams (they were typed as free text), and checked when saved."""

from __future__ import annotations

import re
from typing import Any

from gongdan import categories
from gongdan.actors import Actor
from gongdan.models import Team
from gongdan.plugins import get_host

URL = "/console/plugins/portal/settings"


def _form(**given: Any) -> dict[str, Any]:
    return {
        "open": "y",
        "colour": "#1f6feb",
        "who_may_submit": "anyone",
        "submits_per_ip_hour": "20",
        "reopen_days": "7",
        **given,
    }


def test_categories_and_team_are_picked_from_the_tenant_and_checked(
    tenant: Any, other_tenant: Any, enable_plugin: Any, console_client: Any, admin_api: Any
) -> None:
    enable_plugin("portal")
    for path in ("售后/退货退款", "物流"):
        categories.ensure(tenant, path, Actor.system("t"))
    categories.ensure(other_tenant, "别人的分类", Actor.system("t"))
    Team.create(tenant=tenant, name="售后组")
    Team.create(tenant=other_tenant, name="别人的团队")
    chinese = console_client("admin", language="zh_CN")
    page = chinese.text(URL)
    assert re.search(r'<input type="checkbox"[^>]*name="public_categories" value="售后/退货退款"', page)
    assert re.search(r'<select name="followup_team"[^>]*>.*<option value="售后组"', page, flags=re.S)
    assert ">不指定</option>" in page  # no team: worded, not an empty option
    assert "别人的" not in page  # another tenant's rows are not offered

    saved = chinese.post(URL, _form(public_categories="售后", followup_team="售后组"))
    assert saved.status_code == 302
    assert get_host().settings(tenant, "portal")["followup_team"] == "售后组"
    assert get_host().settings(tenant, "portal")["public_categories"] == ["售后"]

    refused = chinese.post(URL, _form(public_categories="别人的分类", followup_team="别人的团队"))
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "公开的分类：本店没有分类「别人的分类」" in text
    assert "跟进团队：本店没有团队「别人的团队」" in text
    english = console_client("admin", language="en").post(URL, _form(followup_team="nobody"))
    assert "Follow-up team: this shop has no team nobody" in english.get_data(as_text=True)

    answer = admin_api.put("/api/v1/plugins/portal", json={"settings": {"public_categories": ["无此分类"]}})
    assert answer.status_code == 422
    assert "public_categories" in str(answer.get_json())
    assert get_host().settings(tenant, "portal")["followup_team"] == "售后组"  # nothing saved
