"""What a walk through the console in both languages found on screen (each a regression test)."""

from __future__ import annotations

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.contributions import Channel
from gongdan.hookspecs import hookimpl


class Marketplace:
    @hookimpl
    def gongdan_channels(self):
        return [Channel(name="shop", label="拼多多 Pinduoduo", label_zh="拼多多", label_en="Pinduoduo")]


def test_a_plugins_channel_is_named_in_the_consoles_language(tenant, console_client, register_plugin):
    """The portal's channel read "客户门户 Customer portal" on both pages: a channel may name
    itself per language (`label_zh`/`label_en`), and the list shows the one of the page."""
    register_plugin(Marketplace(), "marketplace")
    tickets.create(tenant, {"subject": "下单后没发货", "channel": "shop"}, Actor.system("t"))
    chinese = console_client("agent", language="zh_CN").text("/console/tickets/")
    english = console_client("agent", language="en").text("/console/tickets/")
    assert ">拼多多<" in chinese
    assert "Pinduoduo" not in chinese
    assert ">Pinduoduo<" in english
    assert "拼多多 Pinduoduo" not in english
