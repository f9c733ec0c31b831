"""The example plugin, tested the way a plugin author would, with gongdan.testing's fixtures."""

import gongdan_tagger
import pytest

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.errors import ValidationError
from gongdan.models import TicketEvent
from gongdan.plugins import get_host


@pytest.fixture
def tagger(register_plugin, enable_plugin):
    # Installed (`pip install -e .`), the plugin is discovered by its entry point and
    # `enable_plugin("tagger")` alone would do; this example is not installed by `make test`.
    register_plugin(gongdan_tagger, "tagger", everywhere=False)
    enable_plugin("tagger")


def test_new_tickets_get_keyword_tags(tenant, tagger, hook_recorder):
    ticket, _ = tickets.create(tenant, {"subject": "急！收到的花瓶破损", "tags": ["售后"]}, Actor.system())
    assert tickets.get(tenant, ticket.id).tags == ["售后", "破损", "加急"]
    updated = hook_recorder.calls("gongdan_ticket_updated")[0]
    assert updated["actor"].label == "plugin:tagger"
    assert TicketEvent.select().where(TicketEvent.kind == "updated").count() == 1


def test_rules_are_per_tenant_settings(tenant, other_tenant, tagger):
    get_host().set_enabled(tenant, "tagger", settings={"rules": {"退款": "退款"}})
    ticket, _ = tickets.create(tenant, {"subject": "申请退款，商品破损"}, Actor.system())
    assert tickets.get(tenant, ticket.id).tags == ["退款"]
    elsewhere, _ = tickets.create(other_tenant, {"subject": "申请退款"}, Actor.system())
    assert tickets.get(other_tenant, elsewhere.id).tags == []
    with pytest.raises(ValidationError):
        get_host().set_enabled(tenant, "tagger", settings={"rules": ["not", "a", "dict"]})


def test_the_settings_page(tagger, console_client):
    admin = console_client("admin", language="zh_CN")
    assert "关键词打标签" in admin.text("/console/plugins/")
