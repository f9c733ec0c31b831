"""Merging a duplicate from the console's ticket page, and undoing it, in Chinese and English."""

from __future__ import annotations

import pytest

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import Comment, Ticket

SYSTEM = Actor.system("test")


def _ticket(tenant, subject: str) -> Ticket:
    return tickets.create(tenant, {"subject": subject, "channel": "web"}, SYSTEM)[0]


@pytest.mark.parametrize(
    ("language", "merged", "undone", "missing"),
    [
        ("en", "was merged into this ticket", "The merge was undone", "No ticket with that number"),
        ("zh_CN", "已合并到本工单", "已撤销合并", "没有这个编号的工单"),
    ],
)
def test_merge_and_undo_from_the_ticket_page(tenant, console_client, language, merged, undone, missing):
    keeper, duplicate = _ticket(tenant, "快递没到"), _ticket(tenant, "物流不动了")
    asked = tickets.comment(tenant, duplicate, "到哪了", SYSTEM, from_customer=True)
    browser = console_client("supervisor", language=language)
    page = browser.text(f"/console/tickets/{duplicate.id}")
    assert 'id="merge-form"' in page
    assert "data-confirm=" in page.split('id="merge-form"')[1].split(">")[0]
    wrong = browser.post(f"/console/tickets/{duplicate.id}/merge", {"into": "#99999"}, follow_redirects=True)
    assert missing in wrong.get_data(as_text=True)
    answer = browser.post(f"/console/tickets/{duplicate.id}/merge", {"into": f"#{keeper.number}"})
    assert answer.headers["Location"].endswith(f"/console/tickets/{keeper.id}")
    survivor = browser.text(f"/console/tickets/{keeper.id}")
    assert merged in survivor
    assert f'id="comment-{asked.id}"' in survivor  # the duplicate's conversation is on the survivor
    assert "undo-merge" in survivor
    closed = browser.text(f"/console/tickets/{duplicate.id}")
    assert 'id="merged-into"' in closed
    assert f"#{keeper.number}" in closed.split('id="merged-into"')[1].split("</div>")[0]
    assert 'id="merge-form"' not in closed  # a closed ticket offers no merge
    record = Ticket.get_by_id(duplicate.id)
    assert record.status == "closed"
    merge_id = closed.split("/console/tickets/merges/")[1].split("/undo")[0]
    back = browser.post(f"/console/tickets/merges/{merge_id}/undo", follow_redirects=True)
    assert undone in back.get_data(as_text=True)
    assert Ticket.get_by_id(duplicate.id).status == "new"
    assert Comment.get_by_id(asked.id).ticket_id == duplicate.id
    again = browser.post(f"/console/tickets/merges/{merge_id}/undo", follow_redirects=True)
    assert {"en": "This merge was undone already", "zh_CN": "已经撤销过"}[language] in again.get_data(as_text=True)


def test_an_agent_cannot_merge_a_colleagues_ticket(tenant, console_client, make_user):
    colleague, _ = make_user("agent")
    keeper, theirs = _ticket(tenant, "A"), _ticket(tenant, "B")
    tickets.assign(tenant, theirs, colleague.id, SYSTEM)
    browser = console_client("agent", language="zh_CN")
    answer = browser.post(f"/console/tickets/{theirs.id}/merge", {"into": str(keeper.number)}, follow_redirects=True)
    assert "合并同事的工单需要主管角色" in answer.get_data(as_text=True)
    assert Ticket.get_by_id(theirs.id).status == "new"


def test_admins_set_how_long_a_merge_can_be_undone(tenant, console_client):
    browser = console_client("admin", language="zh_CN")
    page = browser.text("/console/settings/")
    assert 'id="merge_undo_minutes"' in page
    assert 'value="60"' in page
    saved = browser.post("/console/settings/merge", {"merge_undo_minutes": "15"}, follow_redirects=True)
    assert "合并后 15 分钟内可以撤销" in saved.get_data(as_text=True)
    assert type(tenant).get_by_id(tenant.id).merge_undo_minutes == 15
    wrong = browser.post("/console/settings/merge", {"merge_undo_minutes": "99999"}, follow_redirects=True)
    assert "请填写 0 到 10080 之间的整数分钟" in wrong.get_data(as_text=True)
    assert type(tenant).get_by_id(tenant.id).merge_undo_minutes == 15
