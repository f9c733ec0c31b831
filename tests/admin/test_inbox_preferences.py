"""The bell's page switches the e-mail for @mentions off and on (zh and en)."""

from __future__ import annotations

import pytest

from gongdan.models import User


@pytest.mark.parametrize(("language", "off_text"), [("en", "No more e-mails"), ("zh_CN", "不再为 @提及发邮件")])
def test_the_mention_email_switch(console_client, language, off_text):
    browser = console_client("agent", language=language)
    page = browser.text("/console/inbox/")
    assert 'id="mention-email-off"' in page
    answer = browser.post("/console/inbox/preferences", {"mention_email": "0"}, follow_redirects=True)
    assert off_text in answer.get_data(as_text=True)
    assert 'id="mention-email-on"' in answer.get_data(as_text=True)
    assert User.get_by_id(browser.user.id).mention_email is False
    browser.post("/console/inbox/preferences", {"mention_email": "1"})
    assert User.get_by_id(browser.user.id).mention_email is True
