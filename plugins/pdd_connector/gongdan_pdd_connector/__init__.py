"""Pinduoduo (拼多多) after-sales connector: shops, incremental sync, push messages and actions."""

from gongdan.contributions import PluginSpec

PLUGIN = PluginSpec(
    label="Pinduoduo connector",
    label_zh="拼多多连接器",
    category="connector",
    requires_core=">=0.1,<1",
)
