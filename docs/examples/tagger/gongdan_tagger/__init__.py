"""gongdan-tagger: adds tags to new tickets whose subject contains configured keywords.

The smallest useful gongdan plugin: metadata, a settings schema and one notification hook that
changes the ticket through the ticket service. See docs/writing-plugins.md.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.contributions import PluginSpec
from gongdan.hookspecs import hookimpl
from gongdan.plugins import get_host

PLUGIN = PluginSpec(
    label="Keyword tagger",
    label_zh="关键词打标签",
    category="automation",
    description="Tags new tickets whose subject contains a keyword.",
    requires_core=">=0.1,<1",
)

DEFAULT_RULES = {"破损": "破损", "急": "加急", "发票": "发票"}


class TaggerSettings(Schema):
    """Per-tenant settings: keyword → tag."""

    rules = fields.Dict(keys=fields.String(), values=fields.String(), load_default=lambda: dict(DEFAULT_RULES))


@hookimpl
def gongdan_settings_schema() -> type[Schema]:
    """The tenant's keyword rules."""
    return TaggerSettings


@hookimpl
def gongdan_ticket_created(tenant: Any, ticket: Any) -> None:
    """Add the tags whose keyword occurs in the new ticket's subject."""
    rules = get_host().settings(tenant, "tagger")["rules"]
    found = [tag for keyword, tag in rules.items() if keyword in ticket.subject and tag not in ticket.tags]
    if found:
        tickets.update(tenant, ticket, {"tags": [*ticket.tags, *found]}, Actor.system("plugin:tagger"))
